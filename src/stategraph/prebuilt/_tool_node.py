"""``ToolNode``: runs the tool calls of the last AI message, in parallel.

Parsing the input, building each call's ``ToolRuntime``, error handling and the
interceptor protocol live here; what tools may return is checked in
``_tool_output`` and injection is done by ``_injection``.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence
from typing import Any, Literal, cast

from langchain_core.messages import AIMessage, AnyMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list, get_executor_for_config
from langchain_core.tools import BaseTool, tool as create_tool
from pydantic import BaseModel, ValidationError

from stategraph.errors import GraphBubbleUp, is_invalid_resume
from stategraph.prebuilt._injection import (
    ToolRuntime,
    _InjectedArgs,
    get_all_injected_args,
    inject_tool_args,
)
from stategraph.prebuilt._runnable import RunnableCallable
from stategraph.prebuilt._tool_call import (
    AsyncToolCallWrapper,
    ToolCallRequest,
    ToolCallWrapper,
)
from stategraph.prebuilt._tool_compat import install_command_passthrough
from stategraph.prebuilt._tool_errors import (
    INVALID_TOOL_NAME_ERROR_TEMPLATE,
    ErrorHandling,
    ToolInvocationError,
    _default_handle_tool_errors,
    error_content,
    filter_validation_errors,
    handled_types,
)
from stategraph.prebuilt._tool_output import (
    InputType,
    Output,
    combine_tool_outputs,
    normalize_tool_response,
)
from stategraph.prebuilt._tool_state import extract_state
from stategraph.runtime import Runtime

install_command_passthrough()

Result = Output | list[Output]


class ToolNode(RunnableCallable):
    """A graph node that runs the tool calls of the latest ``AIMessage``.

    Input is a state with a ``messages_key`` list, a list of messages, a list of
    tool calls, or a ``ToolCallWithContext`` sent with ``Send``. Output is
    ``{messages_key: [ToolMessage, ...]}`` (a bare list for list input), or a list
    mixing updates and the ``Command``s tools returned.

    Args:
        tools: Tools, or plain functions turned into tools.
        name: Name of the node.
        tags: Tags of the node.
        handle_tool_errors: Which tool errors become an error ``ToolMessage``
            instead of failing the run: ``True`` (all), a message string (all,
            with that text), an exception type or tuple of them, a callable
            ``(exception) -> str`` (the types its annotation names), or ``False``.
            The default handles only bad arguments from the model
            (``ToolInvocationError``).
        messages_key: State key holding the messages, read and written.
        wrap_tool_call: Interceptor ``(request, execute) -> ToolMessage | Command``
            around each call; it may retry, rewrite or answer calls itself.
        awrap_tool_call: Async interceptor; the async API falls back to
            ``wrap_tool_call`` when it is not given.

    Example:
        ``builder.add_node("tools", ToolNode([search]))``
    """

    name: str | None = "tools"
    _graph_node_id = ("langgraph", "prebuilt", "tool_node", "ToolNode")

    def __init__(
        self,
        tools: Sequence[BaseTool | Callable[..., Any]],
        *,
        name: str = "tools",
        tags: list[str] | None = None,
        handle_tool_errors: ErrorHandling = _default_handle_tool_errors,
        messages_key: str = "messages",
        wrap_tool_call: ToolCallWrapper | None = None,
        awrap_tool_call: AsyncToolCallWrapper | None = None,
    ) -> None:
        super().__init__(self._func, self._afunc, name=name, tags=tags, trace=False)
        self._tools_by_name: dict[str, BaseTool] = {}
        self._injected_args: dict[str, _InjectedArgs] = {}
        self._handle_tool_errors = handle_tool_errors
        self._messages_key = messages_key
        self._wrap_tool_call = wrap_tool_call
        self._awrap_tool_call = awrap_tool_call
        for item in tools:
            tool_ = item if isinstance(item, BaseTool) else create_tool(item)
            self._tools_by_name[tool_.name] = tool_
            self._injected_args[tool_.name] = get_all_injected_args(tool_)

    @property
    def tools_by_name(self) -> dict[str, BaseTool]:
        """The node's tools by name."""
        return self._tools_by_name

    def _requests(
        self, input: Any, config: RunnableConfig, runtime: Runtime[Any]
    ) -> tuple[list[ToolCallRequest], InputType]:
        """One request per tool call, each with its own ``ToolRuntime``."""
        calls, input_type = self._parse_input(input)
        requests = []
        for call, cfg in zip(calls, get_config_list(config, len(calls)), strict=False):
            state = extract_state(input, cfg)
            tool_runtime: ToolRuntime[Any, Any] = ToolRuntime(
                state=state,
                tool_call_id=call["id"],
                config=cfg,
                context=runtime.context,
                store=runtime.store,
                stream_writer=runtime.stream_writer,
                tools=list(self._tools_by_name.values()),  # each call its own list
                execution_info=runtime.execution_info,
                server_info=runtime.server_info,
            )
            tool = self._tools_by_name.get(call["name"])
            requests.append(ToolCallRequest(call, tool, state, tool_runtime))
        return requests, input_type

    def _func(self, input: Any, config: RunnableConfig, runtime: Runtime[Any]) -> Any:
        requests, input_type = self._requests(input, config, runtime)
        if len(requests) == 1:
            # One call needs no pool; a copied context keeps the isolation a
            # worker thread would give (context variables the tool sets stay
            # inside it).
            run = contextvars.copy_context().run
            outputs = [run(self._run_one, requests[0], input_type)]
        else:
            with get_executor_for_config(config) as executor:
                outputs = list(
                    executor.map(self._run_one, requests, [input_type] * len(requests))
                )
        return combine_tool_outputs(outputs, input_type, self._messages_key)

    async def _afunc(
        self, input: Any, config: RunnableConfig, runtime: Runtime[Any]
    ) -> Any:
        requests, input_type = self._requests(input, config, runtime)
        outputs = await asyncio.gather(
            *(self._arun_one(request, input_type) for request in requests)
        )
        return combine_tool_outputs(list(outputs), input_type, self._messages_key)

    def _prepare(self, request: ToolCallRequest) -> ToolMessage | tuple[BaseTool, Any]:
        """The tool and its arguments, or the error message for an unknown tool."""
        call, tool = request.tool_call, request.tool
        if tool is None:
            if invalid := self._validate_tool_call(call):
                return invalid
            raise TypeError(f"Tool {call['name']} is not registered with ToolNode")
        injected = self._injected_args.get(call["name"]) or (
            get_all_injected_args(tool)
        )
        call = inject_tool_args(call, request.runtime, injected, self._messages_key)
        return tool, {**call, "type": "tool_call"}

    def _invocation_error(self, exc: ValidationError, call: ToolCall) -> Exception:
        if is_invalid_resume(exc):
            # A resume value that fails an interrupt's schema is not a bad tool
            # argument: the run must fail so the interrupt can be answered again.
            return exc
        filtered = filter_validation_errors(exc, self._injected_args.get(call["name"]))
        return ToolInvocationError(call["name"], exc, call["args"], filtered)

    def _error_message(
        self, e: Exception, call: ToolCall, *, typed: bool
    ) -> ToolMessage:
        """The error message for ``e``, or re-raise it when it is not handled.

        ``typed`` applies the handled-types filter; errors raised by an
        interceptor skip it, as in LangGraph.
        """
        flag = self._handle_tool_errors
        if not flag or is_invalid_resume(e):
            raise e
        if typed and not isinstance(e, handled_types(flag)):
            raise e
        return ToolMessage(
            content=error_content(e, flag=flag),
            name=call["name"],
            tool_call_id=call["id"],
            status="error",
        )

    def _execute_tool_sync(
        self, request: ToolCallRequest, input_type: InputType, config: RunnableConfig
    ) -> Result:
        prepared = self._prepare(request)
        if isinstance(prepared, ToolMessage):
            return prepared
        tool, args = prepared
        call = request.tool_call
        try:
            try:
                response = tool.invoke(args, config)
            except ValidationError as exc:
                raise self._invocation_error(exc, call) from exc
            return normalize_tool_response(
                response, call, input_type, self._messages_key
            )
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._error_message(e, call, typed=True)

    async def _execute_tool_async(
        self, request: ToolCallRequest, input_type: InputType, config: RunnableConfig
    ) -> Result:
        prepared = self._prepare(request)
        if isinstance(prepared, ToolMessage):
            return prepared
        tool, args = prepared
        call = request.tool_call
        try:
            try:
                response = await tool.ainvoke(args, config)
            except ValidationError as exc:
                raise self._invocation_error(exc, call) from exc
            return normalize_tool_response(
                response, call, input_type, self._messages_key
            )
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._error_message(e, call, typed=True)

    def _run_one(self, request: ToolCallRequest, input_type: InputType) -> Result:
        config = request.runtime.config
        if self._wrap_tool_call is None:
            return self._execute_tool_sync(request, input_type, config)

        def execute(req: ToolCallRequest) -> Any:
            return self._execute_tool_sync(req, input_type, config)

        try:
            return self._wrap_tool_call(request, execute)
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._error_message(e, request.tool_call, typed=False)

    async def _arun_one(
        self, request: ToolCallRequest, input_type: InputType
    ) -> Result:
        config = request.runtime.config
        if self._awrap_tool_call is None and self._wrap_tool_call is None:
            return await self._execute_tool_async(request, input_type, config)

        async def execute(req: ToolCallRequest) -> Any:
            return await self._execute_tool_async(req, input_type, config)

        def sync_execute(req: ToolCallRequest) -> Any:
            return self._execute_tool_sync(req, input_type, config)

        try:
            if self._awrap_tool_call is not None:
                return await self._awrap_tool_call(request, execute)
            wrap = cast("ToolCallWrapper", self._wrap_tool_call)
            return wrap(request, sync_execute)
        except GraphBubbleUp:
            raise
        except Exception as e:
            return self._error_message(e, request.tool_call, typed=False)

    def _parse_input(self, input: Any) -> tuple[list[ToolCall], InputType]:
        messages: Any
        if isinstance(input, list):
            if isinstance(input[-1], dict) and input[-1].get("type") == "tool_call":
                return cast("list[ToolCall]", input), "tool_calls"
            input_type: InputType = "list"
            messages = input
        elif (
            isinstance(input, dict) and input.get("__type") == "tool_call_with_context"
        ):
            return [input["tool_call"]], "tool_calls"
        elif (
            isinstance(input, dict) and (messages := input.get(self._messages_key))
        ) or (messages := getattr(input, self._messages_key, [])):
            # a dict state, or an object state with the messages attribute
            input_type = "dict"
        else:
            raise ValueError("No message found in input")
        latest = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        if latest is None:
            raise ValueError("No AIMessage found in input")
        return list(latest.tool_calls), input_type

    def _validate_tool_call(self, call: ToolCall) -> ToolMessage | None:
        requested = call["name"]
        if requested in self._tools_by_name:
            return None
        content = INVALID_TOOL_NAME_ERROR_TEMPLATE.format(
            requested_tool=requested,
            available_tools=", ".join(self._tools_by_name),
        )
        return ToolMessage(
            content, name=requested, tool_call_id=call["id"], status="error"
        )

    def _inject_tool_args(
        self,
        tool_call: ToolCall,
        tool_runtime: ToolRuntime[Any, Any],
        tool: BaseTool | None = None,
    ) -> ToolCall:
        """Fill in the injected arguments of ``tool_call`` (LangGraph's private API)."""
        injected = self._injected_args.get(tool_call["name"])
        if not injected and tool is not None:
            injected = get_all_injected_args(tool)
        return inject_tool_args(tool_call, tool_runtime, injected, self._messages_key)


def tools_condition(
    state: list[AnyMessage] | dict[str, Any] | BaseModel,
    messages_key: str = "messages",
) -> Literal["tools", "__end__"]:
    """Route to ``"tools"`` when the last message has tool calls, else to the end.

    Args:
        state: The graph state (dict, object) or a list of messages.
        messages_key: Key or attribute holding the messages.

    Returns:
        ``"tools"`` or ``"__end__"``.

    Raises:
        ValueError: When the state has no messages.

    Example:
        ``builder.add_conditional_edges("agent", tools_condition)``
    """
    if isinstance(state, list):
        last = state[-1]
    elif (isinstance(state, dict) and (messages := state.get(messages_key, []))) or (
        messages := getattr(state, messages_key, [])
    ):
        last = messages[-1]
    else:
        raise ValueError(f"No messages found in input state to tool_edge: {state}")
    if hasattr(last, "tool_calls") and len(last.tool_calls) > 0:
        return "tools"
    return "__end__"
