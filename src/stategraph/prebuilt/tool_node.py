"""Running tools as a graph node (LangGraph's ``langgraph.prebuilt.tool_node``)."""

from __future__ import annotations

from stategraph.prebuilt._injection import (
    InjectedState as InjectedState,
    InjectedStore as InjectedStore,
    ToolRuntime as ToolRuntime,
)
from stategraph.prebuilt._tool_call import (
    AsyncToolCallWrapper as AsyncToolCallWrapper,
    ToolCallRequest as ToolCallRequest,
    ToolCallWithContext as ToolCallWithContext,
    ToolCallWrapper as ToolCallWrapper,
)
from stategraph.prebuilt._tool_errors import (
    INVALID_TOOL_NAME_ERROR_TEMPLATE as INVALID_TOOL_NAME_ERROR_TEMPLATE,
    TOOL_CALL_ERROR_TEMPLATE as TOOL_CALL_ERROR_TEMPLATE,
    TOOL_EXECUTION_ERROR_TEMPLATE as TOOL_EXECUTION_ERROR_TEMPLATE,
    TOOL_INVOCATION_ERROR_TEMPLATE as TOOL_INVOCATION_ERROR_TEMPLATE,
    ToolInvocationError as ToolInvocationError,
    msg_content_output as msg_content_output,
)
from stategraph.prebuilt._tool_node import (
    ToolNode as ToolNode,
    tools_condition as tools_condition,
)

__all__ = (
    "ToolNode",
    "tools_condition",
    "InjectedState",
    "InjectedStore",
    "ToolRuntime",
    "ToolCallRequest",
    "ToolCallWrapper",
    "AsyncToolCallWrapper",
    "ToolCallWithContext",
    "ToolInvocationError",
    "msg_content_output",
    "INVALID_TOOL_NAME_ERROR_TEMPLATE",
    "TOOL_CALL_ERROR_TEMPLATE",
    "TOOL_EXECUTION_ERROR_TEMPLATE",
    "TOOL_INVOCATION_ERROR_TEMPLATE",
)
