"""Lifecycle events of timed attempts, for an observer in the task's config.

A task run with a timeout reports ``start``, rate-limited ``progress`` and
``finish`` events to the callable under ``CONFIG_KEY_TIMED_ATTEMPT_OBSERVER``
(servers use them to show stuck nodes). An observer that fails is logged and
never breaks the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple

from stategraph._constants import (
    CONF,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_TIMED_ATTEMPT_OBSERVER,
)
from stategraph._runtime import Runtime
from stategraph.errors import GraphBubbleUp

logger = logging.getLogger(__name__)


class _AttemptContext(NamedTuple):
    """What every event of one attempt shares (built once per attempt)."""

    task_id: str
    task_name: str
    attempt: int
    run_id: str | None
    thread_id: str | None
    checkpoint_ns: str | None
    started_at: datetime
    run_timeout_secs: float | None
    idle_timeout_secs: float | None
    refresh_on: Literal["auto", "heartbeat"] | None


@dataclass(frozen=True, slots=True)
class _AttemptEvent:
    """One ``start``, ``progress`` or ``finish`` event of a timed attempt."""

    context: _AttemptContext
    event: Literal["start", "progress", "finish"]
    progress_at: datetime | None = None
    finished_at: datetime | None = None
    status: Literal["success", "error"] | None = None
    error_type: str | None = None
    error_message: str | None = None


def observer_of(config: Any) -> Callable[[_AttemptEvent], Any] | None:
    """The observer callable in ``config``, if any."""
    observer: Callable[[_AttemptEvent], Any] | None = config.get(CONF, {}).get(
        CONFIG_KEY_TIMED_ATTEMPT_OBSERVER
    )
    return observer


def dispatch(observer: Callable[[_AttemptEvent], Any], event: _AttemptEvent) -> None:
    """Hand ``event`` to ``observer``; its failures are logged, never raised."""
    try:
        observer(event)
    except GraphBubbleUp:
        raise
    except Exception:
        logger.warning("Timed attempt observer failed", exc_info=True)


def start_attempt(task: Any, config: Any, policy: Any) -> _AttemptContext | None:
    """Report the start of an attempt of ``task`` (``None``: nobody observes)."""
    observer = observer_of(config)
    if observer is None or policy is None:
        return None
    runtime = config.get(CONF, {}).get(CONFIG_KEY_RUNTIME)
    info = runtime.execution_info if isinstance(runtime, Runtime) else None
    context = _AttemptContext(
        task_id=task.id,
        task_name=task.name,
        attempt=info.node_attempt if info is not None else 1,
        run_id=info.run_id if info is not None else None,
        thread_id=info.thread_id if info is not None else None,
        checkpoint_ns=info.checkpoint_ns if info is not None else None,
        started_at=datetime.now(timezone.utc),
        run_timeout_secs=policy.run_timeout,
        idle_timeout_secs=policy.idle_timeout,
        refresh_on=policy.refresh_on if policy.idle_timeout is not None else None,
    )
    dispatch(observer, _AttemptEvent(context=context, event="start"))
    return context


def progress_reporter(
    config: Any, context: _AttemptContext | None
) -> Callable[[], None] | None:
    """A callable reporting progress of the attempt, when it has an idle limit."""
    observer = observer_of(config)
    if observer is None or context is None or context.idle_timeout_secs is None:
        return None

    def report() -> None:
        event = _AttemptEvent(
            context=context, event="progress", progress_at=datetime.now(timezone.utc)
        )
        dispatch(observer, event)

    return report


def finish_attempt(
    config: Any, context: _AttemptContext | None, error: BaseException | None = None
) -> None:
    """Report the end of an attempt; ``error`` is what it failed with, if anything."""
    observer = observer_of(config)
    if observer is None or context is None:
        return
    event = _AttemptEvent(
        context=context,
        event="finish",
        finished_at=datetime.now(timezone.utc),
        status="error" if error is not None else "success",
        error_type=type(error).__name__ if error is not None else None,
        error_message=str(error) if error is not None else None,
    )
    dispatch(observer, event)
