"""``Runtime``: what a node can reach besides its state (context, store, writer).

Created once per run and specialised per task only when a node asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from stategraph._constants import CONF, CONFIG_KEY_RUNTIME

ContextT = TypeVar("ContextT")


def _no_op_writer(_: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """Where the running task sits: checkpoint, namespace, task, thread, run."""

    checkpoint_id: str | None = None
    checkpoint_ns: str = ""
    task_id: str | None = None
    thread_id: str | None = None
    run_id: str | None = None
    node_attempt: int = 1
    node_first_attempt_time: float | None = None


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Details of the server run executing the graph, when there is one."""

    assistant_id: str | None = None
    graph_id: str | None = None
    user: Any = None


@dataclass(frozen=True, slots=True)
class Runtime(Generic[ContextT]):
    """Run-scoped objects injected into nodes that declare a ``runtime`` parameter.

    Attributes:
        context: The ``context=`` value given to invoke/stream.
        store: The long-term memory store, if any.
        stream_writer: Writes to the ``custom`` stream.
        previous: The previous return value (functional API).
        execution_info: Identity of the running task.
        server_info: Server details, when run by a server.
    """

    context: ContextT = None  # type: ignore[assignment]  # the default context is None
    store: Any = None
    stream_writer: Any = field(default=_no_op_writer)
    previous: Any = None
    execution_info: ExecutionInfo | None = None
    server_info: ServerInfo | None = None

    def merge(self, other: Runtime[Any]) -> Runtime[Any]:
        """Return a runtime whose fields come from ``other`` where it sets them."""
        return Runtime(
            context=other.context or self.context,
            store=other.store or self.store,
            stream_writer=other.stream_writer
            if other.stream_writer is not _no_op_writer
            else self.stream_writer,
            previous=self.previous if other.previous is None else other.previous,
            execution_info=other.execution_info or self.execution_info,
            server_info=other.server_info or self.server_info,
        )

    def override(self, **overrides: Any) -> Runtime[ContextT]:
        """Return a copy with ``overrides`` applied."""
        return replace(self, **overrides)


DEFAULT_RUNTIME: Runtime[Any] = Runtime()


def get_runtime(context_schema: Any = None) -> Runtime[Any]:
    """Return the ``Runtime`` of the running task.

    Args:
        context_schema: Only for type checkers; ignored at run time.

    Raises:
        RuntimeError: When called outside a running graph.
    """
    from stategraph._config import get_config

    runtime: Runtime[Any] = get_config()[CONF].get(CONFIG_KEY_RUNTIME, DEFAULT_RUNTIME)
    return runtime
