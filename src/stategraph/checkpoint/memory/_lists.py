"""List values of ``InMemorySaver``: items packed once, versions kept as splices.

A list channel (``add_messages``, ``operator.add``) grows by a few items per
step. Packing the whole list on every step costs time proportional to its
length, and storing every version in full costs memory quadratic in it. For
each thread, namespace and channel this module remembers the items of the last
value stored and their packed bytes, in chunks (one per stored version), so a
new version packs only the items that are not the very objects stored before,
and is kept as a splice of the previous version (``checkpoint._splice``): the
stored bytes are exactly those packing the whole list would give.

Reusing an item's bytes relies on its identity, so it happens only for a
step's checkpoint (``source == "loop"``) whose writes the saver saw
(``put_writes`` against the parent, which the engine sends for every task
unless durability is ``exit``): an item that appears in one of those writes is
packed again even when it is an object stored before (a message edited in
place and returned to replace itself). Values loaded from the saver are fresh
objects, so nothing is reused across runs. An item changed in place and not
written is not noticed; LangGraph's own background puts race with such
changes too. Items that cannot change in place (strings, numbers, ``None``)
are reused whatever the put, and a namespace whose cached lists hold only
such items has no writes noted at all.
"""

from __future__ import annotations

import struct
import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import (
    Callable,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
    Set as AbstractSet,
)
from itertools import islice
from operator import is_
from typing import Any

from stategraph.checkpoint import _fork
from stategraph.checkpoint._splice import (
    MIN_SIZE,
    PREFIX,
    common_prefix,
    is_spliced,
    materialize,
    splice_payload,
)
from stategraph.checkpoint.memory._written import IMMUTABLE
from stategraph.checkpoint.serde.jsonplus import UnserializableValueError

Typed = tuple[str, bytes]
Dumps = Callable[[Any], Any]

_CACHE_SIZE = 128
_CACHE_BYTES = 64 * 1024 * 1024
_TAG = "msgpack"
_MAX_CHUNKS = 64
_NOTHING: frozenset[int] = frozenset()


def array_head(length: int) -> bytes:
    """The msgpack array header of a list of ``length`` items."""
    if length < 16:
        return bytes((0x90 | length,))
    if length < 0x10000:
        return struct.pack(">BH", 0xDC, length)
    return struct.pack(">BI", 0xDD, length)


class _Entry:
    """The last stored value of one channel: its items and packed chunks."""

    __slots__ = (
        "blob", "chunks", "depth", "index", "items", "mutable", "offsets", "size",
        "starts",
    )  # fmt: skip

    def __init__(
        self,
        items: tuple[Any, ...],
        chunks: list[bytes],
        starts: list[int],
        offsets: list[int],
        depth: int,
    ) -> None:
        self.items = items
        self.chunks = chunks  # packed items, chunk j holds items[starts[j]:...]
        self.starts = starts
        self.offsets = offsets  # byte offset of each chunk in the body
        self.size = offsets[-1] + len(chunks[-1]) if chunks else 0
        self.depth = depth  # splices between this value and a full one
        self.blob: tuple[str, Typed] | None = None  # (version, stored row)
        # id of each item -> its first position, built when first needed.
        self.index: dict[int, int] | None = None
        # Whether an item may be changed in place (not a str, int...): only
        # then are reused items at the mercy of the writes noted.
        self.mutable = True

    def body(self) -> bytes:
        return b"".join(self.chunks)


class ListBlobs:
    """Encodes list values from the last value stored per channel.

    Args:
        every: Longest splice chain (a full value at least every this many
            versions); ``1`` or less stores every value in full.
    """

    def __init__(self, every: int) -> None:
        self.every = every
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # (thread, ns) -> how many cached values there have mutable items
        # (empty when none has: writes need no noting).
        self.watched: dict[tuple[str, str], int] = {}
        _fork.track(self)

    def _after_fork_in_child(self) -> None:
        # A thread of the parent may have held the lock at the fork.
        self._lock = _fork.renew(self._lock)

    def watches(self, thread_id: str, ns: str) -> bool:
        """Whether writes in ``(thread_id, ns)`` must be noted (see ``Written``)."""
        return self.watched.get((thread_id, ns), 0) > 0

    def encode(
        self,
        key: tuple[str, str, str],
        version: Any,
        value: list[Any],
        dirty: set[int] | None,
        dumps: Dumps,
        blobs: Mapping[Any, Typed],
    ) -> Typed:
        """The row to store for ``value`` at ``version`` (full or spliced).

        Args:
            key: ``(thread_id, checkpoint_ns, channel)``.
            version: The channel version being stored.
            value: The list.
            dirty: Identities of the items written since the last value was
                stored, or ``None`` when those writes are unknown (then
                nothing is reused by identity).
            dumps: The saver's value serializer.
            blobs: The saver's stored rows (to check the base still exists).

        Raises:
            UnserializableValueError: When an item cannot be serialized.
        """
        with self._lock:
            last = self._entries.get(key)
        if last is not None and (dirty is not None or not last.mutable):
            # Items that are all immutable may be reused whatever was written.
            entry, keep, rest = _reuse(last, value, dirty or _NOTHING, dumps)
        else:
            entry, keep, rest = _repack(last, value, dumps)
        head = array_head(len(value))
        row = None
        if last is not None and last.blob is not None:
            row = self._splice(key, version, last, head, keep, rest, blobs)
        if row is None:
            entry.depth = 0
            row = (_TAG, head + entry.body())
        else:
            entry.depth = last.depth + 1  # type: ignore[union-attr]  # spliced: last is set
        entry.blob = (str(version), row)
        self._remember(key, entry)
        return row

    def _splice(
        self,
        key: tuple[str, str, str],
        version: Any,
        last: _Entry,
        head: bytes,
        keep: int,
        rest: bytes,
        blobs: Mapping[Any, Typed],
    ) -> Typed | None:
        """The spliced row of the new value, or ``None`` to store it in full."""
        base, stored = last.blob  # type: ignore[misc]  # checked by the caller
        full = len(head) + keep + len(rest)
        if (
            self.every <= 1
            or last.depth + 1 >= self.every
            or full < MIN_SIZE
            or not isinstance(version, str)
            or ":" in base
            or not base < version
            or (len(rest) + len(head)) * 2 > full
            or blobs.get((*key, base)) is not stored  # deleted or replaced
        ):
            return None
        start = len(array_head(len(last.items)))
        return f"{PREFIX}{base}:{_TAG}", splice_payload(head, start, keep, rest)

    def _remember(self, key: tuple[str, str, str], entry: _Entry) -> None:
        with self._lock:
            self._drop(key)
            self._bytes += entry.size
            self._entries[key] = entry
            if entry.mutable:
                where = key[:2]
                self.watched[where] = self.watched.get(where, 0) + 1
            while self._entries and (
                len(self._entries) > _CACHE_SIZE or self._bytes > _CACHE_BYTES
            ):
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Any) -> None:
        """Forget one cached value (the caller holds the lock)."""
        old = self._entries.pop(key, None)
        if old is None:
            return
        self._bytes -= old.size
        if old.mutable:
            where = key[:2]
            left = self.watched[where] - 1
            if left:
                self.watched[where] = left
            else:
                del self.watched[where]

    def full(self, key: tuple[str, str, str, Any], row: Typed) -> Typed | None:
        """The full row of a stored spliced ``row``, if it is the last one cached."""
        with self._lock:
            entry = self._entries.get(key[:3])
        if entry is None or entry.blob is None or entry.blob[1] is not row:
            return None
        return _TAG, array_head(len(entry.items)) + entry.body()

    def forget(self, thread_ids: Iterable[str]) -> None:
        """Drop what is cached for threads (deleted, or overwritten by a copy)."""
        wanted = set(thread_ids)
        with self._lock:
            for key in [k for k in self._entries if k[0] in wanted]:  # type: ignore[index]
                self._drop(key)


def _reuse(
    last: _Entry, value: list[Any], dirty: AbstractSet[int], dumps: Dumps
) -> tuple[_Entry, int, bytes]:
    """Pack ``value`` reusing the chunks of ``last`` its unchanged items fill.

    Returns:
        The new entry, the number of body bytes shared with ``last`` and the
        body bytes that follow them.
    """
    items = last.items
    if all(map(is_, value, items)):
        cut = min(len(value), len(items))
    else:
        cut = list(map(is_, value, items)).index(False)
    index = last.index
    if index is None:
        index = _index_of(items)
    # Written items are packed again even where they are the same object.
    hits = []  # a loop: a comprehension makes a function object
    for i in dirty:
        if i in index:
            hits.append(index[i])
    if hits:
        cut = min(cut, *hits)
    # The chunk holding the first item to pack again (past the last: none).
    k = len(last.chunks) if cut == len(items) else bisect_right(last.starts, cut) - 1
    start = last.starts[k] if k < len(last.starts) else len(items)
    keep = last.offsets[k] if k < len(last.offsets) else last.size
    rest = _pack(value, start, dumps)
    chunks, starts, offsets = last.chunks[:k], last.starts[:k], last.offsets[:k]
    if rest:
        chunks.append(rest)
        starts.append(start)
        offsets.append(keep)
    if len(chunks) > _MAX_CHUNKS:
        # Older items are rarely replaced: merge their chunks so that copying
        # the chunk lists stays cheap on every step.
        cut_at = len(chunks) - _MAX_CHUNKS // 4
        chunks[:cut_at] = [b"".join(chunks[:cut_at])]
        del starts[1:cut_at], offsets[1:cut_at]
    entry = _Entry(tuple(value), chunks, starts, offsets, 0)
    entry.mutable = last.mutable or _mutable(islice(value, start, None))
    if cut == len(items):
        # Appended only: the old index (no longer used by ``last``) grows.
        for position in range(cut, len(value)):
            index.setdefault(id(value[position]), position)
        entry.index = index
    return entry, keep, rest


def _mutable(items: Iterable[Any]) -> bool:
    """Whether any of ``items`` is of a type that can change in place."""
    return not set(map(type, items)) <= IMMUTABLE


def _index_of(items: Sequence[Any]) -> dict[int, int]:
    """Map the id of each item to its first position."""
    last = len(items) - 1
    return dict(zip(map(id, reversed(items)), range(last, -1, -1), strict=True))


def _repack(
    last: _Entry | None, value: list[Any], dumps: Dumps
) -> tuple[_Entry, int, bytes]:
    """Pack all of ``value``; share the bytes it starts with with ``last``."""
    body = _pack(value, 0, dumps)
    if body:
        entry = _Entry(tuple(value), [body], [0], [0], 0)
    else:
        entry = _Entry((), [], [], [], 0)
    entry.mutable = _mutable(value)
    keep = 0
    if last is not None and last.size and body:
        keep = common_prefix(last.body(), 0, body, 0)
    return entry, keep, body[keep:]


def _pack(value: list[Any], start: int, dumps: Dumps) -> bytes:
    """The packed bytes of ``value[start:]``'s items (no array header)."""
    if start >= len(value):
        return b""
    items = value[start:] if start else value
    try:
        tag, data = dumps(items)
    except UnserializableValueError:
        if start:
            dumps(value)  # raises again, with the item's index in the whole list
        raise
    if tag != _TAG:  # a custom serializer; the caller only uses the default
        raise TypeError(f"list packed as {tag!r}, not msgpack")
    count = len(items)
    return data[1 if count < 16 else 3 if count < 0x10000 else 5 :]  # type: ignore[no-any-return]


def load_row(
    key: tuple[str, str, str, Any],
    row: Typed,
    blobs: Mapping[Any, Typed],
    lists: ListBlobs | None,
) -> Typed:
    """The full ``(type, bytes)`` of a stored row, unsplicing it if needed.

    Raises:
        ValueError: When a base is missing or a splice is corrupt.
    """
    if not is_spliced(row[0]):
        return row
    if lists is not None and (full := lists.full(key, row)) is not None:
        return full
    thread_id, ns, channel, _ = key
    return materialize(
        row[0], row[1], lambda version: blobs.get((thread_id, ns, channel, version))
    )
