"""The in-process run queue: at most one running run per thread, FIFO after it.

``RunQueue`` owns scheduling and cancellation only. What running a run means
(the graph, storage, streaming) is the ``execute`` callable it is given, so a
PostgreSQL ``SKIP LOCKED`` queue can later implement the same methods.
"""

from __future__ import annotations

import asyncio
import contextlib
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


@dataclass(slots=True)
class _ThreadLane:
    active: ActiveRun | None = None
    pending: deque[dict[str, Any]] = field(default_factory=deque)


Execute = Callable[[ActiveRun], Awaitable[None]]


class RunQueue:
    """Schedules runs: one at a time per thread, in submission order.

    Args:
        execute: Runs one run to its end; called in a task of its own.
    """

    def __init__(self, execute: Execute) -> None:
        self._execute = execute
        self._lanes: dict[str, _ThreadLane] = {}
        self._closed = False

    def submit(self, run: dict[str, Any]) -> None:
        """Start ``run`` now if its thread is free, else queue it behind."""
        lane = self._lanes.setdefault(run["thread_id"], _ThreadLane())
        if lane.active is None:
            self._start(lane, run)
        else:
            lane.pending.append(run)

    def in_flight(self, thread_id: str) -> list[str]:
        """Ids of the thread's running and pending runs, oldest first."""
        lane = self._lanes.get(thread_id)
        if lane is None:
            return []
        ids = [lane.active.run["run_id"]] if lane.active is not None else []
        return ids + [run["run_id"] for run in lane.pending]

    def all_in_flight(self) -> list[tuple[str, str, bool]]:
        """``(thread_id, run_id, running)`` of every run in flight."""
        out = []
        for thread_id, lane in self._lanes.items():
            if lane.active is not None:
                out.append((thread_id, lane.active.run["run_id"], True))
            out += [(thread_id, run["run_id"], False) for run in lane.pending]
        return out

    def cancel(
        self, thread_id: str, run_id: str, action: CancelAction
    ) -> Literal["running", "pending", "absent"]:
        """Stop a run: cancel its task, or drop it from the queue.

        Returns:
            ``"running"`` if its task was cancelled (it records its own end),
            ``"pending"`` if it was removed before starting (the caller
            records that), ``"absent"`` if the run is not in flight.
        """
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
        for run in lane.pending:
            if run["run_id"] == run_id:
                lane.pending.remove(run)
                return "pending"
        return "absent"

    async def stop_thread(self, thread_id: str) -> list[str]:
        """Drop the thread's queued runs and interrupt its running one.

        Returns once the running run has recorded its end.

        Returns:
            The ids of the queued runs dropped (they never started).
        """
        lane = self._lanes.get(thread_id)
        if lane is None:
            return []
        dropped = [run["run_id"] for run in lane.pending]
        lane.pending.clear()
        active = lane.active
        if active is not None and active.task is not None:
            if active.cancel_action is None:
                active.cancel_action = "interrupt"
                active.task.cancel()
            await asyncio.wait([active.task])
        return dropped

    async def aclose(self) -> None:
        """Cancel every running run and drop the queued ones (server shutdown)."""
        self._closed = True
        tasks = []
        for lane in self._lanes.values():
            lane.pending.clear()
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
            self._next(lane, active.run["thread_id"])

    def _next(self, lane: _ThreadLane, thread_id: str) -> None:
        if lane.pending and not self._closed:
            self._start(lane, lane.pending.popleft())
        elif not lane.pending:
            self._lanes.pop(thread_id, None)
