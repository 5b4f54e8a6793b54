"""Prebuilt agents and tool nodes (LangGraph's ``langgraph.prebuilt``).

Needs the ``langchain`` extra: these build on langchain-core's chat models,
messages and tools. The core packages never import this one.
"""

from __future__ import annotations

from stategraph.prebuilt._injection import (
    InjectedState as InjectedState,
    InjectedStore as InjectedStore,
    ToolRuntime as ToolRuntime,
)
from stategraph.prebuilt._react import create_react_agent as create_react_agent
from stategraph.prebuilt._tool_call_transformer import (
    ToolCallTransformer as ToolCallTransformer,
)
from stategraph.prebuilt._tool_node import (
    ToolNode as ToolNode,
    tools_condition as tools_condition,
)
from stategraph.prebuilt._validation import ValidationNode as ValidationNode

__all__ = [
    "create_react_agent",
    "ToolNode",
    "tools_condition",
    "ValidationNode",
    "InjectedState",
    "InjectedStore",
    "ToolRuntime",
    "ToolCallTransformer",
]
