"""Per-node policies: retry, cache, timeouts and tracing.

Plain records (re-exported by ``stategraph.types``); the drivers enforce them,
the compiler validates them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, NamedTuple

SYNC_TIMEOUT_PREFIX = (
    "Node timeouts are only supported for async nodes because sync Python "
    "execution cannot be safely cancelled in-process."
)


def sync_timeout_unsupported(name: str, *, kind: str = "Node") -> ValueError:
    """The error for a ``timeout`` given to a sync node or task."""
    return ValueError(f"{SYNC_TIMEOUT_PREFIX} {kind} {name!r} is sync.")


def _seconds(value: float | timedelta | None, *, field: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds <= 0:
        raise ValueError(f"{field} must be greater than 0")
    return seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeoutPolicy:
    """Time limits of one attempt of an async node.

    Attributes:
        run_timeout: Wall-clock limit of an attempt, in seconds.
        idle_timeout: Limit without progress (refreshed by heartbeats).
        refresh_on: ``"auto"`` or ``"heartbeat"``: what refreshes the idle timer.
    """

    run_timeout: float | timedelta | None = None
    idle_timeout: float | timedelta | None = None
    refresh_on: Literal["auto", "heartbeat"] = "auto"

    @classmethod
    def coerce(cls, value: Any) -> TimeoutPolicy | None:
        """Normalise a number, ``timedelta`` or policy into a policy (or ``None``)."""
        if value is None:
            return None
        if not isinstance(value, TimeoutPolicy):
            value = cls(run_timeout=value)
        if value.refresh_on not in ("auto", "heartbeat"):
            raise ValueError("refresh_on must be 'auto' or 'heartbeat'")
        run = _seconds(value.run_timeout, field="run_timeout")
        idle = _seconds(value.idle_timeout, field="idle_timeout")
        if run is None and idle is None:
            return None
        if run == value.run_timeout and idle == value.idle_timeout:
            return value  # type: ignore[no-any-return]  # already in seconds: keep it
        return cls(run_timeout=run, idle_timeout=idle, refresh_on=value.refresh_on)


@dataclass(frozen=True, slots=True, kw_only=True)
class TracePolicy:
    """How a node's inputs and outputs appear in traces (execution unchanged).

    Attributes:
        process_inputs: Transforms the traced input.
        process_outputs: Transforms the traced output.
    """

    process_inputs: Callable[[Any], Any] | None = None
    process_outputs: Callable[[Any], Any] | None = None


def omit_payload(_value: Any) -> dict[str, Any]:
    """A ``TracePolicy`` processor that records nothing."""
    return {}


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
