"""Threads of the sync driver: the worker pool, a step's task queue, the watchdog.

Nothing here knows about graphs: a step is a list of jobs, and the driver
says what running one of them means.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")

DEFAULT_WORKERS = min(32, (os.cpu_count() or 1) + 4)
"""Tasks of a step running at once when ``max_concurrency`` is not set: the
size of LangGraph's default executor."""

_MAX_THREADS = 4096
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The process's worker threads, created on first use.

    It grows to the number of jobs running at once (idle threads are reused):
    a task running a subgraph's steps in the same pool must never wait for a
    free worker held by its own parent.
    """
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(
                    max_workers=_MAX_THREADS, thread_name_prefix="stategraph"
                )
    return _POOL


class Step(Generic[T]):
    """A step's tasks, taken one at a time by the caller and by workers.

    The caller runs tasks inline while they are quick. ``escalate`` (by the
    caller after a slow task, or by the watchdog while one runs) hands the
    rest to worker threads; from then on the caller only waits and streams.

    Args:
        items: the step's tasks.
        work: ``work(task, inline, add)`` runs one task and commits it (``add``
            adds tasks to the step); returns the error to raise in the caller
            (a failing saver), if any.
        workers: most tasks to run at once.
    """

    __slots__ = (
        "_active",
        "_closed",
        "_cond",
        "_context",
        "_pending",
        "_queue",
        "_work",
        "_workers",
        "errors",
        "escalated",
        "running_since",
    )

    def __init__(
        self,
        items: list[T],
        work: Callable[[T, bool, Callable[[Iterable[T]], None]], BaseException | None],
        workers: int,
        context: Any,
    ) -> None:
        self._queue: deque[T] = deque(items)
        self._pending = len(items)
        # Workers draining the queue: a job added mid-step starts another one
        # only when there is room under the limit.
        self._active = 0
        self._closed = False
        self._work = work
        self._workers = workers
        self._context = context
        self._cond = threading.Condition()
        self.errors: list[BaseException] = []
        self.escalated = False
        # When the caller's current inline task started (read by the watchdog).
        self.running_since: float | None = None

    def take(self) -> T | None:
        """The next task nobody took yet, or ``None``."""
        with self._cond:
            return self._queue.popleft() if self._queue else None

    def add(self, items: Iterable[T]) -> None:
        """Add tasks to the running step (a failed node's error handler).

        Before the step is handed to workers, the caller takes them inline
        with the rest; after, they start in a worker at once when the step is
        under its limit, else the next free worker takes them.
        """
        with self._cond:
            if self._closed:
                return  # an abandoned step starts nothing new
            added = len(self._queue)
            self._queue.extend(items)
            added = len(self._queue) - added
            self._pending += added
            starts = 0
            if self.escalated:
                starts = max(0, min(added, self._workers - self._active))
                self._active += starts
        for _ in range(starts):
            pool().submit(self._context.copy().run, self._drain)

    def run(self, item: T, inline: bool) -> None:
        """Run one task (any thread) and record that it finished."""
        error = self._work(item, inline, self.add)
        with self._cond:
            self._pending -= 1
            if error is not None:
                self.errors.append(error)
            self._cond.notify_all()

    def escalate(self, busy: int = 0) -> None:
        """Start workers for the tasks nobody took yet (once).

        Args:
            busy: tasks the caller is running itself (count against the limit).
        """
        with self._cond:
            room = self._workers - busy
            if self.escalated or room <= 0:
                return  # at the concurrency limit: the caller goes on alone
            self.escalated = True
            # At least one worker: the caller takes no more tasks from now on.
            starts = max(1, min(self._pending - busy, room))
            self._active += starts
        for _ in range(starts):
            pool().submit(self._context.copy().run, self._drain)

    def _drain(self) -> None:
        while (item := self._take_or_retire()) is not None:
            self.run(item, False)

    def _take_or_retire(self) -> T | None:
        # Taking and retiring under one lock: a task added just as the
        # worker finds the queue empty sees it gone and starts another.
        with self._cond:
            if self._queue:
                return self._queue.popleft()
            self._active -= 1
            return None

    def wait(self, ready: Any) -> bool:
        """Wait until a task finishes unless ``ready``; return whether all did."""
        with self._cond:
            if self._pending and not ready:
                self._cond.wait()
            return not self._pending

    def abandon(self) -> None:
        """Start no more tasks; wait until those running have finished."""
        with self._cond:
            self._closed = True
            self._pending -= len(self._queue)
            self._queue.clear()
            while self._pending:
                self._cond.wait()


class Watchdog:
    """Hands a step to workers when the task its caller runs inline blocks.

    A node known to be quick can block this time (a slow call, a wait on a
    sibling); its siblings must not wait for it, as they would not in
    LangGraph, where every task of a step has its own thread. One daemon
    thread looks at the watched steps every ``interval`` seconds while there
    are any, and sleeps otherwise.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._cond = threading.Condition()
        self._steps: set[Step[Any]] = set()
        self._thread: threading.Thread | None = None

    def watch(self, step: Step[Any]) -> None:
        """Start watching ``step`` (its caller is about to run tasks inline)."""
        with self._cond:
            self._steps.add(step)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="stategraph-watchdog", daemon=True
                )
                self._thread.start()
            elif len(self._steps) == 1:
                self._cond.notify()

    def unwatch(self, step: Step[Any]) -> None:
        """Stop watching ``step``."""
        with self._cond:
            self._steps.discard(step)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._steps:
                    self._cond.wait()
            time.sleep(self._interval)
            self._escalate_late()

    def _escalate_late(self) -> None:
        # A function of its own so that the steps it escalates are not left
        # in this thread's locals while it sleeps: a step refers to its run,
        # which would stay alive (with its state) until the next step.
        now = time.perf_counter()
        with self._cond:
            late = [
                step
                for step in self._steps
                if step.running_since is not None
                and now - step.running_since > self._interval
            ]
            self._steps.difference_update(late)
        for step in late:
            step.escalate(busy=1)
