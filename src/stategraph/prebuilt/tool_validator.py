"""Tool-call validation node (LangGraph's ``langgraph.prebuilt.tool_validator``)."""

from __future__ import annotations

# The runnable and warning class are importable here as in LangGraph's module.
from stategraph.prebuilt._runnable import RunnableCallable as RunnableCallable
from stategraph.prebuilt._validation import ValidationNode as ValidationNode
from stategraph.warnings import (
    LangGraphDeprecatedSinceV10 as LangGraphDeprecatedSinceV10,
)

__all__ = ["ValidationNode"]
