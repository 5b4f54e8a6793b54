"""Merging message lists by id, and remembering results to skip re-reading them.

Shared by both message worlds of ``add_messages`` (see ``_messages``): the
merge follows LangGraph's semantics (replace by id, remove, append), and the
known-results table lets a graph's next call skip coercing, id-checking and
indexing the list it returned last time.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import suppress
from typing import Any

REMOVE_ALL_MESSAGES = "__remove_all__"
"""Id of a removal marker that drops every message written before it."""

_UUID4 = uuid.uuid4


def _new_id() -> str:
    """Return a random version-4 UUID string, like ``str(uuid.uuid4())``."""
    if uuid.uuid4 is not _UUID4:
        # ``uuid.uuid4`` is patched (tests seeding deterministic ids, as
        # LangGraph's do): honour it, as LangGraph's own ids would.
        return str(uuid.uuid4())
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _unknown_id(mid: Any) -> ValueError:
    return ValueError(
        f"Attempting to delete a message with an ID that doesn't exist ('{mid}')"
    )


def _bad_format(format: Any) -> ValueError:
    return ValueError(
        f"Unrecognized {format=}. Expected one of 'langchain-openai', None."
    )


# --------------------------------------------------------------------------
# Merge, shared by both worlds


def _index_of(ids: list[Any]) -> dict[Any, int]:
    """Map each id to its position (the last one, if ids repeat)."""
    return dict(zip(ids, range(len(ids)), strict=True))


def _merge(
    left: list[Any],
    ids: list[Any] | None,
    index: dict[Any, int] | None,
    right: list[Any],
    right_ids: list[Any],
    removes: list[bool],
    id_of: Callable[[Any], Any],
    *,
    may_scan: bool,
) -> tuple[list[Any], list[Any] | None, dict[Any, int] | None]:
    """Merge ``right`` into a copy of ``left`` by id (LangGraph's semantics).

    A right message whose id is known replaces the message in place (the last
    one, if ids repeat); a removal marker deletes every message with its id;
    other messages are appended.

    Args:
        left: The current messages.
        ids: The ids of ``left``, or None when ``index`` is given.
        index: Position of each id in ``left`` (updated in place), or None.
        right: The messages to merge, each with an id.
        right_ids: The ids of ``right``.
        removes: Which messages of ``right`` are removal markers.
        id_of: Reads the id of a message.
        may_scan: Whether a few new messages may be checked against ``ids``
            by scanning instead of building ``index``.

    Returns:
        The merged list with its ids or its index (both None when messages
        were removed, which shifts positions).
    """
    if index is None:
        assert ids is not None
        if may_scan and _only_new(ids, right_ids, removes):
            return left + right, ids + right_ids, None
        index = _index_of(ids)
    merged = left.copy()
    to_remove: set[Any] = set()
    for m, mid, is_remove in zip(right, right_ids, removes, strict=True):
        pos = index.get(mid)
        if pos is not None:
            if is_remove:
                to_remove.add(mid)
            else:
                to_remove.discard(mid)
                merged[pos] = m
        elif is_remove:
            raise _unknown_id(mid)
        else:
            index[mid] = len(merged)
            merged.append(m)
    if to_remove:
        return [m for m in merged if id_of(m) not in to_remove], None, None
    return merged, None, index


def _only_new(ids: list[Any], right_ids: list[Any], removes: list[bool]) -> bool:
    """Tell cheaply whether the few ``right_ids`` are all new and distinct."""
    if len(right_ids) > 4 or any(removes) or len(set(right_ids)) != len(right_ids):
        return False
    for rid in right_ids:  # noqa: SIM110 - a loop: no generator for a few ids
        if rid in ids:
            return False
    return True


# --------------------------------------------------------------------------
# Known results
#
# In a graph, the list a call returns is the ``left`` of the next call. Each
# result is remembered with a snapshot of its items and its id index, so the
# next call can skip coercing, id-checking and indexing ``left``: comparing
# against the snapshot (item identity first, at C speed) proves the list was
# not changed since, even if the caller copied it. A claimant gets a copy of
# the entry's index, so callers never share one. Messages
# are assumed not to have their ``id`` changed in place once in a result.


class _Known:
    """A result as it was returned, with its ids or its id index."""

    __slots__ = ("ids", "index", "snapshot", "world")

    def __init__(
        self,
        snapshot: list[Any],
        ids: list[Any] | None,
        index: dict[Any, int] | None,
        world: object,
    ) -> None:
        self.snapshot = snapshot
        self.ids = ids
        self.index = index
        self.world = world


_DICT_WORLD = object()
_KNOWN_MAX = 8
_known: list[_Known] = []


def _claim(left: list[Any], world: object) -> _Known | None:
    """Return what is known of ``left`` if it is an unchanged earlier result.

    The caller gets its own copy of the id index (it updates it in place), and
    the entry stays: a conditional edge's fresh read and the barrier both
    reduce the same ``left`` in one step. An entry holding only ids gets its
    index built here: a list seen twice is likely to be seen again.
    """
    n = len(left)
    if not n:
        return None
    first, last = left[0], left[-1]
    for entry in reversed(tuple(_known)):
        snap = entry.snapshot
        if (
            entry.world is world
            and len(snap) == n
            and snap[-1] is last
            and snap[0] is first
            and snap == left
        ):
            index = entry.index
            if index is None:
                # Built once and never changed after: racing builders agree.
                index = entry.index = _index_of(entry.ids or [])
            return _Known(snap, None, dict(index), world)
    return None


def _remember(
    result: list[Any],
    ids: list[Any] | None,
    index: dict[Any, int] | None,
    world: object,
) -> None:
    """Remember ``result`` so the next call can skip re-reading it."""
    if result and (ids is not None or index is not None):
        _known.append(_Known(result.copy(), ids, index, world))
        if len(_known) > _KNOWN_MAX:
            with suppress(IndexError):
                del _known[0]
