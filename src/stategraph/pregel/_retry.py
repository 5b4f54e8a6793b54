"""Running a prepared task with its retry policy (LangGraph's ``pregel._retry``).

Drives a ``PregelExecutableTask`` (``proc.invoke(input, config)``) the way
LangGraph's executors do. Which policy applies and how long to wait come from
the engine's own rules (``stategraph._engine._runner``); this module only adds
the per-attempt config (attempt number, resuming flag) and the two drivers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Sequence
from typing import Any

from stategraph._config import patch_configurable
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_RESUMING,
    CONFIG_KEY_RUNTIME,
    CONFIG_KEY_TASK_ID,
    CONFIG_KEY_THREAD_ID,
)
from stategraph._engine._runner import _matches, _parent_ns, _recast, retry_delay
from stategraph._policies import sync_timeout_unsupported
from stategraph._runtime import ExecutionInfo, Runtime
from stategraph._types import Command, PregelExecutableTask, RetryPolicy
from stategraph.errors import GraphBubbleUp, NodeCancelledError, ParentCommand
from stategraph.pregel._attempts import (
    finish_attempt,
    progress_reporter,
    start_attempt,
)
from stategraph.pregel._timed import _TimedAttemptScope as _TimedAttemptScope, run_timed

__all__ = ("arun_with_retry", "run_with_retry")

logger = logging.getLogger(__name__)


def _should_retry_on(policy: RetryPolicy, exc: Exception) -> bool:
    """Whether ``policy.retry_on`` (class, classes or predicate) covers ``exc``.

    Raises:
        TypeError: When ``retry_on`` is none of those.
    """
    return _matches(policy, exc)


def _checkpoint_ns_for_parent_command(ns: str) -> str:
    """The namespace of the graph above the one running at ``ns``."""
    return _parent_ns(ns)


def _ensure_execution_info(
    runtime: Runtime[Any], config: Any, task: PregelExecutableTask
) -> Runtime[Any]:
    """``runtime`` with an ``ExecutionInfo`` built from ``config`` when it has none.

    Tasks prepared elsewhere (a distributed executor) arrive without one.
    """
    if runtime.execution_info is not None:
        return runtime
    conf = config.get(CONF, {})
    run_id = config.get("run_id")
    return runtime.override(
        execution_info=ExecutionInfo(
            checkpoint_id=conf.get(CONFIG_KEY_CHECKPOINT_ID) or "",
            checkpoint_ns=conf.get(CONFIG_KEY_CHECKPOINT_NS) or "",
            task_id=conf.get(CONFIG_KEY_TASK_ID) or task.id,
            thread_id=conf.get(CONFIG_KEY_THREAD_ID),
            run_id=str(run_id) if run_id else None,
        )
    )


def _patch_info(config: Any, **fields: Any) -> Any:
    runtime = config.get(CONF, {}).get(CONFIG_KEY_RUNTIME)
    if not isinstance(runtime, Runtime) or runtime.execution_info is None:
        return config
    info = runtime.execution_info.patch(**fields)
    return patch_configurable(
        config, {CONFIG_KEY_RUNTIME: runtime.override(execution_info=info)}
    )


def _first_config(task: PregelExecutableTask, configurable: Any) -> Any:
    """The config of the first attempt: execution info filled in and timestamped."""
    config: Any = task.config
    if configurable is not None:
        config = patch_configurable(config, configurable)
    runtime = config.get(CONF, {}).get(CONFIG_KEY_RUNTIME)
    if isinstance(runtime, Runtime):
        runtime = _ensure_execution_info(runtime, config, task)
        config = patch_configurable(config, {CONFIG_KEY_RUNTIME: runtime})
        config = _patch_info(config, node_first_attempt_time=time.time())
    return config


def _own_command(task: PregelExecutableTask, config: Any, exc: ParentCommand) -> bool:
    """Whether a ``Command`` raised up from a subgraph targets this task's graph.

    A command for the parent of this graph is re-addressed to its namespace.
    """
    ns: str = config[CONF][CONFIG_KEY_CHECKPOINT_NS]
    cmd = exc.args[0]
    if cmd.graph in (ns, _recast(ns), task.name):
        return True
    if cmd.graph == Command.PARENT:
        exc.args = (dataclasses.replace(cmd, graph=_parent_ns(ns)),)
    return False


def _delay(
    task: PregelExecutableTask,
    policies: Sequence[RetryPolicy] | None,
    exc: BaseException,
    failures: int,
) -> float | None:
    """Seconds before the attempt after failure ``failures``, or ``None``."""
    exc.add_note(f"During task with name '{task.name}' and id '{task.id}'")
    delay = retry_delay(policies, exc, failures - 1)
    if delay is not None:
        logger.info(
            "Retrying task %s after %.2f seconds (attempt %d) after %s %s",
            task.name,
            delay,
            failures,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
    return delay


def run_with_retry(
    task: PregelExecutableTask,
    retry_policy: Sequence[RetryPolicy] | None,
    configurable: dict[str, Any] | None = None,
) -> Any:
    """Run ``task`` (sync), retrying as its (or the given) retry policy says.

    Raises:
        ValueError: When the task has a timeout (sync code cannot be cancelled).
    """
    policies = task.retry_policy or retry_policy
    if task.timeout is not None:
        raise sync_timeout_unsupported(task.name)
    config = _first_config(task, configurable)
    failures = 0
    while True:
        config = _patch_info(config, node_attempt=failures + 1)
        task.writes.clear()
        try:
            return task.proc.invoke(task.input, config)
        except ParentCommand as exc:
            if not _own_command(task, config, exc):
                raise
            for writer in task.writers:
                writer.invoke(exc.args[0], config)
            return None
        except GraphBubbleUp:
            raise
        except asyncio.CancelledError as exc:
            # No event loop cancels a sync node: the node raised it itself.
            raise NodeCancelledError(task.name) from exc
        except Exception as exc:
            failures += 1
            delay = _delay(task, policies, exc, failures)
            if delay is None:
                raise
            time.sleep(delay)
            config = patch_configurable(config, {CONFIG_KEY_RESUMING: True})


async def _attempt(task: PregelExecutableTask, config: Any, stream: bool) -> Any:
    """One attempt, reported to the observer; failures raise.

    A command a subgraph sent to this graph is applied by the task's writers.
    """
    context = start_attempt(task, config, task.timeout)
    try:
        result = await run_timed(
            task, config, stream, progress_reporter(config, context)
        )
    except ParentCommand as exc:
        if not _own_command(task, config, exc):
            finish_attempt(config, context)
            raise
        try:
            for writer in task.writers:
                writer.invoke(exc.args[0], config)
        except Exception as writer_exc:
            finish_attempt(config, context, writer_exc)
            raise
        result = None
    except GraphBubbleUp:
        finish_attempt(config, context)
        raise
    except Exception as exc:
        finish_attempt(config, context, exc)
        raise
    finish_attempt(config, context)
    return result


async def arun_with_retry(
    task: PregelExecutableTask,
    retry_policy: Sequence[RetryPolicy] | None,
    stream: bool = False,
    configurable: dict[str, Any] | None = None,
) -> Any:
    """Run ``task`` (async), retrying as its (or the given) retry policy says.

    With ``stream`` the node is consumed with ``astream`` and the result is
    the value it wrote to ``RETURN``. A task timeout limits each attempt
    (``NodeTimeoutError``, which retry policies may retry); timed attempts are
    reported to the observer in the config, if any.
    """
    policies = task.retry_policy or retry_policy
    config = _first_config(task, configurable)
    failures = 0
    while True:
        config = _patch_info(config, node_attempt=failures + 1)
        task.writes.clear()
        try:
            return await _attempt(task, config, stream)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            failures += 1
            delay = _delay(task, policies, exc, failures)
            if delay is None:
                raise
            await asyncio.sleep(delay)
            config = patch_configurable(config, {CONFIG_KEY_RESUMING: True})
