"""Public data records of the graph API: Send, Command, Interrupt, policies, snapshots.

Holds plain records only; the behaviour that uses them lives in ``_engine``.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    NamedTuple,
    TypedDict,
    TypeVar,
)

from xxhash import xxh3_128_hexdigest

from stategraph._policies import TimeoutPolicy
from stategraph.warnings import LangGraphDeprecatedSinceV11

if TYPE_CHECKING:
    from stategraph._config import RunnableConfig
    from stategraph.checkpoint.base import CheckpointMetadata

StateT = TypeVar("StateT")
OutputT = TypeVar("OutputT")
N = TypeVar("N", bound=Hashable)

Durability = Literal["sync", "async", "exit"]
"""When checkpoints are saved: before the next step, in the background, or at exit."""

All = Literal["*"]
"""Interrupt on every node."""

StreamMode = Literal[
    "values", "updates", "checkpoints", "tasks", "debug", "messages", "custom"
]
"""What ``stream`` emits; see the ``stream`` docstring for each mode's chunks."""

StreamWriter = Callable[[Any], None]
"""Writes one chunk to the ``custom`` stream; a no-op when that mode is off."""

NS_SEP = "|"
NS_END = ":"


def _interrupt_id(ns: str, answered: int) -> str:
    # The first interrupt of a task keeps the bare namespace hash that older
    # releases gave every interrupt, so saved ids stay valid.
    return xxh3_128_hexdigest((f"{ns}{NS_SEP}{answered}" if answered else ns).encode())


def default_retry_on(exc: Exception) -> bool:
    """Say whether ``exc`` is worth a retry under the default policy.

    Connection errors and 5xx HTTP errors are retried; programming errors
    (ValueError, TypeError, LookupError, ...) and OSError are not; anything
    else is.
    """
    if isinstance(exc, ConnectionError):
        return True
    status = _http_status(exc)
    if status is not None:
        return 500 <= status < 600
    return not isinstance(
        exc,
        (
            ValueError,
            TypeError,
            ArithmeticError,
            ImportError,
            LookupError,
            NameError,
            SyntaxError,
            RuntimeError,
            ReferenceError,
            StopIteration,
            StopAsyncIteration,
            OSError,
        ),
    )


def _http_status(exc: Exception) -> int | None:
    # httpx and requests are optional: recognise their errors by module name
    # so that neither is imported just to classify an exception.
    mod = type(exc).__module__.split(".")[0]
    if mod not in ("httpx", "requests"):
        return None
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    if isinstance(code, int):
        return code
    return 500 if mod == "requests" and type(exc).__name__ == "HTTPError" else None


class RetryPolicy(NamedTuple):
    """How a failing node is retried.

    Attributes:
        initial_interval: Seconds before the first retry.
        backoff_factor: Multiplier of the interval after each retry.
        max_interval: Upper bound of the interval, in seconds.
        max_attempts: Attempts in all, the first included.
        jitter: Add up to one random second to each interval.
        retry_on: Exception classes, or a predicate, that allow a retry.
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: (
        type[Exception] | Sequence[type[Exception]] | Callable[[Exception], bool]
    ) = default_retry_on


def default_cache_key(*args: Any, **kwargs: Any) -> str | bytes:
    """Build a cache key from a node's input.

    Args:
        *args: Positional values to key on.
        **kwargs: Keyword values to key on.

    Returns:
        The pickled frozen input, byte for byte the key LangGraph computes.
    """
    from stategraph._cachekey import freeze_key

    return freeze_key(args, kwargs)


@dataclass(frozen=True, slots=True, kw_only=True)
class CachePolicy:
    """How a node's results are cached.

    Attributes:
        key_func: Turns the node input into a cache key.
        ttl: Seconds an entry lives; ``None`` keeps it forever.
    """

    key_func: Callable[..., str | bytes] = default_cache_key
    ttl: int | None = None


class CacheKey(NamedTuple):
    """Where a task's cached writes are stored."""

    ns: tuple[str, ...]
    key: str
    ttl: int | None


_DEFAULT_INTERRUPT_ID = "placeholder-id"


@dataclass(init=False, slots=True)
class Interrupt:
    """A pause raised by ``interrupt()``; answer it with ``Command(resume=...)``.

    Attributes:
        value: What the node surfaced to the client.
        id: Identifies the interrupt when resuming several at once.
    """

    value: Any
    id: str
    response_schema: Any = None

    def __init__(
        self,
        value: Any,
        id: str = _DEFAULT_INTERRUPT_ID,
        *,
        response_schema: Any = None,
        **deprecated_kwargs: Any,
    ) -> None:
        self.value = value
        self.response_schema = response_schema
        ns = deprecated_kwargs.get("ns")
        if id == _DEFAULT_INTERRUPT_ID and isinstance(ns, (list, tuple)):
            # Interrupts saved before ids existed carry their task namespace.
            self.id = xxh3_128_hexdigest("|".join(ns).encode())
        else:
            self.id = id

    @classmethod
    def from_ns(cls, value: Any, ns: str, *, response_schema: Any = None) -> Interrupt:
        """Make the interrupt raised first by the task of namespace ``ns``."""
        return cls(
            value=value, id=_interrupt_id(ns, 0), response_schema=response_schema
        )

    @property
    def interrupt_id(self) -> str:
        """Deprecated name of ``id``."""
        import warnings

        from stategraph.warnings import LangGraphDeprecatedSinceV10

        warnings.warn(
            "`interrupt_id` is deprecated. Use `id` instead.",
            LangGraphDeprecatedSinceV10,
            stacklevel=2,
        )
        return self.id


class StateUpdate(NamedTuple):
    """One update of ``bulk_update_state``."""

    values: dict[str, Any] | None
    as_node: str | None = None
    task_id: str | None = None


class PregelTask(NamedTuple):
    """A task of a step, as shown in a ``StateSnapshot``."""

    id: str
    name: str
    path: tuple[str | int | tuple[Any, ...], ...]
    error: Exception | None = None
    interrupts: tuple[Interrupt, ...] = ()
    state: RunnableConfig | StateSnapshot | None = None
    result: Any | None = None


@dataclass(frozen=True, slots=True)
class PregelExecutableTask:
    """A task ready to run: its node, input, config and write buffer."""

    name: str
    input: Any
    proc: Any
    writes: deque[tuple[str, Any]]
    config: RunnableConfig
    triggers: Sequence[str]
    retry_policy: Sequence[RetryPolicy]
    cache_key: CacheKey | None
    id: str
    path: tuple[str | int | tuple[Any, ...], ...]
    writers: Sequence[Any] = ()
    subgraphs: Sequence[Any] = ()
    timeout: Any = None


class StateSnapshot(NamedTuple):
    """The state of a thread at the start of a step."""

    values: dict[str, Any] | Any
    next: tuple[str, ...]
    config: RunnableConfig
    metadata: CheckpointMetadata | None
    created_at: str | None
    parent_config: RunnableConfig | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...] = ()


class Send:
    """Run ``node`` in the next step with ``arg`` as its whole input.

    Return a list of these from a conditional edge to fan out (map-reduce).

    Attributes:
        node: Name of the node to run.
        arg: The input given to that node instead of the graph state.
        timeout: Time limits of that task (a ``TimeoutPolicy``; seconds or a
            ``timedelta`` become its ``run_timeout``).
    """

    __slots__ = ("arg", "node", "timeout")

    def __init__(self, /, node: str, arg: Any, *, timeout: Any = None) -> None:
        self.node = node
        self.arg = arg
        self.timeout = TimeoutPolicy.coerce(timeout)

    def __hash__(self) -> int:
        return hash((self.node, self.arg, self.timeout))

    def __repr__(self) -> str:
        if self.timeout is None:
            return f"Send(node={self.node!r}, arg={self.arg!r})"
        return f"Send(node={self.node!r}, arg={self.arg!r}, timeout={self.timeout!r})"

    def __eq__(self, value: object) -> bool:
        return (
            isinstance(value, Send)
            and self.node == value.node
            and self.arg == value.arg
            and self.timeout == value.timeout
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Generic[N]):
    """Update the state and choose the next nodes, from a node or as input.

    Args:
        graph: ``None`` for the current graph, ``Command.PARENT`` for the parent.
        update: State update to apply (dict, list of pairs, or a state object).
        resume: Resume value, or a map of interrupt id to resume value.
        goto: Node name, ``Send``, or a sequence of them, to run next.
    """

    graph: str | None = None
    update: Any | None = None
    resume: dict[str, Any] | Any | None = None
    goto: Send | Sequence[Send | N] | N = ()

    PARENT: ClassVar[Literal["__parent__"]] = "__parent__"

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in dataclasses.fields(self)
            if getattr(self, f.name)
        )
        return f"Command({parts})"

    def _update_as_tuples(self) -> Sequence[tuple[str, Any]]:
        from stategraph._fields import update_as_tuples

        return update_as_tuples(self.update)


@dataclass(slots=True)
class Overwrite:
    """Write ``value`` to a reducer channel as is, bypassing its reducer once.

    Attributes:
        value: The value that replaces the channel's current value.
        type: Marker that keeps the intent when serialised to JSON.
    """

    value: Any
    type: Literal["__overwrite__"] = "__overwrite__"


@dataclass(slots=True)
class GraphOutput(Generic[OutputT]):
    """What ``invoke(..., version="v2")`` returns.

    Attributes:
        value: The graph's output.
        interrupts: Interrupts raised by the run, if it paused.
    """

    value: OutputT
    interrupts: tuple[Interrupt, ...] = ()

    def __getitem__(self, key: str) -> Any:
        warnings.warn(
            "Accessing GraphOutput via `result[key]` is deprecated. "
            "Use `result.value` or `result.interrupts`.",
            LangGraphDeprecatedSinceV11,
            stacklevel=2,
        )
        if key == "__interrupt__":
            return self.interrupts
        if isinstance(self.value, dict):
            return self.value[key]
        try:
            return getattr(self.value, key)
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        warnings.warn(
            "Accessing GraphOutput via `key in result` is deprecated. "
            "Use `result.value` to access the output value directly, "
            "or `result.interrupts` for interrupts.",
            LangGraphDeprecatedSinceV11,
            stacklevel=2,
        )
        if key == "__interrupt__":
            return bool(self.interrupts)
        if isinstance(self.value, dict):
            return key in self.value
        return isinstance(key, str) and hasattr(self.value, key)


class TaskPayload(TypedDict):
    """Payload of a ``tasks`` stream event when a task starts."""

    id: str
    name: str
    input: Any
    triggers: list[str]


class TaskResultPayload(TypedDict):
    """Payload of a ``tasks`` stream event when a task ends."""

    id: str
    name: str
    error: str | None
    interrupts: list[dict[str, Any]]
    result: dict[str, Any]


class CheckpointTask(TypedDict, total=False):
    """A task as listed in a ``checkpoints`` stream event."""

    id: str
    name: str
    error: str | None
    interrupts: list[dict[str, Any]]
    state: Any
    result: Any


class CheckpointPayload(TypedDict):
    """Payload of a ``checkpoints`` stream event."""

    config: Any
    metadata: Any
    values: Any
    next: list[str]
    parent_config: Any
    tasks: list[CheckpointTask]


class ValuesStreamPart(TypedDict):
    """A ``values`` chunk of ``stream(..., version="v2")``."""

    type: Literal["values"]
    ns: tuple[str, ...]
    data: Any
    interrupts: tuple[Interrupt, ...]


class UpdatesStreamPart(TypedDict):
    """An ``updates`` chunk of ``stream(..., version="v2")``."""

    type: Literal["updates"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class MessagesStreamPart(TypedDict):
    """A ``messages`` chunk: ``(message, metadata)``."""

    type: Literal["messages"]
    ns: tuple[str, ...]
    data: tuple[Any, dict[str, Any]]


class CustomStreamPart(TypedDict):
    """A ``custom`` chunk: whatever a node wrote with its stream writer."""

    type: Literal["custom"]
    ns: tuple[str, ...]
    data: Any


class CheckpointStreamPart(TypedDict):
    """A ``checkpoints`` chunk."""

    type: Literal["checkpoints"]
    ns: tuple[str, ...]
    data: CheckpointPayload


class TasksStreamPart(TypedDict):
    """A ``tasks`` chunk: a task started or finished."""

    type: Literal["tasks"]
    ns: tuple[str, ...]
    data: TaskPayload | TaskResultPayload


class DebugPayload(TypedDict):
    """A ``debug`` event: a checkpoint or task event with step and time."""

    step: int
    timestamp: str
    type: Literal["checkpoint", "task", "task_result"]
    payload: Any


class DebugStreamPart(TypedDict):
    """A ``debug`` chunk."""

    type: Literal["debug"]
    ns: tuple[str, ...]
    data: DebugPayload


StreamPart = (
    ValuesStreamPart
    | UpdatesStreamPart
    | MessagesStreamPart
    | CustomStreamPart
    | CheckpointStreamPart
    | TasksStreamPart
    | DebugStreamPart
)
"""One chunk of ``stream(..., version="v2")``; narrow it with ``part["type"]``."""


def ensure_valid_checkpointer(checkpointer: Any) -> Any:
    """Check a ``compile(checkpointer=...)`` argument.

    Raises:
        TypeError: When it is neither a saver nor ``None``/``True``/``False``.
    """
    from stategraph.checkpoint.base import BaseCheckpointSaver

    if checkpointer not in (None, True, False) and not isinstance(
        checkpointer, BaseCheckpointSaver
    ):
        raise TypeError(
            "Invalid checkpointer provided. Expected an instance of "
            "`BaseCheckpointSaver`, `True`, `False`, or `None`. "
            f"Received {type(checkpointer).__name__!s}. "
            "Pass a proper saver (e.g., InMemorySaver, AsyncPostgresSaver)."
        )
    return checkpointer
