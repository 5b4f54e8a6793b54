"""Names of ``graph.message`` resolved on first access.

``MessageGraph`` (built on first use so ``StateGraph`` loads lazily) and the
names LangGraph re-exports from ``langchain_core.messages``.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any

from stategraph.graph._messages import (
    RemoveMessageDict,
    _AnyMessage,
    _langchain,
    add_messages,
)
from stategraph.warnings import LangGraphDeprecatedSinceV10

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
