"""Run queues: at most one running run per thread, FIFO after it.

``RunQueue`` is the interface routes and the executor use; it owns scheduling
and cancellation only. What running a run means (the graph, storage,
streaming) is the ``execute`` callable a queue is given. ``InMemoryRunQueue``
schedules in this process (``stategraph dev``); the PostgreSQL queue of
``stategraph serve`` (``_pg_queue``) implements the same methods across
processes. A run created with ``after_seconds`` joins its thread's queue only
when its start time comes, so runs created after it but due earlier go first
(as LangGraph's server orders pending runs by their start time). A queue may
also cap the runs it executes at once, across threads (LangGraph's
``N_JOBS_PER_WORKER``, ``--n-jobs-per-worker``): a thread whose next run
waits for a free slot gets one in the order threads became ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

CancelAction = Literal["interrupt", "rollback"]

#: LangGraph's setting for the runs a worker process executes at once.
JOBS_ENV = "N_JOBS_PER_WORKER"


def jobs_per_worker() -> int | None:
    """The runs a worker executes at once, from ``N_JOBS_PER_WORKER``.

    Returns:
        The number, or ``None`` when the variable is not set.

    Raises:
        ValueError: When it is set to anything but a whole number of at
            least 1 (LangGraph's 0, a process that executes no runs, is
            ``stategraph serve --workers 0`` here).
    """
    value = os.environ.get(JOBS_ENV)
    if value is None or not value.strip():
        return None
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise ValueError(
            f"{JOBS_ENV} must be a number of runs of at least 1, got {value!r}"
        )
    return jobs


@dataclass(slots=True)
class ActiveRun:
    """A run a worker task is executing, and how it was asked to stop."""

    run: dict[str, Any]
    task: asyncio.Task[None] | None = None
    #: Set by ``cancel``; ``None`` when the task is cancelled by shutdown.
    cancel_action: CancelAction | None = None
    #: 1, or more when a worker took the run over from one that died.
    attempt: int = 1
    #: Cancelled by a stopping worker that hands the run to another one:
    #: its end is not recorded.
    released: bool = False


@dataclass(slots=True)
class _ThreadLane:
    active: ActiveRun | None = None
    pending: deque[dict[str, Any]] = field(default_factory=deque)
    #: Runs waiting for their start time, with the timer that queues them.
    delayed: dict[str, tuple[asyncio.TimerHandle, dict[str, Any]]] = field(
        default_factory=dict
    )
    #: In the queue's line of threads waiting for a free slot.
    ready: bool = False

    def idle(self) -> bool:
        return self.active is None and not self.pending and not self.delayed


Execute = Callable[[ActiveRun], Awaitable[None]]
Where = Literal["running", "pending", "absent"]


class RunQueue(ABC):
    """Schedules runs: one at a time per thread, in order of their start time."""

    @abstractmethod
    async def submit(self, run: dict[str, Any]) -> None:
        """Queue ``run`` (already stored): now, or after ``after_seconds``."""

    @abstractmethod
    async def in_flight(self, thread_id: str) -> list[str]:
        """Ids of the thread's running, queued and delayed runs (running first)."""

    @abstractmethod
    async def all_in_flight(self) -> list[tuple[str, str, bool]]:
        """``(thread_id, run_id, running)`` of every run in flight."""

    @abstractmethod
    async def cancel(self, thread_id: str, run_id: str, action: CancelAction) -> Where:
        """Stop a run: signal its worker, or drop it from the queue.

        Returns:
            ``"running"`` if its execution was told to stop (it records its
            own end), ``"pending"`` if it was removed before starting (the
            caller records that), ``"absent"`` if the run is not in flight.
        """

    @abstractmethod
    async def stop_thread(self, thread_id: str) -> list[str]:
        """Drop the thread's queued runs and interrupt its running one.

        Returns once the running run has recorded its end.

        Returns:
            The ids of the queued runs dropped (they never started).
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Stop scheduling (server shutdown)."""


class InMemoryRunQueue(RunQueue):
    """``RunQueue`` in this process: runs are tasks on its event loop.

    Args:
        execute: Runs one run to its end; called in a task of its own.
        concurrency: Most runs executing at once, across threads (``None``:
            no limit but one per thread).
    """

    def __init__(self, execute: Execute, *, concurrency: int | None = None) -> None:
        if concurrency is not None and concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._execute = execute
        self._lanes: dict[str, _ThreadLane] = {}
        self._closed = False
        self._concurrency = concurrency
        self._running = 0
        #: Threads whose next run can start once a slot is free, in order.
        self._ready: deque[_ThreadLane] = deque()

    async def submit(self, run: dict[str, Any]) -> None:
        """Queue ``run``: now, or when its ``after_seconds`` delay has passed."""
        lane = self._lanes.setdefault(run["thread_id"], _ThreadLane())
        delay = run["kwargs"].get("after_seconds") or 0
        if delay > 0:
            loop = asyncio.get_running_loop()
            handle = loop.call_later(delay, self._arrive, lane, run)
            lane.delayed[run["run_id"]] = (handle, run)
        else:
            self._arrive(lane, run)

    def _arrive(self, lane: _ThreadLane, run: dict[str, Any]) -> None:
        lane.delayed.pop(run["run_id"], None)
        lane.pending.append(run)
        self._line_up(lane)

    def _line_up(self, lane: _ThreadLane) -> None:
        """Put a thread whose next run may start in line, and start runs."""
        if lane.active is None and lane.pending and not lane.ready:
            lane.ready = True
            self._ready.append(lane)
        while self._ready and not self._closed:
            if self._concurrency is not None and self._running >= self._concurrency:
                return
            ready = self._ready.popleft()
            ready.ready = False
            # Its runs may have been cancelled, or a run started, meanwhile.
            if ready.active is None and ready.pending:
                self._start(ready, ready.pending.popleft())

    async def in_flight(self, thread_id: str) -> list[str]:
        """Ids of the thread's running, queued and delayed runs."""
        return self._in_flight(thread_id)

    def _in_flight(self, thread_id: str) -> list[str]:
        lane = self._lanes.get(thread_id)
        if lane is None:
            return []
        ids = [lane.active.run["run_id"]] if lane.active is not None else []
        return ids + [run["run_id"] for run in lane.pending] + list(lane.delayed)

    async def all_in_flight(self) -> list[tuple[str, str, bool]]:
        """``(thread_id, run_id, running)`` of every run in flight."""
        out = []
        for thread_id, lane in self._lanes.items():
            for run_id in self._in_flight(thread_id):
                running = (
                    lane.active is not None and lane.active.run["run_id"] == run_id
                )
                out.append((thread_id, run_id, running))
        return out

    async def cancel(self, thread_id: str, run_id: str, action: CancelAction) -> Where:
        """Stop a run: cancel its task, or drop it from the queue."""
        lane = self._lanes.get(thread_id)
        if lane is None:
            return "absent"
        active = lane.active
        if active is not None and active.run["run_id"] == run_id:
            if active.cancel_action is None:
                active.cancel_action = action
                assert active.task is not None
                active.task.cancel()
            return "running"
        if run_id in lane.delayed:
            lane.delayed.pop(run_id)[0].cancel()
            self._forget_if_idle(thread_id, lane)
            return "pending"
        for run in lane.pending:
            if run["run_id"] == run_id:
                lane.pending.remove(run)
                self._forget_if_idle(thread_id, lane)
                return "pending"
        return "absent"

    async def stop_thread(self, thread_id: str) -> list[str]:
        """Drop the thread's queued runs and interrupt its running one."""
        lane = self._lanes.get(thread_id)
        if lane is None:
            return []
        dropped = [run["run_id"] for run in lane.pending] + list(lane.delayed)
        lane.pending.clear()
        for handle, _ in lane.delayed.values():
            handle.cancel()
        lane.delayed.clear()
        active = lane.active
        if active is not None and active.task is not None:
            if active.cancel_action is None:
                active.cancel_action = "interrupt"
                active.task.cancel()
            await asyncio.wait([active.task])
        self._forget_if_idle(thread_id, lane)
        return dropped

    async def aclose(self) -> None:
        """Cancel every running run and drop the queued ones (server shutdown)."""
        self._closed = True
        tasks = []
        for lane in self._lanes.values():
            lane.pending.clear()
            for handle, _ in lane.delayed.values():
                handle.cancel()
            lane.delayed.clear()
            if lane.active is not None and lane.active.task is not None:
                lane.active.task.cancel()
                tasks.append(lane.active.task)
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _start(self, lane: _ThreadLane, run: dict[str, Any]) -> None:
        active = ActiveRun(run)
        lane.active = active
        self._running += 1
        active.task = asyncio.get_running_loop().create_task(self._work(active))
        # A callback, not a ``finally``: a task cancelled before its first
        # step never runs its coroutine, and its slot must be freed too.
        active.task.add_done_callback(lambda _: self._finished(lane, active))

    async def _work(self, active: ActiveRun) -> None:
        await self._execute(active)

    def _finished(self, lane: _ThreadLane, active: ActiveRun) -> None:
        lane.active = None
        self._running -= 1
        # The thread's next run queues behind threads already waiting.
        self._line_up(lane)
        self._forget_if_idle(active.run["thread_id"], lane)

    def _forget_if_idle(self, thread_id: str, lane: _ThreadLane) -> None:
        if lane.idle() and self._lanes.get(thread_id) is lane:
            del self._lanes[thread_id]
