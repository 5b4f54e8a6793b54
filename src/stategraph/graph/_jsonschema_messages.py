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

from typing_extensions import NotRequired, Required, TypedDict

from stategraph.channels import BinaryOperatorAggregate


def message_list_type(channel: Any) -> Any:
    """LangGraph's type of an untyped message-list channel, else ``None``.

    Args:
        channel: A channel of a graph (any object).

    Returns:
        ``list[AnyMessage]`` (LangChain's) for an ``add_messages`` channel
        typed ``list[Any]``, when LangChain messages are in use; ``None``
        otherwise.
    """
    from stategraph.graph._messages import _langchain, add_messages

    if not isinstance(channel, BinaryOperatorAggregate):
        return None
    hint = channel.UpdateType
    metadata = getattr(hint, "__metadata__", ())
    if channel.operator is not add_messages or _plain(hint) != list[Any]:
        return None
    api = _langchain()
    if api is None:  # dict-world messages: no model describes them
        return None
    retyped = list[api.module.AnyMessage]  # type: ignore[name-defined]
    return Annotated[(retyped, *metadata)] if metadata else retyped


def update_type(channel: Any) -> Any:
    """The type a schema gives a channel's updates (message lists retyped)."""
    retyped = message_list_type(channel)
    return channel.UpdateType if retyped is None else retyped


def _plain(hint: Any) -> Any:
    return hint.__origin__ if get_origin(hint) is Annotated else hint


def _field(hint: Any, retyped: Any, required: bool) -> Any:
    # pydantic takes a Required/NotRequired wrapper over the class's required
    # keys (which miss wrappers written as strings), so a wrapper is kept.
    wrapper = get_origin(hint)
    if wrapper in (Required, NotRequired):
        return hint if retyped is None else wrapper[retyped]
    hint = hint if retyped is None else retyped
    return Required[hint] if required else NotRequired[hint]


def retyped_typeddict(td: Any, channels: dict[str, Any]) -> Any:
    """``td``, or a copy of it whose message lists have LangGraph's type.

    The copy keeps the name, module, required keys and field order, so
    pydantic describes it as it would describe LangGraph's class. Our own
    ``MessagesState`` loses its docstring: LangGraph's has none, so its schema
    has no ``description``.

    Args:
        td: A ``TypedDict`` class used as a graph schema.
        channels: The builder's channels, by key.
    """
    from stategraph.graph._messages import MessagesState

    overrides = {
        key: retyped
        for key in td.__annotations__
        if (retyped := message_list_type(channels.get(key))) is not None
    }
    if not overrides and td is not MessagesState:
        return td
    required = td.__required_keys__
    fields = {
        key: _field(hint, overrides.get(key), key in required)
        for key, hint in get_type_hints(td, include_extras=True).items()
    }
    make: Any = TypedDict  # the functional form, with a name known only now
    copy = make(td.__name__, fields)
    copy.__doc__ = None if td is MessagesState else td.__doc__
    copy.__module__ = td.__module__
    copy.__qualname__ = td.__qualname__
    if (config := getattr(td, "__pydantic_config__", None)) is not None:
        copy.__pydantic_config__ = config
    return copy
