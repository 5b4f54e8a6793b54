"""Stable ids for the messages written to ``DeltaChannel``s.

A delta channel replays its saved writes on every read, so a message saved
without an id would come back without one (or with a new one each time) and
could never be targeted by id. Ids are given before the writes are saved.
LangChain is only touched when a write already holds LangChain objects or a
message dict has to become one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, MutableSequence
from typing import Any

from stategraph.channels._binop import _get_overwrite
from stategraph.channels._delta import DeltaChannel

__all__ = (
    "ensure_message_ids",
    "is_message_dict",
    "new_message_id",
    "stamp_message_id",
)

_ROLES = frozenset({"user", "human", "assistant", "ai", "tool", "system", "function"})
_TYPES = frozenset({"human", "ai", "tool", "system", "function", "remove"})


def new_message_id() -> str:
    """A random version-4 UUID string (without importing ``uuid``, which is slow)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_message_dict(item: dict[Any, Any]) -> bool:
    """Whether a dict is shaped like a message (a known role or type)."""
    return item.get("role") in _ROLES or item.get("type") in _TYPES


def _base_message_type() -> type[Any] | None:
    # Objects of a class can only exist once its module is imported.
    module = sys.modules.get("langchain_core.messages")
    return getattr(module, "BaseMessage", None)


def stamp_message_id(item: Any) -> None:
    """Give a LangChain message object without an id a random one, in place."""
    base = _base_message_type()
    if base is not None and isinstance(item, base) and item.id is None:
        item.id = new_message_id()


def ensure_message_ids(
    specs: Mapping[str, Any], writes: MutableSequence[tuple[str, Any]]
) -> None:
    """Give the messages in ``writes`` to delta channels ids, replacing changed writes.

    A reducer may bring its own rule as a ``stamp_message_ids`` attribute
    (``_messages_delta_reducer`` does); other delta channels may hold any
    data, so only message objects and message dicts get ids there. Lists
    and dicts the caller passed are never changed in place.

    Args:
        specs: The graph's channels.
        writes: ``(channel, value)`` writes, updated in place.
    """
    for i, (ch, value) in enumerate(writes):
        spec = specs.get(ch)
        if not isinstance(spec, DeltaChannel):
            continue
        stamp: Callable[[Any], Any] = (
            getattr(spec.reducer, "stamp_message_ids", None) or _with_base_ids
        )
        new = stamp(value)
        if new is not value:
            writes[i] = (ch, new)


def map_items(items: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn`` over a list or tuple; the same object back when nothing changed."""
    mapped = [fn(item) for item in items]
    if all(new is old for new, old in zip(mapped, items, strict=True)):
        return items
    return mapped if isinstance(items, list) else tuple(mapped)


def _with_base_ids(value: Any) -> Any:
    is_overwrite, carried = _get_overwrite(value)
    if is_overwrite:
        if isinstance(carried, (list, tuple)):
            for item in carried:
                stamp_message_id(item)
        return value
    if isinstance(value, list):
        return map_items(value, _base_item)
    if isinstance(value, dict) and is_message_dict(value) and not value.get("id"):
        return {**value, "id": new_message_id()}
    stamp_message_id(value)
    return value


def _base_item(item: Any) -> Any:
    if isinstance(item, dict) and is_message_dict(item):
        return _dict_item(item)
    stamp_message_id(item)
    return item


def _dict_item(item: dict[Any, Any]) -> Any:
    """A message dict in a list: a LangChain message when available, else a dict."""
    try:
        from langchain_core.messages import convert_to_messages
    except ModuleNotFoundError:
        return item if item.get("id") else {**item, "id": new_message_id()}
    message = convert_to_messages([item])[0]
    if not message.id:
        message.id = new_message_id()
    return message
