"""The records a ``ToolNode`` passes around: requests to interceptors, Send payloads.

Plain data only; running the calls is ``_tool_node``'s job.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict

from langchain_core.messages import ToolCall, ToolMessage
from langchain_core.tools import BaseTool
from typing_extensions import Unpack

from stategraph.prebuilt._injection import ToolRuntime
from stategraph.types import Command


class _ToolCallRequestOverrides(TypedDict, total=False):
    """Fields ``ToolCallRequest.override`` may replace."""

    tool_call: ToolCall
    tool: BaseTool
    state: Any


@dataclass
class ToolCallRequest:
    """One tool call as an interceptor (``wrap_tool_call``) sees it.

    Attributes:
        tool_call: The call the model made (name, args, id).
        tool: The tool to run, or ``None`` when the node has no tool of that name;
            an interceptor may answer such a call itself.
        state: The graph state the call was made from.
        runtime: The ``ToolRuntime`` the tool will receive.
    """

    tool_call: ToolCall
    tool: BaseTool | None
    state: Any
    runtime: ToolRuntime[Any, Any]

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "__dataclass_fields__") and hasattr(self, name):
            warnings.warn(
                f"Setting attribute '{name}' on ToolCallRequest is deprecated. "
                "Use the override() method instead to create a new instance with "
                "modified values.",
                DeprecationWarning,
                stacklevel=2,
            )
        object.__setattr__(self, name, value)

    def override(
        self, **overrides: Unpack[_ToolCallRequestOverrides]
    ) -> ToolCallRequest:
        """Return a copy with ``overrides`` applied; this request is unchanged.

        Overriding ``state`` also replaces ``runtime.state``, so the tool sees the
        new state through both ``InjectedState`` and ``ToolRuntime``.

        Args:
            **overrides: ``tool_call``, ``tool`` and/or ``state``.

        Returns:
            The new request.
        """
        request = replace(self, **overrides)
        if "state" in overrides and isinstance(request.runtime, ToolRuntime):
            request = replace(
                request, runtime=replace(request.runtime, state=request.state)
            )
        return request


ToolCallWrapper = Callable[
    [ToolCallRequest, Callable[[ToolCallRequest], ToolMessage | Command[Any]]],
    ToolMessage | Command[Any],
]
"""A sync interceptor: ``(request, execute) -> ToolMessage | Command``.

``execute`` may be called any number of times (retries) or not at all (cache).
"""

AsyncToolCallWrapper = Callable[
    [
        ToolCallRequest,
        Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ],
    Awaitable[ToolMessage | Command[Any]],
]
"""The async form of ``ToolCallWrapper``."""


class ToolCallWithContext(TypedDict):
    """A tool call sent to a ``ToolNode`` with ``Send``, with the state it came from.

    The ``__type`` key tells it apart from ordinary state dicts.
    """

    tool_call: ToolCall
    __type: Literal["tool_call_with_context"]
    state: Any
