"""The async driver: carries out the loop's effects on the running event loop.

Async nodes of a step run as concurrent asyncio tasks; sync nodes run inline
until one turns out to block, then in the default executor.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Generator
from contextlib import aclosing
from typing import Any

from stategraph._engine import _handlers, _spawn
from stategraph._engine._effects import (
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
    await_deferred,
    note_attempt,
    note_failure,
    parent_command,
    retry_delay,
    run_async_body,
    run_sync_body,
)
from stategraph._engine._task import Task
from stategraph._internal._queue import Wakeup
from stategraph.checkpoint.base._runlock import run_lock_for
from stategraph.checkpoint.base._step import saves_steps
from stategraph.errors import GraphBubbleUp, ParentCommand

# Event-loop turns LangGraph's async runner takes from a task's body ending
# to its commit, and (after the retry sleep) from a failed attempt to the next.
COMMIT_TURNS = 5
RETRY_TURNS = 5
# Stream modes that show nothing while a step runs or between its commits.
_UNPACED_MODES = frozenset(("values", "checkpoints"))


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
    saver = loop.checkpointer
    cache = loop.run.cache
    # An asyncio saver's sync methods wait for this loop; a sync node run
    # inline (blocking the loop) that invokes a subgraph would deadlock.
    loop.sync_off_loop = getattr(saver, "loop", None) is asyncio.get_running_loop()

    loop.call_impl = _spawn.async_call_impl(loop, saver, cache)
    # Event-loop turns order what concurrent tasks stream (``yield_turns``);
    # a subgraph's turns order its parent's tasks.
    loop.paced = (
        loop.is_nested
        or loop.run.tracing is not None
        or not loop.modes <= _UNPACED_MODES
    )
    if saver is not None:
        loop.saves_steps = saves_steps(saver, asynchronous=True)
        loop.defers_flush = loop.saves_steps and hasattr(saver, "aflush_steps")
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
            while chunks:
                yield chunks.popleft()
            break
        value, error = None, None
        try:
            if type(effect) is RunTasks:
                while chunks:
                    yield chunks.popleft()
                live = chunks if type(chunks) is AsyncLiveChunks else None
                if live is not None:
                    live.bind()  # put_soon needs the event loop
                    live.inside = False
                    if any(t.node.streams_late() for t in effect.tasks):
                        async with aclosing(
                            _run_live(loop, effect.tasks, saver, live)
                        ) as stream:
                            async for chunk in stream:
                                yield chunk
                        learn_streaming(effect.tasks, live.inside)
                        continue
                async with aclosing(
                    _run_tasks(loop, effect.tasks, saver, chunks)
                ) as stream:
                    async for chunk in stream:
                        yield chunk
                if loop.calls:
                    await _spawn.finish_async_calls(loop)
                if live is not None:
                    await live.settle()
                    learn_streaming(effect.tasks, live.inside)
                if (
                    len(effect.tasks) == 1
                    and not loop.failures
                    and type(chunks) is not AsyncLiveChunks
                ):
                    # A lone task's output is released with the next effect,
                    # as LangGraph does: if the barrier then fails, it is lost
                    # (an eager stream has it already: LangGraph's waiter).
                    continue
            else:
                value = await perform(effect, saver, cache)
                if type(effect) is WriteCache:
                    # LangGraph caches a step's writes without handing out
                    # its chunks: a lone task's wait for the next effect
                    continue
        except asyncio.CancelledError as exc:
            # The loop still saves what a cancelled run keeps (the exit
            # checkpoint with durability="exit"), as LangGraph does.
            error = exc
        except Exception as exc:
            error = exc
        while chunks:
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
    """Run a step as a background task; yield its chunks the moment they exist."""
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


async def _commit(loop: Any, task: Task, exc: BaseException | None, saver: Any) -> None:
    for effect in loop.commit(task, exc):
        await perform(effect, saver, None)


async def _run_tasks(
    loop: Any, tasks: list[Task], saver: Any, chunks: deque[Any] | None
) -> AsyncGenerator[Any, None]:
    while tasks:
        async with aclosing(_run_batch(loop, tasks, saver, chunks)) as stream:
            async for chunk in stream:
                yield chunk
        # What a lone task (or tasks run one by one) failed into: its error
        # handlers run next, in the same step. A wider step starts them as
        # soon as their node fails.
        tasks = _handlers.plan(loop) if loop.handlers_due else []


async def _run_batch(
    loop: Any, tasks: list[Task], saver: Any, chunks: deque[Any] | None
) -> AsyncGenerator[Any, None]:
    if not tasks:
        return
    loop.parallel_step = len(tasks) > 1
    deadline = _deadline(loop)
    if len(tasks) == 1:
        exc = await _within(run_task(tasks[0]), deadline)
        await yield_turns(COMMIT_TURNS, loop)
        await _commit(loop, tasks[0], exc, saver)
        return

    limit = loop.config.get("max_concurrency")
    if limit == 1:
        one_by_one = _run_one_by_one(loop, tasks, saver, chunks, deadline)
        async with aclosing(one_by_one) as stream:
            async for chunk in stream:
                yield chunk
        return
    gate = asyncio.Semaphore(limit) if limit else None
    failed = asyncio.Event()
    stop = _Stopper()

    # Each task commits the moment it finishes, as LangGraph's async runner
    # does, so a quick task's output is streamed before a slow sibling's.
    async def run_and_commit(task: Task) -> None:
        try:
            if gate is None:
                exc = await run_task(task)
            else:
                async with gate:
                    exc = await run_task(task)
        except asyncio.CancelledError as cancelled:
            await _commit(loop, task, cancelled, saver)
            raise
        await yield_turns(COMMIT_TURNS, loop)
        stop.committing.add(task)
        await _commit(loop, task, exc, saver)
        if _fails(loop, task, exc):
            failed.set()

    running = {asyncio.ensure_future(run_and_commit(t)): t for t in tasks}
    stop.running = running
    pending = set(running)
    try:
        while pending:
            stopped = failed.is_set()
            done, pending = await asyncio.wait(
                pending,
                timeout=_remaining(deadline),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not done:
                # The step ran past ``step_timeout``: the ``finally`` below
                # cancels what still runs, as LangGraph does.
                raise asyncio.TimeoutError
            for fut in done:
                if not fut.cancelled():
                    fut.result()
            if loop.handlers_due:
                # A failed node's error handler joins the step at once, while
                # its siblings still run (none start once the step failed).
                handlers = [] if stopped else _handlers.plan(loop)
                loop.handlers_due.clear()
                for task in handlers:
                    fut = asyncio.ensure_future(run_and_commit(task))
                    running[fut] = task
                    pending.add(fut)
            if failed.is_set():
                # A failure stops the step: siblings still running are
                # cancelled and recorded as such, as LangGraph does. A sync
                # node's thread cannot be stopped: it finishes and is kept.
                for fut in pending:
                    if running[fut].node.acall is not None:
                        stop(fut)
            while chunks:
                yield chunks.popleft()
    finally:
        for fut in pending:
            stop(fut)
        if pending:
            # Wait for the cancelled nodes to unwind (and record their
            # cancellation) before a closed stream returns to its caller.
            await asyncio.wait(pending)


class _Stopper:
    """Cancels the tasks of a stopped step: each once, and none saving its writes.

    A second cancellation, or one arriving while a finished task's writes are
    being saved, interrupts the saver mid-query; psycopg then closes the
    connection (the saver would be unusable from then on).
    """

    def __init__(self) -> None:
        self.running: dict[asyncio.Task[None], Task] = {}
        self.committing: set[Task] = set()
        self._stopped: set[asyncio.Task[None]] = set()

    def __call__(self, fut: asyncio.Task[None]) -> None:
        if fut in self._stopped or self.running[fut] in self.committing:
            return
        self._stopped.add(fut)
        fut.cancel()


def _deadline(loop: Any) -> float | None:
    """When the step must be done by (the graph's ``step_timeout``), if at all."""
    timeout: float | None = loop.graph.step_timeout
    if timeout is None:
        return None
    return asyncio.get_running_loop().time() + timeout


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, deadline - asyncio.get_running_loop().time())


async def _within(run: Any, deadline: float | None) -> Any:
    """Await ``run``; past the deadline cancel it and raise ``TimeoutError``."""
    if deadline is None:
        return await run
    return await asyncio.wait_for(run, _remaining(deadline))


def _fails(loop: Any, task: Task, exc: BaseException | None) -> bool:
    # A failure its error handler takes care of does not stop the step.
    return (
        exc is not None
        and not isinstance(exc, GraphBubbleUp)
        and not _handlers.routes(loop, task, exc)
    )


async def _run_one_by_one(
    loop: Any,
    tasks: list[Task],
    saver: Any,
    chunks: deque[Any] | None,
    deadline: float | None,
) -> AsyncGenerator[Any, None]:
    failed = False
    for task in tasks:
        if failed:
            await _commit(loop, task, asyncio.CancelledError(), saver)
            continue
        exc = await _within(run_task(task), deadline)
        await yield_turns(COMMIT_TURNS, loop)
        await _commit(loop, task, exc, saver)
        failed = _fails(loop, task, exc)
        while chunks:
            yield chunks.popleft()
