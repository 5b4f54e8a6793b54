"""Running a step's tasks on the event loop and committing each as it ends.

Part of the async driver (``_async``): effects are carried out with async
calls (``perform``); a step's tasks run concurrently (or one by one), commit
in completion order and stop at the step's deadline or first failure.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from stategraph._engine import _handlers
from stategraph._engine._async_task import COMMIT_TURNS, perform, run_task, yield_turns
from stategraph._engine._task import Task
from stategraph.errors import GraphBubbleUp


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
    batch = _Batch(loop, saver, limit)
    failed = batch.failed
    running = {asyncio.ensure_future(batch.run_and_commit(t)): t for t in tasks}
    batch.running = running
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
                batch.start_handlers(stopped, pending)
            if failed.is_set():
                batch.stop_siblings(pending)
            while chunks:
                yield chunks.popleft()
    finally:
        for fut in pending:
            batch.stop(fut)
        if pending:
            # Wait for the cancelled nodes to unwind (and record their
            # cancellation) before a closed stream returns to its caller.
            await asyncio.wait(pending)


class _Batch:
    """A step's tasks running at once, each committing the moment it finishes.

    Stopping the step cancels its tasks: each once, and none saving its
    writes. A second cancellation, or one arriving while a finished task's
    writes are being saved, interrupts the saver mid-query; psycopg then
    closes the connection (the saver would be unusable from then on).
    """

    def __init__(self, loop: Any, saver: Any, limit: int | None) -> None:
        self.loop = loop
        self.saver = saver
        self.gate = asyncio.Semaphore(limit) if limit else None
        self.failed = asyncio.Event()
        self.running: dict[asyncio.Task[None], Task] = {}
        self.committing: set[Task] = set()
        self._stopped: set[asyncio.Task[None]] = set()

    async def run_and_commit(self, task: Task) -> None:
        """Run ``task`` and commit it the moment it finishes.

        As in LangGraph's async runner, a quick task's output thus streams
        before a slow sibling's.
        """
        loop, saver, gate = self.loop, self.saver, self.gate
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
        self.committing.add(task)
        await _commit(loop, task, exc, saver)
        if _fails(loop, task, exc):
            self.failed.set()

    def start_handlers(self, stopped: bool, pending: set[asyncio.Task[None]]) -> None:
        """Start the error handlers due, unless the step had ``stopped``.

        A failed node's error handler joins the step at once, while its
        siblings still run (none start once the step failed).
        """
        loop = self.loop
        handlers = [] if stopped else _handlers.plan(loop)
        loop.handlers_due.clear()
        for task in handlers:
            fut = asyncio.ensure_future(self.run_and_commit(task))
            self.running[fut] = task
            pending.add(fut)

    def stop_siblings(self, pending: set[asyncio.Task[None]]) -> None:
        """Stop the step after a failure: cancel the async nodes still running.

        Siblings cancelled are recorded as such, as LangGraph does. A sync
        node's thread cannot be stopped: it finishes and is kept.
        """
        for fut in pending:
            if self.running[fut].node.acall is not None:
                self.stop(fut)

    def stop(self, fut: asyncio.Task[None]) -> None:
        """Cancel ``fut`` unless it was cancelled already or is saving its writes."""
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
    failed = cut_short = False
    for task in tasks:
        if failed:
            if not cut_short:
                cut_short = True
                await _start_cancelled(task)
            if loop.durability != "exit":
                # On exit LangGraph saves the run's writes before the tasks
                # cancelled after the failure report back: theirs are lost.
                await _commit(loop, task, asyncio.CancelledError(), saver)
            while chunks:
                yield chunks.popleft()
            continue
        exc = await _within(run_task(task), deadline)
        await yield_turns(COMMIT_TURNS, loop)
        await _commit(loop, task, exc, saver)
        failed = _fails(loop, task, exc)
        while chunks:
            yield chunks.popleft()


async def _start_cancelled(task: Task) -> None:
    """Start the task queued after a failure, then cancel it: its writes are lost.

    LangGraph's ``max_concurrency`` gate lets the next task in as the failed
    one releases it, before the failure stops the step: an async node runs
    to its first suspension, a sync node (on its thread) to its end.
    """
    fut = asyncio.ensure_future(run_task(task))
    if task.node.acall is not None:
        await asyncio.sleep(0)
        fut.cancel()
    await asyncio.wait([fut])
    task.writes.clear()
