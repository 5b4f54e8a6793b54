"""Message-list state: the ``add_messages`` reducer and ``MessagesState``.

Mirrors ``langgraph.graph.message``. ``MessageGraph`` and the names LangGraph
re-exports from ``langchain_core.messages`` (``RemoveMessage``,
``AnyMessage``, ...) resolve on first access, so importing this module never
imports ``langchain-core`` or the graph builder.
"""

from __future__ import annotations

from stategraph.graph._delta_messages import (
    _messages_delta_reducer as _messages_delta_reducer,
)
from stategraph.graph._message_lazy import __getattr__ as __getattr__
from stategraph.graph._messages import (
    Messages as Messages,
    MessagesState as MessagesState,
    RemoveMessageDict as RemoveMessageDict,
    add_messages as add_messages,
    push_message as push_message,
)
from stategraph.graph._messages_merge import (
    REMOVE_ALL_MESSAGES as REMOVE_ALL_MESSAGES,
)

__all__ = (
    "add_messages",
    "MessagesState",
    "MessageGraph",  # noqa: F822 (resolved by __getattr__)
    "REMOVE_ALL_MESSAGES",
)
