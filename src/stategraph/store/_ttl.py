"""Background TTL sweepers: a thread for sync stores, a task for async ones.

Each calls the store's ``sweep_ttl`` every interval until stopped; a failed
sweep is logged and the next one still runs. They know nothing of SQL.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable

from stategraph.errors import GraphBubbleUp
from stategraph.store.base._records import TTLConfig

logger = logging.getLogger("stategraph.store")


def sweep_interval(ttl: TTLConfig | None, minutes: float | None) -> float | None:
    """Seconds between sweeps, or ``None`` when the store has no TTL settings."""
    if not ttl:
        return None
    return float(minutes or ttl.get("sweep_interval_minutes") or 5) * 60


class ThreadSweeper:
    """Runs ``sweep`` every interval on a daemon thread.

    Args:
        sweep: Deletes expired items and returns how many.
    """

    def __init__(self, sweep: Callable[[], int]) -> None:
        self._sweep = sweep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._future: concurrent.futures.Future[None] | None = None

    def start(self, interval: float | None) -> concurrent.futures.Future[None]:
        """Start sweeping (idempotent); the future resolves once stopped."""
        if self._thread is not None and self._thread.is_alive() and self._future:
            return self._future
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        if interval is None:
            future.set_result(None)
            return future
        self._stop.clear()
        self._future = future
        future.add_done_callback(lambda f: self._stop.set() if f.cancelled() else None)
        self._thread = threading.Thread(
            target=self._loop, args=(interval, future), daemon=True, name="ttl-sweeper"
        )
        self._thread.start()
        return future

    def _loop(self, interval: float, future: concurrent.futures.Future[None]) -> None:
        while not self._stop.wait(interval):
            try:
                swept = self._sweep()
            except GraphBubbleUp:
                raise
            except Exception:  # a failed sweep must not end the sweeper
                logger.exception("Store TTL sweep failed")
                continue
            if swept:
                logger.info("Store swept %d expired items", swept)
        if not future.done():
            future.set_result(None)

    def stop(self, timeout: float | None = None) -> bool:
        """Stop sweeping; return whether the thread ended within ``timeout``."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return True
        self._stop.set()
        thread.join(timeout)
        if thread.is_alive():
            return False
        self._thread = None
        return True


class TaskSweeper:
    """Runs ``sweep`` every interval in an asyncio task.

    Args:
        sweep: Coroutine function deleting expired items, returning how many.
    """

    def __init__(self, sweep: Callable[[], Awaitable[int]]) -> None:
        self._sweep = sweep
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, interval: float | None) -> asyncio.Task[None]:
        """Start sweeping (idempotent); the task ends once stopped."""
        if self._task is not None and not self._task.done():
            return self._task
        if interval is None:
            return asyncio.create_task(asyncio.sleep(0))
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(interval), name="ttl_sweeper")
        return self._task

    async def _loop(self, interval: float) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=interval)
                return
            except asyncio.TimeoutError:
                pass
            try:
                swept = await self._sweep()
            except GraphBubbleUp:
                raise
            except Exception:  # a failed sweep must not end the sweeper
                logger.exception("Store TTL sweep failed")
                continue
            if swept:
                logger.info("Store swept %d expired items", swept)

    async def stop(self, timeout: float | None = None) -> bool:
        """Stop sweeping; return whether the task ended within ``timeout``."""
        task = self._task
        if task is None or task.done():
            return True
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
        except asyncio.TimeoutError:
            return False
        self._task = None
        return True
