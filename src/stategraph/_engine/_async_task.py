"""Running one task on the event loop: its timeout, body, retries and pacing.

Part of the async driver (``_async``): a task's attempts run here, with the
event-loop turns LangGraph's runner takes between them (``yield_turns``).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import Any

from stategraph._engine._effects import (
    AwaitWriter,
    FlushSteps,
    GetSubgraphState,
    ListCheckpoints,
    LoadCheckpoint,
    LoadDeltaHistory,
    ReadCache,
    SaveCheckpoint,
    SaveWrites,
    WriteCache,
)
from stategraph._engine._runner import (
    SLOW_TASK_SECONDS,
    await_deferred,
    note_attempt,
    note_failure,
    parent_command,
    retry_delay,
    run_async_body,
    run_sync_body,
)
from stategraph._engine._task import Task
from stategraph.errors import GraphBubbleUp, ParentCommand

# Event-loop turns LangGraph's async runner takes from a task's body ending
# to its commit, and (after the retry sleep) from a failed attempt to the next.
COMMIT_TURNS = 5
RETRY_TURNS = 5


async def yield_turns(n: int, loop: Any = None) -> None:
    """Let up to ``n`` turns of the event loop pass while other work is ready.

    LangGraph runs each node attempt in nested asyncio tasks and commits from
    done callbacks, so between a task's body and its commit (or its next
    attempt) other tasks run for several turns; concurrent tasks' chunks
    interleave by those turns. Nothing else ready means nobody could run in
    between: the turns are skipped (``_ready`` is asyncio's run queue; a loop
    without one always yields). A run whose stream shows nothing per task
    (``invoke``: values only) passes its ``loop`` and skips them too.
    """
    if loop is not None and not loop.paced:
        return
    ready = getattr(asyncio.get_running_loop(), "_ready", None)
    for _ in range(n):
        if ready is not None and not ready:
            return
        await asyncio.sleep(0)


async def perform(effect: Any, saver: Any, cache: Any) -> Any:
    """Carry out one I/O effect with async calls."""
    kind = type(effect)
    if kind is SaveWrites:
        return await saver.aput_writes(*effect.args(saver.aput_writes))
    if kind is SaveCheckpoint:
        if effect.writes or not effect.durable:
            return await saver.aput_step(
                effect.config,
                effect.checkpoint,
                effect.metadata,
                effect.new_versions,
                effect.step_writes(),
                durable=effect.durable,
            )
        if effect.since is not None:
            return saver.put_changes(
                effect.config,
                effect.checkpoint,
                effect.metadata,
                effect.new_versions,
                effect.since,
            )
        return await saver.aput(
            effect.config, effect.checkpoint, effect.metadata, effect.new_versions
        )
    if kind is FlushSteps:
        return await saver.aflush_steps(effect.config)
    if kind is LoadCheckpoint:
        return await saver.aget_tuple(effect.config)
    if kind is LoadDeltaHistory:
        return await saver.aget_delta_channel_history(
            config=effect.config, channels=effect.channels
        )
    if kind is ListCheckpoints:
        return [
            item
            async for item in saver.alist(
                effect.config,
                filter=effect.filter,
                before=effect.before,
                limit=effect.limit,
            )
        ]
    if kind is ReadCache:
        return await cache.aget(effect.keys)
    if kind is WriteCache:
        return await cache.aset(effect.pairs)
    if kind is GetSubgraphState:
        return await effect.graph.aget_state(effect.config, subgraphs=effect.subgraphs)
    if kind is AwaitWriter:
        return await effect.pending
    raise TypeError(f"Unknown effect {effect!r}")


def _timeout_of(task: Task) -> Any:
    if task.path[0] == "__pregel_push" and len(task.path) > 1:
        sends = task.loop.channels.get("__pregel_tasks")
        packet = _send_at(sends, task.path[1])
        if packet is not None and getattr(packet, "timeout", None) is not None:
            from stategraph._policies import TimeoutPolicy

            return TimeoutPolicy.coerce(packet.timeout)
    return task.node.timeout


def _send_at(channel: Any, idx: Any) -> Any:
    if channel is None or not isinstance(idx, int) or not channel.is_available():
        return None
    values = channel.get()
    return values[idx] if idx < len(values) else None


async def _with_timeout(task: Task, policy: Any) -> Any:
    from stategraph.pregel._attempts import (
        finish_attempt,
        progress_reporter,
        start_attempt,
    )
    from stategraph.pregel._timed import run_within

    config = task.config

    async def attempt(scope: Any) -> Any:
        # The node sees hooks (writes, stream writer, calls, heartbeat and,
        # when langchain is loaded, callbacks) that refresh the idle clock.
        task._config = scope.wrap_config(config)
        try:
            return await run_async_body(task)
        finally:
            task._config = config

    # An observer in the config (a server watching for stuck nodes) hears of
    # the attempt's start, progress and end, the end before any handler runs.
    context = start_attempt(task, config, policy)
    reporter = progress_reporter(config, context)
    try:
        out = await run_within(policy, task.name, attempt, task.writes.clear, reporter)
    except Exception as exc:
        finish_attempt(config, context, None if isinstance(exc, GraphBubbleUp) else exc)
        raise
    finish_attempt(config, context)
    return out


async def _body(task: Task) -> Any:
    node = task.node
    policy = _timeout_of(task) if node.acall is not None else None
    if policy is not None:
        return await _with_timeout(task, policy)
    if node.acall is not None:
        started = time.perf_counter()
        out = await run_async_body(task)
        node.fast_known = time.perf_counter() - started <= SLOW_TASK_SECONDS
        return out
    loop = task.loop
    if (
        not node.fast_known
        or node.bound_blocking
        or node.always_thread
        or loop.sync_off_loop
        or loop.parallel_step
    ):
        # A sync node with siblings gets a thread, as in LangGraph: run on
        # the event loop, it would hold them up whenever it blocks. So does
        # one not yet seen to be quick: if it blocks (a model call), the
        # event loop and every other run on it would wait, and the run could
        # not be cancelled.
        ctx = contextvars.copy_context()
        deferred: list[Any] = []
        out = await asyncio.get_running_loop().run_in_executor(
            None, ctx.run, _timed_sync_body, task, deferred
        )
        if deferred:
            await await_deferred(task, deferred)
        return out
    started = time.perf_counter()
    loop.inline_task = task
    try:
        out = await run_async_body(task)
    finally:
        loop.inline_task = None
    node.note_duration(time.perf_counter() - started, SLOW_TASK_SECONDS)
    # Task calls the node made in place save their writes now.
    while loop.deferred:
        await perform(loop.deferred.pop(0), loop.checkpointer, None)
    return out


def _timed_sync_body(task: Task, deferred: list[Any]) -> Any:
    started = time.perf_counter()
    out = run_sync_body(task, deferred)
    task.node.note_duration(time.perf_counter() - started, SLOW_TASK_SECONDS)
    return out


async def _run_once(task: Task) -> None:
    try:
        trace = task.loop.trace
        if trace is None or task.node.hidden:
            await _body(task)
        else:
            await trace.run_node(task, _body)
    except asyncio.CancelledError as exc:
        current = asyncio.current_task()
        if current is not None and current.cancelling() == 0:
            # Nobody cancelled the run: the node raised it, so the node failed.
            from stategraph.errors import NodeCancelledError

            raise NodeCancelledError(task.name) from exc
        raise


async def run_task(task: Task) -> BaseException | None:
    """Run a task with its retry policy; return the exception it ended with."""
    policies = task.node.retry_policy or task.loop.graph.retry_policy
    attempt = 0
    while True:
        task.writes.clear()
        try:
            await _run_once(task)
            return None
        except ParentCommand as exc:
            pending = parent_command(task, exc)
            if pending is None:
                return exc
            for awaitable in pending:
                await awaitable
            return None
        except GraphBubbleUp as exc:
            return exc
        except Exception as exc:
            note_failure(task, exc)
            delay = retry_delay(policies, exc, attempt)
            if delay is None:
                return exc
            attempt += 1
            note_attempt(task, attempt)
            await asyncio.sleep(delay)
            await yield_turns(RETRY_TURNS)
