"""Running tools as a graph node (LangGraph's ``langgraph.prebuilt.tool_node``).

Also carries LangGraph's private helpers under their names, for ported tests.
"""

from __future__ import annotations

# Names LangGraph's module imports and user code imports from it in turn.
from stategraph._runtime import (
    ExecutionInfo as ExecutionInfo,
    ServerInfo as ServerInfo,
)
from stategraph.errors import (
    GraphBubbleUp as GraphBubbleUp,
    is_invalid_resume as is_invalid_resume,
)
from stategraph.prebuilt._injection import (
    ContextT as ContextT,
    InjectedState as InjectedState,
    InjectedStore as InjectedStore,
    StateT as StateT,
    ToolRuntime as ToolRuntime,
    _InjectedArgs as _InjectedArgs,
    get_all_injected_args as _get_all_injected_args,  # noqa: F401  # LangGraph's
)
from stategraph.prebuilt._runnable import RunnableCallable as RunnableCallable
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
    _default_handle_tool_errors as _default_handle_tool_errors,
    _infer_handled_types as _infer_handled_types,
    error_content as _handle_tool_error,  # noqa: F401  # LangGraph's private name
    filter_validation_errors as _filter_validation_errors,  # noqa: F401  # same
    msg_content_output as msg_content_output,
)
from stategraph.prebuilt._tool_node import (
    ToolNode as ToolNode,
    tools_condition as tools_condition,
)
from stategraph.store.base import BaseStore as BaseStore
from stategraph.types import Command as Command, Send as Send

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
