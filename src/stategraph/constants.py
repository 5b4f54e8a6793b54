"""Public constants (LangGraph's ``langgraph.constants``)."""

from stategraph._constants import (
    CONF as CONF,
    END as END,
    START as START,
    TAG_HIDDEN as TAG_HIDDEN,
    TAG_NOSTREAM as TAG_NOSTREAM,
    TASKS as TASKS,
)

CONFIG_KEY_CHECKPOINTER = "__pregel_checkpointer"

__all__ = (
    "END",
    "START",
    "TAG_NOSTREAM",
    "TAG_HIDDEN",
    "CONF",
    "TASKS",
    "CONFIG_KEY_CHECKPOINTER",
)
