"""The ``add_messages`` reducer, ``MessagesState`` and ``push_message``.

Messages live in one of two worlds, chosen per call:

- **LangChain world** (``langchain-core`` importable): every message-like
  input (message objects, dicts, ``(role, content)`` tuples, strings) becomes
  a LangChain ``BaseMessage``, exactly as LangGraph does it, so a program
  ported from LangGraph sees identical results. Mixed input is converted as a
  whole to LangChain messages.
- **Dict world** (``langchain-core`` not installed): messages are plain dicts
  ``{"role": ..., "content": ..., "id": ...}`` whose roles are the OpenAI ones
  (``user``, ``assistant``, ``system``, ``developer``, ``tool``,
  ``function``); other keys such as ``tool_calls`` or ``tool_call_id`` are kept
  as they are. A removal marker is ``{"role": "remove", "content": "",
  "id": ...}`` (see ``RemoveMessageDict``); ``{"type": "remove", "id": ...}``
  is accepted as well.

``langchain-core`` is imported on first use, never at import time; setting the
private ``_FORCE_DICTS`` switch makes the module behave as if it were absent.

Each call is linear in the length of ``left`` only through C-speed list
copies: the reducer remembers the lists it returned, so when one comes back as
``left`` (unchanged, or copied) it is not re-coerced, re-scanned for missing
ids or re-indexed. Changing the ``id`` of a message in place after it was
merged is therefore not supported.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from operator import attrgetter
from typing import Annotated, Any, Literal, TypeAlias, overload

from typing_extensions import TypedDict

from stategraph._config import get_config
from stategraph._constants import CONF, CONFIG_KEY_SEND
from stategraph.graph._messages_dicts import _REMOVE, _reduce_dicts, _to_dict
from stategraph.graph._messages_merge import (
    REMOVE_ALL_MESSAGES,
    _bad_format,
    _claim,
    _merge,
    _new_id,
    _remember,
)

_AnyMessage: TypeAlias = Any
"""Stand-in for LangChain's ``AnyMessage`` that needs no import to resolve."""

Messages: TypeAlias = Any
"""A message-like value, or a list of them (message, dict, tuple or string)."""

MessagesFormat: TypeAlias = Literal["langchain-openai"] | None

_FORCE_DICTS = False
"""Test switch: when true, behave as if ``langchain-core`` were not installed."""

_get_id = attrgetter("id")


class RemoveMessageDict(dict[str, Any]):
    """Dict-world marker that deletes the message with the given id.

    It is a plain dict ``{"role": "remove", "content": "", "id": id}``, so it
    also converts to LangChain's ``RemoveMessage`` when ``langchain-core`` is
    installed. Pass ``REMOVE_ALL_MESSAGES`` as the id to drop every earlier
    message.

    Args:
        id: Id of the message to delete.
    """

    def __init__(self, id: str) -> None:
        super().__init__(role=_REMOVE, content="", id=id)


# --------------------------------------------------------------------------
# LangChain world


class _LangChain:
    """The pieces of ``langchain_core.messages`` the reducer uses."""

    def __init__(self) -> None:
        from langchain_core import messages as lc

        self.module = lc
        self.BaseMessage: type[Any] = lc.BaseMessage
        self.BaseMessageChunk: type[Any] = lc.BaseMessageChunk
        self.RemoveMessage: type[Any] = lc.RemoveMessage
        self.convert_to_messages: Callable[[Any], list[Any]] = lc.convert_to_messages
        self.chunk_to_message: Callable[[Any], Any] = lc.message_chunk_to_message
        # type -> "is a message that needs no conversion"
        self.plain: dict[type[Any], bool] = {}

    def is_plain(self, t: type[Any]) -> bool:
        """Tell whether instances of ``t`` are messages needing no conversion."""
        known = self.plain.get(t)
        if known is None:
            known = issubclass(t, self.BaseMessage) and not issubclass(
                t, self.BaseMessageChunk
            )
            self.plain[t] = known
        return known

    def coerce(self, messages: list[Any]) -> list[Any]:
        """Turn message-likes into messages, returning ``messages`` if all are."""
        if all(map(self.is_plain, set(map(type, messages)))):
            return messages
        chunk_to_message = self.chunk_to_message
        return [chunk_to_message(m) for m in self.convert_to_messages(messages)]


_langchain_api: _LangChain | None = None
_langchain_missing = False


def _langchain() -> _LangChain | None:
    """Return the LangChain helpers, or None when the dict world applies."""
    global _langchain_api, _langchain_missing
    if _FORCE_DICTS or _langchain_missing:
        return None
    if _langchain_api is None:
        try:
            _langchain_api = _LangChain()
        except ModuleNotFoundError as e:
            # Only a missing langchain-core selects the dict world; a broken
            # install (say, a missing dependency of it) is an error to show.
            if (e.name or "").partition(".")[0] != "langchain_core":
                raise
            _langchain_missing = True
            return None
    return _langchain_api


def _require_langchain(what: str) -> _LangChain:
    api = _langchain()
    if api is None:
        raise ImportError(
            f"{what} requires langchain-core; install it with "
            "`pip install 'stategraph[langchain]'`."
        )
    return api


def _fill_ids(left: list[Any]) -> list[Any]:
    """Return the ids of ``left``, giving (in place, as LangGraph does) any missing."""
    ids = list(map(_get_id, left))
    if None in ids:
        for i, mid in enumerate(ids):
            if mid is None:
                ids[i] = left[i].id = _new_id()
    return ids


def _right_ids(
    api: _LangChain, right: list[Any]
) -> tuple[list[Any], list[bool], int | None]:
    """Give missing ids to ``right``; find its removals and last remove-all."""
    remove_cls = api.RemoveMessage
    right_ids: list[Any] = []
    removes: list[bool] = []
    remove_all: int | None = None
    for i, m in enumerate(right):
        mid = m.id
        if mid is None:
            mid = m.id = _new_id()
        right_ids.append(mid)
        is_remove = isinstance(m, remove_cls)
        removes.append(is_remove)
        if is_remove and mid == REMOVE_ALL_MESSAGES:
            remove_all = i
    return right_ids, removes, remove_all


def _reduce_langchain(
    api: _LangChain, left: list[Any], right: list[Any], format: Any
) -> list[Any]:
    known = _claim(left, api)
    if known is None:
        left = api.coerce(left)
    right = api.coerce(right)
    ids = _fill_ids(left) if known is None else known.ids
    right_ids, removes, remove_all = _right_ids(api, right)
    if remove_all is not None:
        return right[remove_all + 1 :]
    index = None if known is None else known.index
    merged, ids, index = _merge(
        left, ids, index, right, right_ids, removes, _get_id, may_scan=known is None
    )
    if format == "langchain-openai":
        from langchain_core.messages import convert_to_openai_messages

        return api.convert_to_messages(convert_to_openai_messages(merged))
    if format:
        raise _bad_format(format)
    _remember(merged, ids, index, api)
    return merged


# --------------------------------------------------------------------------
# Public API


@overload
def add_messages(
    left: Messages, right: Messages, *, format: MessagesFormat = None
) -> list[Any]: ...


@overload
def add_messages(
    left: None = None, right: None = None, *, format: MessagesFormat = None
) -> Callable[[Messages, Messages], list[Any]]: ...


def add_messages(
    left: Messages | None = None,
    right: Messages | None = None,
    *,
    format: MessagesFormat = None,
) -> list[Any] | Callable[[Messages, Messages], list[Any]]:
    """Merge two lists of messages, replacing messages that share an id.

    Both sides may be a single message-like or a list of them. Messages
    without an id get a fresh UUID; a message from ``right`` whose id is
    already present replaces that message in place, a removal message
    deletes it (or, with id ``REMOVE_ALL_MESSAGES``, drops everything written
    before it) and any other message is appended.

    With ``langchain-core`` installed the result holds LangChain messages,
    exactly as LangGraph's reducer returns them; without it, it holds dicts
    ``{"role": ..., "content": ..., "id": ...}``.

    Called with keyword arguments only, it returns the reducer with those
    options bound, for ``Annotated[list, add_messages(format=...)]``.

    Args:
        left: The current messages.
        right: The messages to merge into ``left``.
        format: ``"langchain-openai"`` reformats the merged messages the way
            OpenAI expects them (needs ``langchain-core``); ``None`` leaves
            them as they are.

    Returns:
        A new list with ``right`` merged into ``left``, or, when neither is
        given, the reducer with ``format`` bound.

    Raises:
        ValueError: When only one side is given, a removal targets an unknown
            id, or ``format`` is not recognised.
        ImportError: When ``format="langchain-openai"`` is asked for without
            ``langchain-core``.

    Example:
        ```python
        add_messages([("user", "Hi")], [("assistant", "Hello")])
        # [HumanMessage(content='Hi', id='...'), AIMessage(content='Hello', id='...')]
        ```
    """
    if left is None or right is None:
        if left is None and right is None:
            return partial(add_messages, format=format)
        raise ValueError(
            "Must specify non-null arguments for both 'left' and 'right'. Only "
            f"received: '{'left' if left else 'right'}'."
        )
    if not isinstance(left, list):
        left = [left]
    if not isinstance(right, list):
        right = [right]
    api = _langchain()
    if api is None:
        return _reduce_dicts(left, right, format)
    return _reduce_langchain(api, left, right, format)


class MessagesState(TypedDict):
    """State with a single ``messages`` key merged by ``add_messages``.

    Attributes:
        messages: The conversation so far.
    """

    messages: Annotated[list[_AnyMessage], add_messages]


def push_message(message: Any, *, state_key: str | None = "messages") -> Any:
    """Write a message from inside a running node.

    The message is converted like ``add_messages`` converts its input, except
    that no id is assigned, and is then written to ``state_key`` (unless that
    is ``None``) as if the node had returned it.

    Args:
        message: A message-like value; it must carry an id.
        state_key: The state key to write the message to, or ``None`` to only
            return it.

    Returns:
        The converted message.

    Raises:
        RuntimeError: When called outside a running graph.
        ValueError: When the message has no id.
    """
    config = get_config()
    api = _langchain()
    if api is None:
        converted = _to_dict(message, assign_id=False)
        mid = converted.get("id")
    else:
        converted = api.convert_to_messages([message])[0]
        mid = converted.id
    if mid is None:
        raise ValueError("Message ID is required")
    from stategraph._engine._messages import push

    push(converted)
    if state_key:
        config[CONF][CONFIG_KEY_SEND]([(state_key, converted)])
    return converted
