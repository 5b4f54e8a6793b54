"""Message lists in JSON schemas, described the way LangGraph describes them.

``MessagesState`` (and ``MessageGraph``) type their message list as
``list[Any]`` so that importing them never imports ``langchain-core``.
LangGraph types the same key ``list[AnyMessage]``, so its schemas carry
LangChain's message models (``AIMessage``, ``HumanMessage``, ...) as item
schemas, which Studio and MCP clients rely on. When a schema is asked for and
``langchain-core`` is installed (and not switched off), such keys get
LangGraph's type; a graph without a message list never imports it.
"""

from __future__ import annotations

from typing import Annotated, Any, get_origin, get_type_hints
from weakref import WeakKeyDictionary

from typing_extensions import NotRequired, Required, TypedDict, is_typeddict


def _untyped_message_list(hint: Any) -> bool:
    """Tell whether ``hint`` is ``Annotated[list[Any], add_messages, ...]``."""
    if get_origin(hint) is not Annotated or hint.__origin__ != list[Any]:
        return False
    from stategraph.graph._messages import add_messages

    return any(m is add_messages for m in hint.__metadata__)


def message_list_type(hint: Any) -> Any:
    """LangGraph's type for an untyped message list, else ``None``.

    Args:
        hint: A type hint (any object).

    Returns:
        ``Annotated[list[AnyMessage], ...]`` (LangChain's ``AnyMessage``, the
        same metadata) for ``Annotated[list[Any], add_messages, ...]`` when
        LangChain messages are in use; ``None`` otherwise.
    """
    if not _untyped_message_list(hint):
        return None
    from stategraph.graph._messages import _langchain

    api = _langchain()
    if api is None:  # dict-world messages: no model describes them
        return None
    retyped = list[api.module.AnyMessage]  # type: ignore[name-defined]
    return Annotated[(retyped, *hint.__metadata__)]


def langgraph_type(hint: Any) -> Any:
    """``hint`` as LangGraph declares it: message lists typed, at the top.

    Args:
        hint: A type hint: a message list, a ``TypedDict`` holding one (such
            as ``MessagesState``), or anything else (returned as it is).
    """
    if is_typeddict(hint):
        return retyped_typeddict(hint)
    retyped = message_list_type(hint)
    return hint if retyped is None else retyped


def update_type(channel: Any) -> Any:
    """The type a schema gives a channel's updates (message lists retyped)."""
    return langgraph_type(channel.UpdateType)


def _unwrapped(hint: Any) -> Any:
    return hint.__args__[0] if get_origin(hint) in (Required, NotRequired) else hint


def _field(hint: Any, retyped: Any, required: bool) -> Any:
    # pydantic takes a Required/NotRequired wrapper over the class's required
    # keys (which miss wrappers written as strings), so a wrapper is kept.
    wrapper = get_origin(hint)
    if wrapper in (Required, NotRequired):
        return hint if retyped is None else wrapper[retyped]
    hint = hint if retyped is None else retyped
    return Required[hint] if required else NotRequired[hint]


# Per class: whether it holds no untyped message list ("plain"), and the copy
# made with and without LangChain messages in use (``None``: the class itself,
# not kept here so that the class can be collected). A stable copy lets the
# model caches reuse their work across requests.
_copies: WeakKeyDictionary[Any, dict[object, Any]] = WeakKeyDictionary()


def retyped_typeddict(td: Any) -> Any:
    """``td``, or a cached copy of it whose message lists have LangGraph's type.

    Only a class holding a message list looks LangChain up (and imports it).

    Args:
        td: A ``TypedDict`` class.
    """
    try:
        made = _copies.setdefault(td, {})
    except TypeError:  # not weakly referenceable: not cached
        return _retyped_typeddict(td)
    if "plain" not in made:
        made["plain"] = not _holds_message_lists(td)
    if made["plain"]:
        return td
    from stategraph.graph._messages import _langchain

    langchain = _langchain() is not None
    if langchain not in made:
        copy = _retyped_typeddict(td)
        made[langchain] = None if copy is td else copy
    return td if made[langchain] is None else made[langchain]


def _hints(td: Any) -> dict[str, Any] | None:
    try:
        return get_type_hints(td, include_extras=True)
    except (NameError, TypeError):  # pydantic may resolve what this cannot
        return None


def _holds_message_lists(td: Any) -> bool:
    from stategraph.graph._messages import MessagesState

    if td is MessagesState:
        return True
    hints = _hints(td)
    return hints is not None and any(
        _untyped_message_list(_unwrapped(h)) for h in hints.values()
    )


def _retyped_typeddict(td: Any) -> Any:
    """``td``, or a copy of it whose message lists have LangGraph's type.

    The copy keeps the name, module, required keys and field order, so
    pydantic describes it as it would describe LangGraph's class. Our own
    ``MessagesState`` loses its docstring: LangGraph's has none, so its schema
    has no ``description``.

    Args:
        td: A ``TypedDict`` class.
    """
    from stategraph.graph._messages import MessagesState

    hints = _hints(td)
    if hints is None:
        return td
    overrides = {
        key: retyped
        for key, hint in hints.items()
        if (retyped := message_list_type(_unwrapped(hint))) is not None
    }
    if not overrides and td is not MessagesState:
        return td
    required = td.__required_keys__
    fields = {
        key: _field(hint, overrides.get(key), key in required)
        for key, hint in hints.items()
    }
    make: Any = TypedDict  # the functional form, with a name known only now
    copy = make(td.__name__, fields)
    copy.__doc__ = None if td is MessagesState else td.__doc__
    copy.__module__ = td.__module__
    copy.__qualname__ = td.__qualname__
    if (config := getattr(td, "__pydantic_config__", None)) is not None:
        copy.__pydantic_config__ = config
    return copy
