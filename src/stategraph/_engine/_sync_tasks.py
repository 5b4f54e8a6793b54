"""Running a step's tasks for the sync driver, each committed as it finishes.

A lone task runs inline; a step whose nodes are known to be quick runs inline
under a watchdog, task after task; any other step runs in worker threads from
the start, as LangGraph's runner does. ``run_task`` applies the retry policy.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Iterator
from functools import partial
from typing import Any

from stategraph._engine import _handlers, _threads
from stategraph._engine._runner import (
    SLOW_TASK_SECONDS,
    note_attempt,
    note_failure,
    parent_command,
    retry_delay,
    run_sync_body,
)
from stategraph._engine._sync_perform import perform
from stategraph._engine._task import Task
from stategraph.errors import GraphBubbleUp, ParentCommand


def run_task(task: Task) -> BaseException | None:
    """Run a task with its retry policy; return the exception it ended with."""
    policies = task.node.retry_policy or task.loop.graph.retry_policy
    attempt = 0
    while True:
        task.writes.clear()
        task.fresh = None
        try:
            try:
                trace = task.loop.trace
                if trace is None or task.node.hidden:
                    run_sync_body(task)
                else:
                    trace.run_node(task, run_sync_body)
            except asyncio.CancelledError as exc:
                # No event loop cancels a sync node: it raised this itself
                # and failed.
                from stategraph.errors import NodeCancelledError

                raise NodeCancelledError(task.name) from exc
            return None
        except ParentCommand as exc:
            if parent_command(task, exc) is None:
                return exc
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
            time.sleep(delay)


def _commit(loop: Any, task: Task, exc: BaseException | None, saver: Any) -> list[Task]:
    """Commit ``task``; return the error handler tasks its failure starts."""
    # Tasks called by a running task commit from other threads.
    with loop.commit_lock:
        for effect in loop.commit(task, exc):
            perform(effect, saver, None)
        # Planned after the failure is saved, so a crash in the handler
        # resumes straight to it.
        return _handlers.plan(loop) if loop.handlers_due else []


def _run_tasks(
    loop: Any, tasks: list[Task], saver: Any, cache: Any, chunks: deque[Any] | None
) -> Iterator[Any]:
    tasks = run_lone(loop, tasks, saver)
    if tasks:
        yield from _run_shared(loop, tasks, saver, chunks)


def run_lone(loop: Any, tasks: list[Task], saver: Any) -> list[Task]:
    """Run and commit a step's lone task inline; return the tasks left to run.

    A lone task gains nothing from a thread: it always runs inline (and then
    the error handler its failure starts, if any). A step of several tasks is
    returned as it is, for ``_run_shared``.
    """
    while len(tasks) == 1:
        task = tasks[0]
        started = time.perf_counter()
        exc = run_task(task)
        elapsed = time.perf_counter() - started
        node = task.node
        if elapsed > SLOW_TASK_SECONDS or not node.fast_known or node.slow_runs:
            # (a quick run after a quick one changes nothing)
            node.note_duration(elapsed, SLOW_TASK_SECONDS)
        tasks = _commit(loop, task, exc, saver)
    return tasks


def _run_shared(
    loop: Any, tasks: list[Task], saver: Any, chunks: deque[Any] | None
) -> Iterator[Any]:
    """Run a step's tasks; each commits the moment it finishes.

    Nodes known to be quick run inline, one after another (finishing in task
    order is a completion order too), watched: once a task turns out to
    block, the rest of the step goes to worker threads. Any other step runs in
    worker threads from the start, as every step does in LangGraph, so a
    node's first run does not wait for its siblings.
    """
    limit = loop.config.get("max_concurrency") or _threads.DEFAULT_WORKERS
    work = partial(_run_and_commit, loop, saver)
    step = _threads.Step(tasks, work, limit, contextvars.copy_context())
    try:
        if all(_known_quick(t.node) for t in tasks):
            yield from _run_inline(step, chunks)
        else:
            step.escalate()
        while True:
            done = step.wait(chunks)
            while chunks:
                yield chunks.popleft()
            if done:
                break
    finally:
        # A closed stream starts no more tasks but waits for those running:
        # they write to the loop.
        step.abandon()
    if step.errors:
        raise step.errors[0]


def _run_and_commit(
    loop: Any, saver: Any, task: Task, inline: bool, add: Any
) -> BaseException | None:
    started = time.perf_counter()
    try:
        exc = run_task(task)
        elapsed = time.perf_counter() - started
        # In a worker, a slow run may only have waited for the GIL held by
        # its siblings: only a quick one tells something.
        if inline or elapsed <= SLOW_TASK_SECONDS:
            task.node.note_duration(elapsed, SLOW_TASK_SECONDS)
        if handlers := _commit(loop, task, exc, saver):
            # A failed node's error handler joins the step at once, while its
            # siblings still run, as in LangGraph.
            add(handlers)
    except BaseException as error:  # a failing saver: raised in the caller
        return error
    return None


def _known_quick(node: Any) -> bool:
    return bool(node.fast_known) and not node.bound_blocking and not node.always_thread


def _run_inline(step: _threads.Step[Task], chunks: deque[Any] | None) -> Iterator[Any]:
    """Run tasks in the calling thread until one blocks (or all are done)."""
    _WATCHDOG.watch(step)
    try:
        while not step.escalated and (task := step.take()) is not None:
            started = step.running_since = time.perf_counter()
            step.run(task, True)
            step.running_since = None
            if time.perf_counter() - started > SLOW_TASK_SECONDS:
                step.escalate()
            if chunks:
                while chunks:
                    yield chunks.popleft()
    finally:
        step.running_since = None
        _WATCHDOG.unwatch(step)


# Looks less often than a task counts as slow: each look takes the GIL from
# the step it watches.
_WATCHDOG = _threads.Watchdog(5 * SLOW_TASK_SECONDS)
