"""The sync driver: carries out the loop's effects in the calling thread.

A step whose nodes are known to be quick runs inline, task after task; any
other step runs in worker threads from the start and commits each task the
moment it finishes, in completion order, as LangGraph's runner does.
"""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Generator, Iterator
from functools import partial
from typing import Any

from stategraph._engine import _save_errors, _spawn, _threads
from stategraph._engine._effects import (
    RunTasks,
    SaveCheckpoint,
    WriteCache,
    writes_caller,
)
from stategraph._engine._emit import learn_streaming, made_inside
from stategraph._engine._sync_perform import perform as perform
from stategraph._engine._sync_tasks import (
    _run_shared,
    _run_tasks,
    run_lone,
    run_task as run_task,
)
from stategraph._engine._task import Task
from stategraph.checkpoint.base._runlock import run_lock_for
from stategraph.checkpoint.base._step import saves_steps, takes_header_deltas


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
                make = getattr(real, "step_writer", None)
                if make is not None and loop.header_deltas and not loop.saves_steps:
                    loop.steps_to = (make, chunks)
            loop.write_now = writes_caller(saver.put_writes)
        try:
            yield from _traced(gen, loop, chunks, saver, cache)
        finally:
            # The call closures refer to the loop: dropping them lets a
            # finished run be freed at once, not by the cycle collector.
            loop.call_impl = None
            loop.save_now = None
            loop.steps_to = None
            loop.step_writer = None
            loop.write_now = None
            # A stream closed before the step's checkpoint was saved.
            for effect in loop.flush_held():
                perform(effect, saver, None)
            for effect in loop.make_durable():
                perform(effect, saver, None)
        return
    yield from _drive(gen, loop, chunks, saver, cache)


def _save_now(
    saver: Any,
    chunks: deque[Any] | None,
    config: Any,
    checkpoint: Any,
    metadata: Any,
    new_versions: Any,
    held: Any,
    durable: bool,
    since: Any,
) -> bool:
    """Store a checkpoint from inside the loop, unless chunks wait to go first.

    The same call ``perform`` makes of the ``SaveCheckpoint`` these are the
    fields of; the driver would have handed out the waiting chunks before it,
    so then the loop yields the effect instead.
    """
    if chunks:
        return False
    if held or not durable:
        save = SaveCheckpoint(
            config, checkpoint, metadata, new_versions, held, durable, since
        )
        perform(save, saver, None)
    elif since is not None:
        saver.put_changes(config, checkpoint, metadata, new_versions, since)
    else:
        saver.put(config, checkpoint, metadata, new_versions)
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
                todo = run_lone(loop, effect.tasks, saver)
                if todo:
                    yield from _run_shared(loop, todo, saver, chunks)
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
                if type(effect) is WriteCache or type(effect) is SaveCheckpoint:
                    # LangGraph caches and saves a step without handing out
                    # its chunks: they wait for the next step's tasks (or the
                    # run's end), and are lost if planning that step fails
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
