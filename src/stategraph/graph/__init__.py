"""Graph builders: ``StateGraph``, ``START``/``END``, ``MessagesState``."""

from stategraph._constants import END as END, START as START
from stategraph.graph._builder import StateGraph as StateGraph
from stategraph.graph.message import (
    MessageGraph as MessageGraph,
    MessagesState as MessagesState,
    add_messages as add_messages,
)

__all__ = (
    "END",
    "START",
    "StateGraph",
    "add_messages",
    "MessagesState",
    "MessageGraph",
)
