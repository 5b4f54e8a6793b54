"""Running one task's node and writers, with the retry policy; shared by drivers.

Only the pure parts live here (which policy applies, how long to wait); the
drivers own sleeping and threads.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from stategraph._config import var_child_config
from stategraph._engine._task import Task
from stategraph._types import RetryPolicy
from stategraph.errors import GraphBubbleUp

SLOW_TASK_SECONDS = 0.002
"""A sync task slower than this is assumed to block (I/O), so its siblings and its
later runs go to worker threads instead of running inline."""


def retry_delay(
    policies: Sequence[RetryPolicy] | None, exc: BaseException, attempt: int
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``, or ``None`` to give up."""
    if not policies or not isinstance(exc, Exception) or isinstance(exc, GraphBubbleUp):
        return None
    for policy in policies:
        if _matches(policy, exc):
            break
    else:
        return None
    if attempt + 1 >= policy.max_attempts:
        return None
    interval = min(
        policy.max_interval,
        policy.initial_interval * (policy.backoff_factor**attempt),
    )
    if policy.jitter:
        interval += random.uniform(0, 1)
    return interval


def _matches(policy: RetryPolicy, exc: Exception) -> bool:
    retry_on = policy.retry_on
    if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
        return isinstance(exc, retry_on)
    if isinstance(retry_on, Sequence):
        return isinstance(exc, tuple(retry_on))
    if callable(retry_on):
        return bool(retry_on(exc))
    raise TypeError(
        "retry_on must be an Exception class, a list or tuple of Exception "
        "classes, or a callable"
    )


def run_sync_body(task: Task) -> None:
    """Call the node and its writers (sync); exceptions propagate."""
    node = task.node
    token = var_child_config.set(task)  # type: ignore[arg-type]
    try:
        out = node.call(task.input, task)
        for writer in node.writers:
            writer(task, out)
    finally:
        var_child_config.reset(token)


async def run_async_body(task: Task) -> None:
    """Call the node and its writers (async); exceptions propagate."""
    node = task.node
    token = var_child_config.set(task)  # type: ignore[arg-type]
    try:
        if node.acall is not None:
            out = await node.acall(task.input, task)
        else:
            out = node.call(task.input, task)
        for writer in node.writers:
            pending: Any = writer(task, out)
            if pending is not None:
                await pending
    finally:
        var_child_config.reset(token)
