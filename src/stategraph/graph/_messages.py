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

import os
import uuid
import warnings
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import partial
from operator import attrgetter
from typing import Annotated, Any, Literal, TypeAlias, overload

from typing_extensions import TypedDict

from stategraph._config import get_config
from stategraph._constants import CONF, CONFIG_KEY_SEND
from stategraph.warnings import LangGraphDeprecatedSinceV10

REMOVE_ALL_MESSAGES = "__remove_all__"
"""Id of a removal marker that drops every message written before it."""

_AnyMessage: TypeAlias = Any
"""Stand-in for LangChain's ``AnyMessage`` that needs no import to resolve."""

Messages: TypeAlias = Any
"""A message-like value, or a list of them (message, dict, tuple or string)."""

MessagesFormat: TypeAlias = Literal["langchain-openai"] | None

_FORCE_DICTS = False
"""Test switch: when true, behave as if ``langchain-core`` were not installed."""

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

# Names LangGraph's ``message`` module exposes from ``langchain_core.messages``.
_LANGCHAIN_NAMES = frozenset(
    {
        "AnyMessage",
        "BaseMessage",
        "BaseMessageChunk",
        "MessageLikeRepresentation",
        "RemoveMessage",
        "convert_to_messages",
        "message_chunk_to_message",
    }
)

_get_id = attrgetter("id")


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


def _bad_format(format: Any) -> ValueError:
    return ValueError(
        f"Unrecognized {format=}. Expected one of 'langchain-openai', None."
    )


# --------------------------------------------------------------------------
# Dict world


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
        _require_langchain("add_messages(format='langchain-openai')")
    if format:
        raise _bad_format(format)
    _remember(merged, ids, index, _DICT_WORLD)
    return merged


def _get_dict_id(m: dict[str, Any]) -> Any:
    return m["id"]


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
    return (
        len(right_ids) <= 4
        and not any(removes)
        and len(set(right_ids)) == len(right_ids)
        and all(rid not in ids for rid in right_ids)
    )


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


# --------------------------------------------------------------------------
# Lazily resolved names

_message_graph: type[Any] | None = None

_MESSAGE_GRAPH_DOC = """A ``StateGraph`` whose whole state is one list of messages.

    Deprecated: use ``StateGraph`` with ``MessagesState`` (a ``messages`` key)
    instead. Every node receives the list of messages and returns one or more
    messages, which ``add_messages`` merges into the list.
    """


def _make_message_graph() -> type[Any]:
    """Build ``MessageGraph`` on first use, so ``StateGraph`` loads lazily."""
    global _message_graph
    if _message_graph is None:
        import importlib

        base: type[Any] = importlib.import_module(
            "stategraph.graph._builder"
        ).StateGraph

        def __init__(self: Any) -> None:
            warnings.warn(
                "MessageGraph is deprecated in LangGraph v1.0.0, to be removed in "
                "v2.0.0. Please use StateGraph with a `messages` key instead.",
                LangGraphDeprecatedSinceV10,
                stacklevel=2,
            )
            base.__init__(self, Annotated[list[_AnyMessage], add_messages])

        __init__.__qualname__ = "MessageGraph.__init__"
        _message_graph = type(
            "MessageGraph",
            (base,),
            {
                "__init__": __init__,
                "__doc__": _MESSAGE_GRAPH_DOC,
                "__module__": "stategraph.graph.message",
            },
        )
    return _message_graph


def __getattr__(name: str) -> Any:
    """Resolve ``MessageGraph`` and LangChain names on first access."""
    if name == "MessageGraph":
        return _make_message_graph()
    if name in _LANGCHAIN_NAMES:
        api = _langchain()
        if api is not None:
            return getattr(api.module, name)
        if name == "RemoveMessage":
            return RemoveMessageDict
        if name == "AnyMessage":
            return _AnyMessage
        raise AttributeError(
            f"{name!r} needs langchain-core; install it with "
            "`pip install 'stategraph[langchain]'`."
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
