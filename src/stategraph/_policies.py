"""Per-node policies beyond retry and cache: timeouts and tracing.

Plain records; the drivers enforce timeouts, the compiler validates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

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
