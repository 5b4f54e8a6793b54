"""The async driver: carries out the loop's effects on the running event loop.

Async nodes of a step run as concurrent asyncio tasks; sync nodes run inline
until one turns out to block, then in the default executor.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncGenerator, Generator
from contextlib import aclosing
from typing import Any

from stategraph._constants import CONF, CONFIG_KEY_STREAM
from stategraph._engine import _save_errors, _spawn
from stategraph._engine._async_step import _run_tasks
from stategraph._engine._async_task import (
    COMMIT_TURNS as COMMIT_TURNS,
    RETRY_TURNS as RETRY_TURNS,
    perform as perform,
    run_task as run_task,
    yield_turns as yield_turns,
)
from stategraph._engine._effects import (
    RunTasks,
    SaveCheckpoint,
    WriteCache,
)
from stategraph._engine._emit import learn_streaming, made_inside
from stategraph._engine._task import Task
from stategraph._internal._queue import Wakeup
from stategraph.checkpoint.base._runlock import run_lock_for
from stategraph.checkpoint.base._step import saves_steps, takes_header_deltas

# Stream modes that show nothing while a step runs or between its commits.
_UNPACED_MODES = frozenset(("values", "checkpoints"))


async def drive(
    gen: Generator[Any, Any, Any], loop: Any, chunks: deque[Any] | None
) -> AsyncGenerator[Any, None]:
    """Run ``gen`` to the end, yielding stream chunks as they are produced.

    A root run holds its thread's run lock throughout (savers with one):
    one process at a time runs a thread.
    """
    lock = run_lock_for(
        loop.checkpointer, loop.config, loop.is_nested, asynchronous=True
    )
    async with lock, aclosing(_run(gen, loop, chunks)) as stream:
        async for chunk in stream:
            yield chunk


async def _run(
    gen: Generator[Any, Any, Any], loop: Any, chunks: deque[Any] | None
) -> AsyncGenerator[Any, None]:
    real = loop.checkpointer
    saver = _save_errors.guard(loop, real)
    cache = loop.run.cache
    # An asyncio saver's sync methods wait for this loop; a sync node run
    # inline (blocking the loop) that invokes a subgraph would deadlock.
    loop.sync_off_loop = getattr(real, "loop", None) is asyncio.get_running_loop()

    loop.call_impl = _spawn.async_call_impl(loop, saver, cache)
    loop.aio = asyncio.get_running_loop()
    # Event-loop turns order what concurrent tasks stream (``yield_turns``);
    # a subgraph's turns order its parent's tasks, and its chunks (queued a
    # turn late) come before the commit of the task it ran in.
    loop.paced = (
        loop.is_nested
        or loop.run.tracing is not None
        or not loop.modes <= _UNPACED_MODES
        or CONFIG_KEY_STREAM in loop.run.config[CONF]
    )
    if real is not None:
        loop.saves_steps = saves_steps(real, asynchronous=True)
        loop.defers_flush = loop.saves_steps and hasattr(real, "aflush_steps")
        loop.header_deltas = takes_header_deltas(real)
    try:
        async with aclosing(_traced(gen, loop, chunks, saver, cache)) as stream:
            async for chunk in stream:
                yield chunk
    finally:
        # The call closures refer to the loop: dropping them lets a finished
        # run be freed at once, not by the cycle collector (as in LangGraph).
        loop.call_impl = None
        if loop.calls:
            await _spawn.settle_saves(loop)
        # A stream closed before the step's checkpoint was saved.
        for effect in loop.flush_held():
            await perform(effect, saver, None)
        for effect in loop.make_durable():
            await perform(effect, saver, None)


async def _traced(
    gen: Generator[Any, Any, Any],
    loop: Any,
    chunks: deque[Any] | None,
    saver: Any,
    cache: Any,
) -> AsyncGenerator[Any, None]:
    run = loop.run
    if run.tracing is not None:
        loop.trace = await run.tracing.AsyncTrace.start(
            loop.graph, run.config, run.input, run.messages_handler
        )
        try:
            async with aclosing(_drive(gen, loop, chunks, saver, cache)) as stream:
                async for chunk in stream:
                    yield chunk
            await loop.trace.tell(loop.lifecycle)
        except BaseException as exc:
            await loop.trace.error(exc)
            raise
        await loop.trace.end(loop.output)
        return
    async with aclosing(_drive(gen, loop, chunks, saver, cache)) as stream:
        async for chunk in stream:
            yield chunk


async def _drive(
    gen: Generator[Any, Any, Any],
    loop: Any,
    chunks: deque[Any] | None,
    saver: Any,
    cache: Any,
) -> AsyncGenerator[Any, None]:
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
                tasks = effect.tasks
                live = chunks if type(chunks) is AsyncLiveChunks else None
                if live is not None:
                    live.bind()  # put_soon needs the event loop
                    live.inside = False
                    if any(t.node.streams_late() for t in tasks):
                        stream = _run_live(loop, tasks, saver, live)
                        async with aclosing(stream):
                            async for chunk in stream:
                                yield chunk
                        continue
                async with aclosing(_run_tasks(loop, tasks, saver, chunks)) as stream:
                    async for chunk in stream:
                        yield chunk
                if loop.calls:
                    await _spawn.finish_async_calls(loop)
                if live is not None:
                    await live.settle()
                    learn_streaming(tasks, live.inside)
                elif len(tasks) == 1 and not loop.failures:
                    # A lone task's output is released with the next effect,
                    # as LangGraph does: if the barrier then fails, it is lost
                    # (an eager stream has it already: LangGraph's waiter).
                    continue
            else:
                value = await perform(effect, saver, cache)
                if type(effect) is WriteCache or type(effect) is SaveCheckpoint:
                    # LangGraph caches and saves a step without handing out
                    # its chunks: they wait for the next step's tasks (or the
                    # run's end), and are lost if planning that step fails
                    continue
        except (asyncio.CancelledError, Exception) as exc:
            # Thrown into the loop, which still saves what a cancelled run
            # keeps (the exit checkpoint with durability="exit"), as LangGraph does.
            error = exc
        while chunks and not _save_errors.failed(loop):
            yield chunks.popleft()


class AsyncLiveChunks(deque[Any]):
    """Chunks made while a step runs, handed to the streaming caller at once."""

    def __init__(self) -> None:
        super().__init__()
        self.event: Wakeup | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0
        # Whether the current step made a chunk from inside a task.
        self.inside = False
        # Chunks ``put_soon`` will append on a later turn of the loop.
        self.pending = 0

    def bind(self) -> Wakeup:
        """Attach to the running event loop; return the event that wakes the caller."""
        if self.event is None:
            self.event = Wakeup()
            self._loop = asyncio.get_running_loop()
            self._thread = threading.get_ident()
        return self.event

    def put_soon(self, item: Any) -> None:
        """Append ``item`` one loop turn later (chunks made inside tasks).

        LangGraph's async stream queues custom writes and subgraph output with
        ``call_soon_threadsafe``, while the root graph's own chunks go in at
        once: a chunk another task makes in the same turn comes first.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            self.append(item)
            return
        self.pending += 1
        if threading.get_ident() == self._thread:
            loop.call_soon(self._put, item)
        else:
            loop.call_soon_threadsafe(self._put, item)

    def _put(self, item: Any) -> None:
        self.pending -= 1
        self.append(item)

    async def settle(self) -> None:
        """Wait for the chunks ``put_soon`` has yet to append."""
        if self.pending:
            # Their callbacks are queued on the loop already (threads queue
            # theirs before they finish): one turn runs them all.
            await asyncio.sleep(0)

    def append(self, item: Any) -> None:
        super().append(item)
        if not self.inside and made_inside(item):
            self.inside = True
        event = self.event
        if event is not None and self._loop is not None:
            if threading.get_ident() == self._thread:
                # Wake the caller one loop turn later, as LangGraph's stream
                # queue does: a task awaiting a call that just produced this
                # chunk resumes first (root stream events come after it).
                self._loop.call_soon(event.set)
            else:  # a sync node in a worker thread wrote a chunk
                self._loop.call_soon_threadsafe(event.set)


async def _run_live(
    loop: Any, tasks: list[Task], saver: Any, chunks: AsyncLiveChunks
) -> AsyncGenerator[Any, None]:
    """Run a step as a background task; yield its chunks the moment they exist.

    Once the step is done, learn which of its nodes stream from inside.
    """
    event = chunks.bind()

    async def step() -> None:
        async with aclosing(_run_tasks(loop, tasks, saver, None)) as stream:
            async for _ in stream:
                pass
        if loop.calls:
            await _spawn.finish_async_calls(loop)
        await chunks.settle()

    running = asyncio.ensure_future(step())
    running.add_done_callback(lambda _: event.set())
    try:
        while True:
            await event.wait()
            event.clear()
            while chunks:
                yield chunks.popleft()
            if running.done():
                break
        running.result()
        learn_streaming(tasks, chunks.inside)
    finally:
        if not running.done():
            running.cancel()


async def run_to_end(
    gen: Generator[Any, Any, Any], saver: Any, cache: Any = None
) -> Any:
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
            value = await perform(effect, saver, cache)
        except Exception as exc:
            error = exc
