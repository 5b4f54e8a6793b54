"""Errors raised by stategraph, with LangGraph's class names and bases.

Hierarchy::

    Exception
    ├── GraphBubbleUp                 control flow, never a failure
    │   ├── GraphInterrupt            a node paused for human input
    │   │   └── NodeInterrupt         (deprecated) raised by a node directly
    │   ├── ParentCommand             a Command addressed to the parent graph
    │   └── GraphDrained              run stopped at a step boundary on request
    ├── InvalidUpdateError            bad writes to state
    ├── EmptyInputError               nothing to run
    ├── EmptyChannelError             reading an empty channel
    ├── TaskNotFound                  distributed executor lost a task
    ├── UnknownInterruptError         strict resume did not match
    ├── NodeCancelledError / NodeTimeoutError
    ├── RemoteException               a RemoteGraph's server run failed
    ValueError
    └── InvalidNamespaceError         a store namespace breaks the naming rules
    RecursionError
    └── GraphRecursionError           recursion_limit supersteps reached
    RuntimeError
    └── ThreadBusyError               another process is running the thread
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from stategraph.warnings import LangGraphDeprecatedSinceV10

if TYPE_CHECKING:
    from stategraph._types import Command, Interrupt

__all__ = (
    "EmptyChannelError",
    "ErrorCode",
    "GraphDrained",
    "GraphRecursionError",
    "InvalidUpdateError",
    "GraphBubbleUp",
    "GraphInterrupt",
    "InvalidNamespaceError",
    "NodeCancelledError",
    "NodeError",
    "NodeInterrupt",
    "NodeTimeoutError",
    "ParentCommand",
    "EmptyInputError",
    "TaskNotFound",
    "ThreadBusyError",
    "UnknownInterruptError",
    "create_error_message",
    "is_invalid_resume",
)


class ErrorCode(Enum):
    """Codes of the errors that have a troubleshooting page."""

    GRAPH_RECURSION_LIMIT = "GRAPH_RECURSION_LIMIT"
    INVALID_CONCURRENT_GRAPH_UPDATE = "INVALID_CONCURRENT_GRAPH_UPDATE"
    INVALID_GRAPH_NODE_RETURN_VALUE = "INVALID_GRAPH_NODE_RETURN_VALUE"
    MULTIPLE_SUBGRAPHS = "MULTIPLE_SUBGRAPHS"
    INVALID_CHAT_HISTORY = "INVALID_CHAT_HISTORY"


def create_error_message(*, message: str, error_code: ErrorCode) -> str:
    """Append the troubleshooting link of ``error_code`` to ``message``.

    Args:
        message: What went wrong and what to do.
        error_code: The code whose page explains the error.

    Returns:
        The message followed by a line pointing at the troubleshooting page.
    """
    return (
        f"{message}\n"
        "For troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/"
        f"errors/{error_code.value}"
    )


class EmptyChannelError(Exception):
    """Raised when a channel is read before it holds a value."""


class GraphBubbleUp(Exception):
    """Base of control-flow exceptions that must pass through user code handlers."""


class GraphDrained(GraphBubbleUp):
    """Raised when a run stops cleanly at a superstep boundary after a drain request.

    The checkpoint is saved, so the run can be resumed later.
    """

    def __init__(self, reason: str = "shutdown") -> None:
        self.reason = reason
        super().__init__(f"Graph drained: {reason}")


class GraphRecursionError(RecursionError):
    """Raised when a run reaches ``recursion_limit`` supersteps without finishing.

    Raise the limit with ``config={"recursion_limit": N}`` or fix the loop.
    """


class InvalidUpdateError(Exception):
    """Raised when the writes of a step cannot be applied to the state.

    Examples: two writes to a plain key in one step, a node returning something
    that is not a dict, a ``Command`` or ``None``.
    """


class GraphInterrupt(GraphBubbleUp):
    """Raised when a node pauses the run; the root graph turns it into output."""

    def __init__(self, interrupts: Sequence[Interrupt] = ()) -> None:
        super().__init__(interrupts)


class NodeInterrupt(GraphInterrupt):
    """Raised by a node to pause the run (deprecated: call ``interrupt()``)."""

    def __init__(self, value: Any, id: str | None = None) -> None:
        from stategraph._types import Interrupt

        warnings.warn(
            "NodeInterrupt is deprecated. Please use `stategraph.types.interrupt` "
            "instead.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        if id is None:
            super().__init__([Interrupt(value=value)])
        else:
            super().__init__([Interrupt(value=value, id=id)])


class ParentCommand(GraphBubbleUp):
    """Raised by a subgraph node to hand a ``Command`` to its parent graph."""

    args: tuple[Command[Any]]

    def __init__(self, command: Command[Any]) -> None:
        super().__init__(command)


class RemoteException(Exception):
    """Raised by ``RemoteGraph`` when the server reports that the run failed.

    Its argument is the server's ``error`` event payload.
    """


class EmptyInputError(Exception):
    """Raised when a run gets no input and there is nothing to resume."""


class InvalidNamespaceError(ValueError):
    """Raised when a store namespace breaks the naming rules.

    A namespace must be a tuple of non-empty strings without ``.`` or NUL
    bytes; a written namespace must also be non-empty and must not start with
    the reserved label ``"langgraph"``.
    """


class TaskNotFound(Exception):
    """Raised when a distributed executor cannot find a task it was given."""


class ThreadBusyError(RuntimeError):
    """Raised when a run cannot take its thread's run lock.

    Savers with a run lock (the SQLite and PostgreSQL ones) let one process
    at a time run a given thread. With ``thread_lock="raise"`` a run whose
    thread another process is running fails at once; with ``"wait"`` and a
    ``thread_lock_timeout`` it fails once the timeout has passed. Retry
    later, wait (``thread_lock="wait"``) or use another thread id.

    Attributes:
        thread_id: The thread that was busy.
    """

    def __init__(self, message: str, *, thread_id: str) -> None:
        super().__init__(message)
        self.thread_id = thread_id


class UnknownInterruptError(Exception):
    """Raised in strict resume mode when a resume does not match pending interrupts.

    ``reason`` is ``"not_pending"``, ``"empty_map"`` or ``"ambiguous"``.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: Literal["not_pending", "empty_map", "ambiguous"],
        interrupt_ids: Sequence[str] = (),
        pending_ids: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.interrupt_ids = tuple(interrupt_ids)
        self.pending_ids = tuple(pending_ids)


class NodeCancelledError(Exception):
    """Raised when a node's own code raises ``asyncio.CancelledError``.

    A cancellation nobody requested is the node failing, not the run being
    torn down, so it is reported as an error like any other exception.

    Attributes:
        node: Name of the node.
    """

    node: str

    def __init__(self, node: str, message: str | None = None) -> None:
        super().__init__(message or f"Node {node!r} raised asyncio.CancelledError")
        self.node = node


class NodeTimeoutError(Exception):
    """Raised when an attempt of an async node runs past its timeout.

    Not a ``TimeoutError`` (an ``OSError``), so the default retry policy
    retries it.
    """

    def __init__(
        self,
        node: str,
        elapsed: float,
        *,
        kind: Literal["idle", "run"],
        idle_timeout: float | None = None,
        run_timeout: float | None = None,
    ) -> None:
        if kind == "idle":
            if idle_timeout is None:
                raise ValueError("idle_timeout is required when kind='idle'")
            message = (
                f"Node '{node}' exceeded its idle timeout of {idle_timeout:.3f}s "
                f"without making progress (elapsed: {elapsed:.3f}s)."
            )
            self.timeout = idle_timeout
        elif kind == "run":
            if run_timeout is None:
                raise ValueError("run_timeout is required when kind='run'")
            message = (
                f"Node '{node}' exceeded its run timeout of {run_timeout:.3f}s "
                f"(elapsed: {elapsed:.3f}s)."
            )
            self.timeout = run_timeout
        else:
            raise ValueError("kind must be 'idle' or 'run'")
        super().__init__(message)
        self.node = node
        self.elapsed = elapsed
        self.kind = kind
        self.idle_timeout = idle_timeout
        self.run_timeout = run_timeout


_INVALID_RESUME = "_stategraph_invalid_resume"


def is_invalid_resume(error: BaseException) -> bool:
    """Whether ``error`` came from a resume value failing its ``response_schema``."""
    return getattr(error, _INVALID_RESUME, False) is True


@dataclass(frozen=True, slots=True)
class NodeError:
    """Failure context given to a node error handler.

    Attributes:
        node: Name of the node that failed.
        error: The exception it raised.
    """

    node: str
    error: BaseException


def reraise_control_flow(exc: BaseException) -> None:
    """Re-raise ``exc`` when it is control flow (interrupts, parent commands).

    Every handler that catches broad exceptions calls this first so that an
    ``interrupt()`` inside user code is never swallowed.
    """
    if isinstance(exc, GraphBubbleUp):
        raise exc
