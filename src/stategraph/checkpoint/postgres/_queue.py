"""``StepQueue``: the steps a Postgres saver stores in the background.

With ``durable=False`` (async durability) ``put_step`` does not wait for its
round trip: the step's rows (``StepRows``, already encoded) are queued, and
one drain at a time (a worker thread for the sync saver, a task for the
asyncio one) writes everything queued, each thread's steps in order, merged
into one statement (``_batch``) and one transaction. Every other call of
the saver waits for the queue to be empty first, so it reads its own writes
and never overtakes a queued step. A failed write is kept for its thread:
that thread's later queued steps are dropped (their parent is missing), and
the thread's next ``put*`` or ``flush_steps`` raises it, failing the run.
This module holds the bookkeeping and the two ways of starting and joining
a drain; the SQL runs in the saver. A process forked while a drain ran
inherits neither its thread nor its steps (``_after_fork_in_child``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from stategraph.checkpoint import _fork
from stategraph.checkpoint.postgres._batch import StepRows

# A run making steps faster than the server stores them waits when this many
# are queued, which bounds the memory the queued parameters take.
MAX_QUEUED = 512


class StepQueue:
    """Steps waiting to be written, the running drain and the failures.

    Thread-safe: the sync saver's runs push from their threads while its
    worker thread takes; the asyncio saver only uses it on its loop.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[StepRows] = []
        self._failed: dict[str, BaseException] = {}
        # The running drain (a Future or a Task), None when idle.
        self.draining: Any = None
        self.executor: concurrent.futures.ThreadPoolExecutor | None = None
        _fork.track(self)

    def _after_fork_in_child(self) -> None:
        """Start a forked child with nothing queued, no failure and no writer.

        The queued steps and failures are the parent's runs' (the parent
        stores the steps itself), the writer thread does not exist in the
        child, and the lock may have been held by it at the fork. The
        child's next queued step starts a new writer.
        """
        self._lock = threading.Lock()
        self._queued = []
        self._failed = {}
        self.draining = None
        self.executor = None

    def push(
        self, step: StepRows, start: Callable[[StepQueue, Any], Any], drain: Any
    ) -> None:
        """Queue a step; start a drain (``start(self, drain)``) when none runs.

        Starting under the lock keeps ``draining`` the live drain, or ``None``
        only once that drain has seen the queue empty.
        """
        with self._lock:
            self._queued.append(step)
            if self.draining is None:
                self.draining = start(self, drain)

    def full(self) -> bool:
        """Whether the caller should wait for the queue before pushing more."""
        return len(self._queued) >= MAX_QUEUED

    def take(self) -> list[tuple[str, list[StepRows]]]:
        """Everything queued: each thread's steps in order, one entry a thread.

        Steps of a thread whose earlier write failed are dropped. An empty
        result ends the drain: the next ``push`` starts another.
        """
        groups: dict[str, list[StepRows]] = {}
        with self._lock:
            queued, self._queued = self._queued, []
            for step in queued:
                if step.thread_id not in self._failed:
                    groups.setdefault(step.thread_id, []).append(step)
            if not groups:
                self.draining = None
        return list(groups.items())

    def fail(self, thread_id: str, error: BaseException) -> None:
        """Keep ``error`` for the thread whose steps could not be written."""
        with self._lock:
            self._failed.setdefault(thread_id, error)

    def abandon(
        self, thread_ids: list[str], error: BaseException, drain: Any = None
    ) -> None:
        """End a drain stopped by ``error``: fail its threads and the queued ones.

        They get a ``RuntimeError`` (caused by ``error``): a bare
        ``CancelledError`` raised by a later ``put`` would read as the run's
        own cancellation. With ``drain``, only if that drain is still current.
        """
        lost = RuntimeError(
            "steps saved in the background were not stored: the writer stopped "
            f"({error!r}); the thread resumes from its last stored checkpoint"
        )
        lost.__cause__ = error
        with self._lock:
            if drain is not None and self.draining is not drain:
                return
            queued, self._queued = self._queued, []
            for thread_id in [*thread_ids, *(step.thread_id for step in queued)]:
                self._failed.setdefault(thread_id, lost)
            self.draining = None

    def ended(self, drain: Any) -> None:
        """Done callback of a drain: abandon it if it stopped early.

        A drain cancelled before it ran, or stopped by an error of its own,
        must not leave callers waiting for it.
        """
        if self.draining is drain:
            error = drain.exception() if not drain.cancelled() else None
            self.abandon([], error or asyncio.CancelledError(), drain)

    def raise_failure(self, thread_id: str) -> None:
        """Raise (once) the failure of a background write of the thread."""
        if self._failed:
            with self._lock:
                error = self._failed.pop(thread_id, None)
                if error is not None:
                    # Steps queued after the failure have no parent: drop them.
                    self._queued = [s for s in self._queued if s.thread_id != thread_id]
            if error is not None:
                raise error


def start_thread(
    queue: StepQueue, drain: Callable[[], None]
) -> concurrent.futures.Future[None]:
    """Run ``drain`` on the saver's worker thread (made on first use)."""
    if queue.executor is None:
        queue.executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="stategraph-postgres-steps"
        )
    future = queue.executor.submit(drain)
    future.add_done_callback(queue.ended)
    return future


def start_task(
    queue: StepQueue, drain: Callable[[], Coroutine[Any, Any, None]]
) -> asyncio.Task[None]:
    """Run ``drain`` in a task of the running loop."""
    task = asyncio.get_running_loop().create_task(drain())
    task.add_done_callback(queue.ended)
    return task


def join_thread(draining: concurrent.futures.Future[None]) -> None:
    """Wait for the worker thread's drain to end (its failures are kept)."""
    concurrent.futures.wait([draining])


async def join_task(draining: asyncio.Task[None]) -> None:
    """Wait for the drain task to end; cancelling the caller leaves it running."""
    await asyncio.wait([draining])
