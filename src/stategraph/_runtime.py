"""``Runtime``: what a node can reach besides its state (context, store, writer).

Created once per run and specialised per task only when a node asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

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

    def patch(self, **overrides: Any) -> ExecutionInfo:
        """A copy with ``overrides`` applied (the record is frozen)."""
        return replace(self, **overrides)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """Details of the server run executing the graph, when there is one."""

    assistant_id: str | None = None
    graph_id: str | None = None
    user: Any = None


def server_info_from(conf: dict[str, Any]) -> ServerInfo | None:
    """What a server put in the config: assistant, graph and authenticated user.

    A user object counts when it has an ``identity`` (a proxy may provide the
    other ``BaseUser`` attributes dynamically, which a protocol check misses).
    """
    assistant_id = conf.get("assistant_id")
    graph_id = conf.get("graph_id")
    user = conf.get("langgraph_auth_user")
    if user is not None and not hasattr(user, "identity"):
        user = None
    if assistant_id is None and graph_id is None and user is None:
        return None
    return ServerInfo(
        assistant_id=str(assistant_id) if assistant_id else "",
        graph_id=str(graph_id) if graph_id else "",
        user=user,
    )


def _no_op_heartbeat() -> None:
    """Progress signals go nowhere unless a timeout policy listens."""


class RunControl:
    """Cooperative control of one run: ask it to stop at the next step boundary.

    ``request_drain()`` may be called from any thread; the run finishes the
    step in progress, saves its checkpoint and raises ``GraphDrained``. The
    thread can be resumed later with ``invoke(None, config)``. Use one per run.
    """

    __slots__ = ("_drain_reason",)

    def __init__(self) -> None:
        self._drain_reason: str | None = None

    def request_drain(self, reason: str = "shutdown") -> None:
        """Ask the run to stop before its next step (one attribute write)."""
        self._drain_reason = reason

    @property
    def drain_requested(self) -> bool:
        """Whether a drain was requested."""
        return self._drain_reason is not None

    @property
    def drain_reason(self) -> str | None:
        """Why the drain was requested, if it was."""
        return self._drain_reason


@runtime_checkable
class BaseUser(Protocol):
    """The user a server authenticated (the ASGI user protocol)."""

    @property
    def is_authenticated(self) -> bool:
        """Whether the user is authenticated."""
        ...

    @property
    def display_name(self) -> str:
        """The user's display name."""
        ...

    @property
    def identity(self) -> str:
        """The user's unique identifier."""
        ...

    @property
    def permissions(self) -> Sequence[str]:
        """The user's permissions."""
        ...

    def __getitem__(self, key: str) -> Any: ...

    def __contains__(self, key: str) -> bool: ...

    def __iter__(self) -> Iterator[str]: ...


# Keyword-only, as LangGraph's: Runtime(ctx) is a TypeError there too.
@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime(Generic[ContextT]):
    """Run-scoped objects injected into nodes that declare a ``runtime`` parameter.

    Attributes:
        context: The ``context=`` value given to invoke/stream.
        store: The long-term memory store, if any.
        stream_writer: Writes to the ``custom`` stream.
        previous: The previous return value (functional API).
        execution_info: Identity of the running task.
        server_info: Server details, when run by a server.
        heartbeat: Signals progress to an idle-timeout policy.
        control: The run's ``RunControl`` (drain requests).
    """

    context: ContextT = None  # type: ignore[assignment]  # the default context is None
    store: Any = None
    stream_writer: Any = field(default=_no_op_writer)
    heartbeat: Any = field(default=_no_op_heartbeat)
    previous: Any = None
    execution_info: ExecutionInfo | None = None
    server_info: ServerInfo | None = None
    control: RunControl | None = None

    def merge(self, other: Runtime[Any]) -> Runtime[Any]:
        """Return a runtime whose fields come from ``other`` where it sets them."""
        return Runtime(
            context=other.context or self.context,
            store=other.store or self.store,
            stream_writer=other.stream_writer
            if other.stream_writer is not _no_op_writer
            else self.stream_writer,
            heartbeat=other.heartbeat
            if other.heartbeat is not _no_op_heartbeat
            else self.heartbeat,
            previous=self.previous if other.previous is None else other.previous,
            execution_info=other.execution_info or self.execution_info,
            server_info=other.server_info or self.server_info,
            control=other.control or self.control,
        )

    def override(self, **overrides: Any) -> Runtime[ContextT]:
        """Return a copy with ``overrides`` applied."""
        return replace(self, **overrides)

    def patch_execution_info(self, **overrides: Any) -> Runtime[ContextT]:
        """Return a copy whose ``execution_info`` has ``overrides`` applied.

        Raises:
            RuntimeError: When this runtime has no ``execution_info`` yet.
        """
        if self.execution_info is None:
            msg = "Cannot patch execution_info before it has been set"
            raise RuntimeError(msg)
        return replace(self, execution_info=self.execution_info.patch(**overrides))


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
