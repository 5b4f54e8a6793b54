"""What a tool may have injected: graph state, the store, or a ``ToolRuntime``.

The markers are found once per tool (at ``ToolNode`` construction) and the values
are filled in right before each call; the model never sees or sets them.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Union, get_args, get_origin, get_type_hints

from langchain_core.messages import ToolCall
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, InjectedToolArg
from langchain_core.tools.base import (
    _DirectlyInjectedToolArg,
    _is_injected_arg_type,
    get_all_basemodel_annotations,
)
from typing_extensions import TypeVar

from stategraph._runtime import ExecutionInfo, ServerInfo
from stategraph.pregel._tools import tool_call_writer

StateT = TypeVar("StateT", default=dict)  # type: ignore[type-arg]  # LangGraph's default
ContextT = TypeVar("ContextT", default=None)


@dataclass
class ToolRuntime(_DirectlyInjectedToolArg, Generic[ContextT, StateT]):
    """Everything a tool can reach besides its arguments, injected as ``runtime``.

    A tool receives it by declaring a parameter named ``runtime`` or typed
    ``ToolRuntime``; the parameter is hidden from the model's tool schema.

    Attributes:
        state: The graph state the tool call was made from.
        context: The run's ``context=`` value.
        config: The config of the tool call.
        stream_writer: Writes to the ``custom`` stream.
        tool_call_id: Id of the tool call being run.
        store: The graph's store, or ``None``.
        tools: Every tool of the ``ToolNode``.
        execution_info: Identity of the running task.
        server_info: Server details, when run by a server.
    """

    state: StateT
    context: ContextT
    config: RunnableConfig
    stream_writer: Callable[[Any], None]
    tool_call_id: str | None
    store: Any
    tools: list[BaseTool] = field(default_factory=list)
    execution_info: ExecutionInfo | None = None
    server_info: ServerInfo | None = None

    def emit_output_delta(self, delta: Any) -> None:
        """Stream a partial output of this tool call on the ``tools`` stream.

        Does nothing when no ``tools`` stream is listening, so calls can stay in
        tool code unconditionally.

        Args:
            delta: The partial output, passed through as given.
        """
        writer = tool_call_writer.get()
        if writer is not None:
            writer(delta)


class InjectedState(InjectedToolArg):
    """Marks a tool argument that receives the graph state (or one key of it).

    Args:
        field: The state key to inject; ``None`` injects the whole state.

    Example:
        ``def tool(x: int, state: Annotated[dict, InjectedState]) -> str``
        or ``foo: Annotated[str, InjectedState("foo")]``.
    """

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """Marks a tool argument that receives the store the graph was compiled with."""


@dataclass
class _InjectedArgs:
    """The injected parameters of one tool, found once.

    ``state`` maps a parameter to the state key it reads (``None``: whole state).
    """

    state: dict[str, str | None]
    store: str | None
    runtime: str | None
    all_injected_keys: set[str]
    _optional_state_args: set[str]


_Marker = type[InjectedState] | type[InjectedStore] | type[ToolRuntime[Any, Any]]


def _is_injection(type_arg: Any, marker: _Marker) -> bool:
    if isinstance(type_arg, marker) or (
        isinstance(type_arg, type) and issubclass(type_arg, marker)
    ):
        return True
    origin = get_origin(type_arg)
    if origin is Union or origin is Annotated:
        return any(_is_injection(arg, marker) for arg in get_args(type_arg))
    return origin is not None and (
        origin is marker or (isinstance(origin, type) and issubclass(origin, marker))
    )


def _injection_in(type_: Any, marker: _Marker) -> Any:
    matches = [arg for arg in get_args(type_) if _is_injection(arg, marker)]
    if len(matches) > 1:
        raise ValueError(
            f"A tool argument should not be annotated with {marker.__name__} "
            f"more than once. Found: {matches}"
        )
    if matches:
        return matches[0]
    return True if _is_injection(type_, marker) else None


def get_all_injected_args(tool: BaseTool) -> _InjectedArgs:
    """Find the injected parameters of ``tool`` from its schema and signature."""
    schema = tool.get_input_schema()
    func = getattr(tool, "func", None) or getattr(tool, "coroutine", None)
    annotations = {
        **(get_type_hints(func, include_extras=True) if func else {}),
        **get_all_basemodel_annotations(schema),
    }
    found = _InjectedArgs({}, None, None, set(), set())
    for name, type_ in annotations.items():
        if _is_injected_arg_type(type_):
            found.all_injected_keys.add(name)
        if name == "runtime":
            found.runtime = name
        if state := _injection_in(type_, InjectedState):
            key = state.field if isinstance(state, InjectedState) else None
            found.state[name] = key or None
            fields = getattr(schema, "model_fields", {})
            info = fields.get(name) if key else None
            if info is not None and not info.is_required():
                found._optional_state_args.add(name)
        if _injection_in(type_, InjectedStore):
            found.store = name
        if _injection_in(type_, ToolRuntime):
            found.runtime = name
    return found


def _list_state_as_dict(
    state: list[Any], injected: _InjectedArgs, tool_name: str, messages_key: str
) -> dict[str, Any]:
    """A list input seen as ``{messages_key: list}``, when that is all a tool reads."""
    fields = list(injected.state.values())
    if (fields == [messages_key]) or fields[0] is None:
        return {messages_key: state}
    message = (
        f"Invalid input to ToolNode. Tool {tool_name} requires graph state dict "
        "as input."
    )
    if any(fields):
        message += f" State should contain fields {', '.join(f for f in fields if f)}."
    raise ValueError(message)


def _state_values(state: Any, injected: _InjectedArgs) -> dict[str, Any]:
    values: dict[str, Any] = {}
    is_dict = isinstance(state, dict)
    for arg, key in injected.state.items():
        if not key:
            values[arg] = state
        elif key in state if is_dict else hasattr(state, key):
            values[arg] = state[key] if is_dict else getattr(state, key)
        elif arg not in injected._optional_state_args:
            raise KeyError(key) if is_dict else AttributeError(key)
    return values


def inject_tool_args(
    call: ToolCall,
    runtime: ToolRuntime[Any, Any],
    injected: _InjectedArgs | None,
    messages_key: str,
) -> ToolCall:
    """Return ``call`` with its injected arguments filled in from ``runtime``.

    Values the model put under an injected name are dropped first, so a model
    cannot forge hidden arguments.
    """
    if not injected:
        return call
    values: dict[str, Any] = {}
    if injected.state:
        state = runtime.state
        if isinstance(state, list):
            state = _list_state_as_dict(state, injected, call["name"], messages_key)
        values.update(_state_values(state, injected))
    if injected.store:
        if runtime.store is None:
            raise ValueError(
                "Cannot inject store into tools with InjectedStore annotations - "
                "please compile your graph with a store."
            )
        values[injected.store] = runtime.store
    if injected.runtime:
        values[injected.runtime] = runtime
    result = copy(call)
    kept = {
        k: v for k, v in call["args"].items() if k not in injected.all_injected_keys
    }
    result["args"] = {**kept, **values}
    return result
