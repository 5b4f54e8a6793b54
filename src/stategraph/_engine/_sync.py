"""The sync driver: carries out the loop's effects in the calling thread.

A step whose nodes are known to be quick runs inline, task after task; any
other step runs in worker threads from the start and commits each task the
moment it finishes, in completion order, as LangGraph's runner does.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from functools import partial
from typing import Any

from stategraph._engine import _handlers, _save_errors, _spawn, _threads
from stategraph._engine._effects import (
    TAKES_TASK_PATH,
    AwaitWriter,
    FlushSteps,
    GetSubgraphState,
    ListCheckpoints,
    LoadCheckpoint,
    LoadDeltaHistory,
    ReadCache,
    RunTasks,
    SaveCheckpoint,
    SaveWrites,
    WriteCache,
)
from stategraph._engine._emit import learn_streaming, made_inside
from stategraph._engine._runner import (
    SLOW_TASK_SECONDS,
    no_sync_writer,
    note_attempt,
    note_failure,
    parent_command,
    retry_delay,
    run_sync_body,
)
from stategraph._engine._task import Task
from stategraph.checkpoint.base._runlock import run_lock_for
from stategraph.checkpoint.base._step import saves_steps, takes_header_deltas
from stategraph.errors import GraphBubbleUp, ParentCommand


def perform(effect: Any, saver: Any, cache: Any) -> Any:
    """Carry out one I/O effect with sync calls."""
    kind = type(effect)
    if kind is SaveWrites:
        method = saver.put_writes
        if TAKES_TASK_PATH.get(getattr(method, "__func__", None)):
            w = effect
            return method(w.config, w.writes, w.task_id, w.task_path)
        return method(*effect.args(method))
    if kind is SaveCheckpoint:
        if effect.writes or not effect.durable:
            return saver.put_step(
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
        return saver.put(
            effect.config, effect.checkpoint, effect.metadata, effect.new_versions
        )
    if kind is FlushSteps:
        return saver.flush_steps(effect.config)
    if kind is LoadCheckpoint:
        return saver.get_tuple(effect.config)
    if kind is LoadDeltaHistory:
        return saver.get_delta_channel_history(
            config=effect.config, channels=effect.channels
        )
    if kind is ListCheckpoints:
        return list(
            saver.list(
                effect.config,
                filter=effect.filter,
                before=effect.before,
                limit=effect.limit,
            )
        )
    if kind is ReadCache:
        return cache.get(effect.keys)
    if kind is WriteCache:
        return cache.set(effect.pairs)
    if kind is GetSubgraphState:
        return effect.graph.get_state(effect.config, subgraphs=effect.subgraphs)
    if kind is AwaitWriter:
        raise no_sync_writer(effect.pending)
    raise TypeError(f"Unknown effect {effect!r}")


def drive(
    gen: Generator[Any, Any, Any], loop: Any, chunks: deque[Any] | None
) -> Iterator[Any]:
    """Run ``gen`` to the end, yielding stream chunks as they are produced.

    A root run holds its thread's run lock throughout (savers with one):
    one process at a time runs a thread.
    """
    saver = loop.checkpointer if loop is not None else None
    config = loop.config if loop is not None else {}
    nested = loop is None or loop.is_nested
    with run_lock_for(saver, config, nested, asynchronous=False):
        yield from _run(gen, loop, chunks)


def _run(
    gen: Generator[Any, Any, Any], loop: Any, chunks: deque[Any] | None
) -> Iterator[Any]:
    saver = loop.checkpointer if loop is not None else None
    cache = loop.run.cache if loop is not None else None
    if loop is not None:
        real, saver = saver, _save_errors.guard(loop, saver)
        loop.commit_lock = threading.Lock()
        loop.call_impl = _spawn.sync_call_impl(loop, saver, cache, loop.commit_lock)
        if real is not None:
            loop.saves_steps = saves_steps(real, asynchronous=False)
            loop.defers_flush = loop.saves_steps and hasattr(real, "flush_steps")
            loop.header_deltas = takes_header_deltas(real)
            if type(chunks) is not LiveChunks:
                loop.save_now = partial(_save_now, saver, chunks)
        try:
            yield from _traced(gen, loop, chunks, saver, cache)
        finally:
            # The call closures refer to the loop: dropping them lets a
            # finished run be freed at once, not by the cycle collector.
            loop.call_impl = None
            loop.save_now = None
            # A stream closed before the step's checkpoint was saved.
            for effect in loop.flush_held():
                perform(effect, saver, None)
            for effect in loop.make_durable():
                perform(effect, saver, None)
        return
    yield from _drive(gen, loop, chunks, saver, cache)


def _save_now(saver: Any, chunks: deque[Any] | None, effect: SaveCheckpoint) -> bool:
    """Store a checkpoint from inside the loop, unless chunks wait to go first.

    The same call ``perform`` makes; the driver would have handed out the
    waiting chunks before it, so then the loop yields the effect instead.
    """
    if chunks:
        return False
    perform(effect, saver, None)
    return True


def _traced(
    gen: Generator[Any, Any, Any],
    loop: Any,
    chunks: deque[Any] | None,
    saver: Any,
    cache: Any,
) -> Iterator[Any]:
    run = loop.run
    if run.tracing is not None:
        loop.trace = run.tracing.SyncTrace.start(
            loop.graph, run.config, run.input, run.messages_handler
        )
        try:
            yield from _drive(gen, loop, chunks, saver, cache)
            loop.trace.tell(loop.lifecycle)
        except BaseException as exc:
            loop.trace.error(exc)
            raise
        loop.trace.end(loop.output)
        return
    yield from _drive(gen, loop, chunks, saver, cache)


def _drive(
    gen: Generator[Any, Any, Any],
    loop: Any,
    chunks: deque[Any] | None,
    saver: Any,
    cache: Any,
) -> Iterator[Any]:
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = gen.send(value) if error is None else gen.throw(error)
        except StopIteration:
            if _save_errors.failed(loop):
                raise loop.save_error from None
            while chunks:
                yield chunks.popleft()
            break
        value, error = None, None
        try:
            if type(effect) is RunTasks:
                while chunks:
                    yield chunks.popleft()
                live = chunks if type(chunks) is LiveChunks else None
                if live is not None:
                    live.inside = False
                    if any(t.node.streams_late() for t in effect.tasks):
                        yield from _run_live(loop, effect.tasks, saver, cache, live)
                        learn_streaming(effect.tasks, live.inside)
                        continue
                yield from _run_tasks(loop, effect.tasks, saver, cache, chunks)
                if live is not None:
                    learn_streaming(effect.tasks, live.inside)
                if loop.calls:
                    _spawn.finish_sync_calls(loop)
                if (
                    len(effect.tasks) == 1
                    and not loop.failures
                    and type(chunks) is not LiveChunks
                ):
                    # A lone task's output is released with the next effect,
                    # as LangGraph does: if the barrier then fails, it is lost
                    # (an eager stream has it already: LangGraph's waiter).
                    continue
            else:
                value = perform(effect, saver, cache)
                if type(effect) is WriteCache:
                    # LangGraph caches a step's writes without handing out
                    # its chunks: a lone task's wait for the next effect
                    continue
        except Exception as exc:
            error = exc
        while chunks and not _save_errors.failed(loop):
            yield chunks.popleft()


class LiveChunks(deque[Any]):
    """Chunks made by tasks running in a worker while the caller streams them."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = threading.Condition()
        self.finished = False
        # Whether the current step made a chunk from inside a task.
        self.inside = False

    def append(self, item: Any) -> None:
        with self.cond:
            super().append(item)
            if not self.inside and made_inside(item):
                self.inside = True
            self.cond.notify()


def _run_live(
    loop: Any, tasks: list[Task], saver: Any, cache: Any, chunks: LiveChunks
) -> Iterator[Any]:
    """Run a step in a worker thread; yield its chunks the moment they exist."""
    failure: list[BaseException] = []
    chunks.finished = False

    def step() -> None:
        try:
            for _ in _run_tasks(loop, tasks, saver, cache, None):
                pass
            if loop.calls:
                _spawn.finish_sync_calls(loop)
        except BaseException as exc:
            failure.append(exc)
        finally:
            with chunks.cond:
                chunks.finished = True
                chunks.cond.notify()

    _threads.pool().submit(contextvars.copy_context().run, step)
    while True:
        with chunks.cond:
            while not chunks and not chunks.finished:
                chunks.cond.wait()
            done = chunks.finished
        while chunks:
            yield chunks.popleft()
        if done:
            break
    if failure:
        raise failure[0]


def run_to_end(gen: Generator[Any, Any, Any], saver: Any, cache: Any = None) -> Any:
    """Drive a generator that runs no tasks (state reads and updates)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = gen.send(value) if error is None else gen.throw(error)
        except StopIteration as stop:
            return stop.value
        value, error = None, None
        try:
            value = perform(effect, saver, cache)
        except Exception as exc:
            error = exc


def _run_once(task: Task) -> None:
    try:
        trace = task.loop.trace
        if trace is None or task.node.hidden:
            run_sync_body(task)
        else:
            trace.run_node(task, run_sync_body)
    except asyncio.CancelledError as exc:
        # No event loop cancels a sync node: it raised this itself and failed.
        from stategraph.errors import NodeCancelledError

        raise NodeCancelledError(task.name) from exc


def run_task(task: Task) -> BaseException | None:
    """Run a task with its retry policy; return the exception it ended with."""
    policies = task.node.retry_policy or task.loop.graph.retry_policy
    attempt = 0
    while True:
        task.writes.clear()
        try:
            _run_once(task)
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
    while len(tasks) == 1:
        # A lone task gains nothing from a thread: always run it inline (and
        # then the error handler its failure starts, if any).
        task = tasks[0]
        started = time.perf_counter()
        exc = run_task(task)
        task.node.note_duration(time.perf_counter() - started, SLOW_TASK_SECONDS)
        tasks = _commit(loop, task, exc, saver)
    if tasks:
        yield from _run_shared(loop, tasks, saver, chunks)


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
