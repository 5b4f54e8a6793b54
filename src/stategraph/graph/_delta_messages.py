"""``_messages_delta_reducer``: the batch message reducer for ``DeltaChannel``.

It folds a whole batch of message writes in one pass (dedup by id, removals,
``REMOVE_ALL_MESSAGES``), so replaying saved writes in larger batches gives
the same list. Messages are LangChain objects when ``langchain-core`` is
installed and plain dicts otherwise, as with ``add_messages``.
"""

from __future__ import annotations

from operator import attrgetter, methodcaller
from typing import Any

from stategraph._types import Overwrite
from stategraph.channels._binop import _get_overwrite
from stategraph.channels._delta_ids import (
    is_message_dict,
    map_items,
    new_message_id,
    stamp_message_id,
)
from stategraph.graph._messages import _langchain
from stategraph.graph._messages_dicts import _to_dict
from stategraph.graph._messages_merge import REMOVE_ALL_MESSAGES

__all__ = ("_messages_delta_reducer",)

_REMOVE = "remove"
_attr_id = attrgetter("id")
_key_id = methodcaller("get", "id")


def _messages_delta_reducer(state: list[Any], writes: list[Any]) -> list[Any]:
    """Fold a batch of message writes into ``state`` (experimental, as in LangGraph).

    Each write is a list of message-likes or one message-like (message, dict,
    string or ``(role, content)`` tuple). A message whose id is already in the
    list replaces it, a removal drops it (an unknown id is ignored), and the
    last ``REMOVE_ALL_MESSAGES`` removal drops everything before it. Unlike
    ``add_messages`` it assigns no missing ids: the engine gives ids to
    messages before saving them.

    The reducer is batching-invariant:
    ``reducer(reducer(s, xs), ys) == reducer(s, xs + ys)``.

    Args:
        state: The current list.
        writes: The batch of writes.

    Returns:
        The new list.
    """
    flat: list[Any] = []
    for write in writes:
        if isinstance(write, list):
            flat.extend(write)
        else:
            flat.append(write)
    api = _langchain()
    if api is None:
        return _fold_dicts(state, flat)
    base = api.BaseMessage
    current = (
        state
        if state and isinstance(state[0], base)
        else api.convert_to_messages(state)
    )
    msgs = api.convert_to_messages(flat)
    remove = api.RemoveMessage
    return _fold(current, msgs, _attr_id, lambda m: isinstance(m, remove))


def _fold_dicts(state: list[Any], flat: list[Any]) -> list[Any]:
    current = [_to_dict(m, assign_id=False) for m in state]
    msgs = [_to_dict(m, assign_id=False) for m in flat]
    return _fold(current, msgs, _key_id, lambda m: m.get("role") == _REMOVE)


def _fold(
    current: list[Any], msgs: list[Any], get_id: Any, is_remove: Any
) -> list[Any]:
    for i in range(len(msgs) - 1, -1, -1):
        if is_remove(msgs[i]) and get_id(msgs[i]) == REMOVE_ALL_MESSAGES:
            current, msgs = [], msgs[i + 1 :]
            break
    index = {get_id(m): i for i, m in enumerate(current) if get_id(m) is not None}
    result: list[Any] = list(current)
    for msg in msgs:
        mid = get_id(msg)
        if mid is None:
            result.append(msg)
        elif is_remove(msg):
            if mid in index:
                result[index.pop(mid)] = None
        elif mid in index:
            result[index[mid]] = msg
        else:
            index[mid] = len(result)
            result.append(msg)
    return [m for m in result if m is not None]


def _stamp_message_ids(value: Any) -> Any:
    """Give every message-like in a ``_messages_delta_reducer`` write an id.

    Message-likes alone, in a list or in an ``Overwrite`` become messages with
    ids; anything that cannot become a message is left to fail in the reducer
    (a message dict in a list fails here).
    """
    is_overwrite, carried = _get_overwrite(value)
    if not is_overwrite:
        if isinstance(value, list):
            return map_items(value, _list_item)
        return _message_with_id(value)
    if isinstance(carried, (list, tuple)):
        items = map_items(carried, _message_with_id)
        if items is not carried:
            return Overwrite(items)
    return value


def _list_item(item: Any) -> Any:
    if isinstance(item, dict) and is_message_dict(item):
        return _message_with_id(item, strict=True)
    return _message_with_id(item)


def _message_with_id(item: Any, *, strict: bool = False) -> Any:
    api = _langchain()
    if api is None:
        try:
            message = _to_dict(item, assign_id=True)
        except (ValueError, TypeError, NotImplementedError):
            if strict:
                raise
            return item
        if not message.get("id"):
            message = {**message, "id": new_message_id()}
        return message
    if isinstance(item, api.BaseMessage):
        stamp_message_id(item)
        return item
    try:
        converted = api.convert_to_messages([item])[0]
    except (ValueError, TypeError, NotImplementedError, KeyError):
        if strict:
            raise
        return item
    if not converted.id:
        converted.id = new_message_id()
    return converted


# The engine finds the reducer's id rule through this attribute, without
# importing the graph layer.
_messages_delta_reducer.stamp_message_ids = _stamp_message_ids  # type: ignore[attr-defined]
