"""The dict world of ``add_messages``: messages as plain OpenAI-style dicts.

Used when ``langchain-core`` is not installed (or ``_messages._FORCE_DICTS`` is
set): messages are dicts ``{"role": ..., "content": ..., "id": ...}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stategraph.graph._messages_merge import (
    _DICT_WORLD,
    REMOVE_ALL_MESSAGES,
    _bad_format,
    _claim,
    _merge,
    _new_id,
    _remember,
)

# Roles (and LangChain type names) a dict-world message may carry, mapped to the
# role it is stored under. "developer" stays distinct, as in OpenAI's format.
_ROLE_ALIASES: dict[Any, str] = {
    "human": "user",
    "user": "user",
    "ai": "assistant",
    "assistant": "assistant",
    "system": "system",
    "developer": "developer",
    "function": "function",
    "tool": "tool",
    "remove": "remove",
}
_ROLES = frozenset(_ROLE_ALIASES.values())
_REMOVE = "remove"

# Class names in LangChain's serialized ``{"lc": 1, "type": "constructor"}``
# envelope, mapped to message types.
_CONSTRUCTOR_TYPES = {
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "SystemMessage": "system",
    "SystemMessageChunk": "system",
    "FunctionMessage": "function",
    "FunctionMessageChunk": "function",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "RemoveMessage": "remove",
}


def _role_of(kind: Any) -> str:
    role = _ROLE_ALIASES.get(kind) if isinstance(kind, str) else None
    if role is None:
        raise ValueError(
            f"Unexpected message type: '{kind}'. Use one of 'human', 'user', 'ai', "
            "'assistant', 'function', 'tool', 'system', or 'developer'."
        )
    return role


def _is_stored(m: Any, need_id: bool) -> bool:
    """Tell whether ``m`` already has the dict-world shape (and an id)."""
    return bool(
        isinstance(m, dict)
        and m.get("role") in _ROLES
        and "content" in m
        and (m["content"] or m["content"] == "")
        and (not need_id or m.get("id") is not None)
    )


def _dict_from_mapping(message: dict[str, Any]) -> dict[str, Any]:
    """Convert a message dict (OpenAI or LangChain shaped) to the stored shape."""
    if (
        message.get("lc") == 1
        and message.get("type") == "constructor"
        and isinstance(message.get("id"), list)
        and message["id"]
        and isinstance(message.get("kwargs"), dict)
    ):
        kind = _CONSTRUCTOR_TYPES.get(message["id"][-1])
        if kind is not None:
            return _dict_from_mapping({"type": kind, **message["kwargs"]})
    rest = dict(message)
    kind = rest.pop("role") if "role" in rest else rest.pop("type", None)
    if kind is None or ("content" not in rest and kind != _REMOVE):
        raise ValueError(
            f"Message dict must contain 'role' and 'content' keys, got {message}"
        )
    role = _role_of(kind)
    out = {"role": role, "content": rest.pop("content", "") or ""}
    out.update(rest)
    if role == _REMOVE and out.get("id") is None:
        raise ValueError(f"A remove message needs an id, got {message}")
    return out


def _to_dict(message: Any, *, assign_id: bool) -> dict[str, Any]:
    """Convert one message-like to the dict-world shape."""
    if _is_stored(message, assign_id):
        return message  # type: ignore[no-any-return]
    if isinstance(message, dict):
        out = _dict_from_mapping(message)
    elif isinstance(message, str):
        out = {"role": "user", "content": message}
    elif isinstance(message, Sequence):
        try:
            kind, content = message
        except ValueError as e:
            msg = "Message as a sequence must be (role string, template)"
            raise NotImplementedError(msg) from e
        out = {"role": _role_of(kind), "content": content}
    else:
        raise NotImplementedError(f"Unsupported message type: {type(message)}")
    if assign_id and out.get("id") is None:
        out["id"] = _new_id()
    return out


def _reduce_dicts(left: list[Any], right: list[Any], format: Any) -> list[Any]:
    known = _claim(left, _DICT_WORLD)
    if known is None:
        left = [_to_dict(m, assign_id=True) for m in left]
    right = [_to_dict(m, assign_id=True) for m in right]
    ids = [m["id"] for m in left] if known is None else known.ids
    right_ids = [m["id"] for m in right]
    removes = [m["role"] == _REMOVE for m in right]
    remove_all = None
    for i, (mid, is_remove) in enumerate(zip(right_ids, removes, strict=True)):
        if is_remove and mid == REMOVE_ALL_MESSAGES:
            remove_all = i
    if remove_all is not None:
        return right[remove_all + 1 :]
    index = None if known is None else known.index
    merged, ids, index = _merge(
        left, ids, index, right, right_ids, removes, _get_dict_id, may_scan=True
    )
    if format == "langchain-openai":
        # Imported here: the LangChain world's module imports this one.
        from stategraph.graph._messages import _require_langchain

        _require_langchain("add_messages(format='langchain-openai')")
    if format:
        raise _bad_format(format)
    _remember(merged, ids, index, _DICT_WORLD)
    return merged


def _get_dict_id(m: dict[str, Any]) -> Any:
    return m["id"]
