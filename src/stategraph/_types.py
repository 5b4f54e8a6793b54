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
    TypeVar,
)

from xxhash import xxh3_128_hexdigest

from stategraph._policies import (
    CacheKey as CacheKey,
    CachePolicy as CachePolicy,
    RetryPolicy as RetryPolicy,
    TimeoutPolicy,
    default_cache_key as default_cache_key,
    default_retry_on as default_retry_on,
)
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
