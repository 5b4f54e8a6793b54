"""Run queues: at most one running run per thread, FIFO after it.

``RunQueue`` is the interface routes and the executor use; it owns scheduling
and cancellation only. What running a run means (the graph, storage,
streaming) is the ``execute`` callable a queue is given. ``InMemoryRunQueue``
schedules in this process (``stategraph dev``); the PostgreSQL queue of
``stategraph serve`` (``_pg_queue``) implements the same methods across
processes. A run created with ``after_seconds`` joins its thread's queue only
when its start time comes, so runs created after it but due earlier go first
(as LangGraph's server orders pending runs by their start time).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

CancelAction = Literal["interrupt", "rollback"]


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
    """

    def __init__(self, execute: Execute) -> None:
        self._execute = execute
        self._lanes: dict[str, _ThreadLane] = {}
        self._closed = False

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
        if lane.active is None:
            self._start(lane, run)
        else:
            lane.pending.append(run)

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
        active.task = asyncio.get_running_loop().create_task(self._work(lane, active))

    async def _work(self, lane: _ThreadLane, active: ActiveRun) -> None:
        try:
            await self._execute(active)
        finally:
            lane.active = None
            if lane.pending and not self._closed:
                self._start(lane, lane.pending.popleft())
            self._forget_if_idle(active.run["thread_id"], lane)

    def _forget_if_idle(self, thread_id: str, lane: _ThreadLane) -> None:
        if lane.idle() and self._lanes.get(thread_id) is lane:
            del self._lanes[thread_id]
