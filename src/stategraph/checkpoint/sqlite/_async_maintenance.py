"""Setup and maintenance half of ``AsyncSqliteSaver``: tables, deletes, leases, locks.

This file is the source of ``_sync_maintenance.py`` (``scripts/unasync.py``
rewrites it), as ``_async.py`` is of ``_sync.py``. The mixin creates or
migrates the tables and sets the connection's pragmas, and otherwise only
builds plans of ``_write``/``_read`` and runs them with the saver's
``_run``; it holds no state of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import aiosqlite

from stategraph.checkpoint.base import SerializerProtocol, _runlock
from stategraph.checkpoint.base._runlock import ThreadLock
from stategraph.checkpoint.sqlite import _aio, _read, _write
from stategraph.checkpoint.sqlite._base import (
    PRAGMA_WAL,
    WAL_RETRY_DELAYS,
    OperationalError,
    Plan,
    T,
    connection_pragmas,
    is_locked,
)


class AsyncSqliteMaintenance:
    """Setup and maintenance methods of ``AsyncSqliteSaver`` (see its docstring)."""

    conn: aiosqlite.Connection
    lock: asyncio.Lock
    is_setup: bool
    synchronous: str | None
    _whole_plans: bool
    serde: SerializerProtocol
    owner: str
    thread_lock: ThreadLock
    thread_lock_timeout: float | None
    _db_file: str | None
    _leases: dict[str, float]

    async def _run(self, plan: Plan[T], *, write: bool = True) -> T:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    async def setup(self) -> None:
        """Create or migrate the tables (idempotent; runs on first use anyway)."""
        async with self.lock:
            await self._setup()

    async def _setup(self) -> None:
        if self.is_setup:
            return
        await _aio.ensure_started(self.conn)
        if not self.conn.in_transaction:
            mode = await self._journal_mode()
            for pragma in connection_pragmas(self.synchronous, mode):
                await _aio.fetchall(self.conn, pragma)
        await _aio.transact(self.conn, _write.setup_plan(), True, self._whole_plans)
        self.is_setup = True

    async def _journal_mode(self) -> str:
        for delay in (*WAL_RETRY_DELAYS, None):
            try:
                return str((await _aio.fetchall(self.conn, PRAGMA_WAL))[0][0])
            except OperationalError as e:
                if delay is None or not is_locked(e):
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, value and write of a thread."""
        await self._run(_write.delete_thread_plan([thread_id]))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete checkpoints made by the given runs, their writes and unused values."""
        if run_ids:
            await self._run(_write.delete_for_runs_plan(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, value and write of a thread to another id."""
        await self._run(_write.copy_thread_plan(source_thread_id, target_thread_id))

    async def aprune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Keep the newest checkpoint per namespace (``"keep_latest"``) or delete.

        Values no remaining checkpoint uses are deleted too.

        Raises:
            ValueError: For an unknown strategy.
        """
        await self._run(_write.prune_plan(thread_ids, strategy, self.serde))

    async def astorage_size(self, thread_id: str) -> int:
        """Return the bytes stored for a thread: keys, headers, values and writes.

        SQLite's own page and index overhead is not counted.
        """
        size: int = await self._run(_write.storage_size_plan(thread_id), write=False)
        return size

    @asynccontextmanager
    async def lease(self, thread_id: str, *, ttl: float = 60.0) -> AsyncIterator[None]:
        """Hold the writer lease of a thread for the duration of the block.

        While held (and not expired), ``put`` on that thread from any other
        saver raises ``ThreadLeasedError``; each ``put`` of this saver on the
        thread extends the lease by ``ttl`` seconds.

        Args:
            thread_id: The thread.
            ttl: Seconds the lease lasts without a put; a crashed holder
                blocks others for at most this long.

        Raises:
            ThreadLeasedError: When another saver holds a live lease.
        """
        thread = str(thread_id)
        await self._run(_write.acquire_plan(thread, self.owner, time.time(), ttl))
        self._leases[thread] = ttl
        try:
            yield
        finally:
            self._leases.pop(thread, None)
            await self._run(_write.release_plan(thread, self.owner))

    @asynccontextmanager
    async def arun_lock(self, thread_id: str) -> AsyncIterator[None]:
        """Hold the run lock of a thread for the block (the engine's hook).

        The engine enters it around each root run; see ``thread_lock``.

        Raises:
            ThreadBusyError: When another process runs the thread and the
                policy is ``"raise"`` or its timeout passed.
        """
        path = None
        if self.thread_lock != "off":
            if self._db_file is None:
                self._db_file = await self._run(_read.database_file_plan(), write=False)
            path = _aio.lock_path(self._db_file, str(thread_id))
        if path is None:
            yield
            return
        lock = _runlock.RunLock(
            ("sqlite", path),
            str(thread_id),
            f"lock file {path}",
            self.thread_lock,
            self.thread_lock_timeout,
        )
        async with _runlock.ahold(
            lock, lambda: _aio.take_file_lock(path), _aio.release_file_lock
        ):
            yield
