"""``AsyncSqliteSaver``: the SQLite checkpoint saver for asyncio, over aiosqlite.

Runs the same plans as ``SqliteSaver`` (see ``_ops``), each in one
transaction, through an ``aiosqlite.Connection``. Its sync methods, as in
LangGraph, hand the work to the saver's event loop and wait, so they work
only from other threads.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import aiosqlite

from stategraph._config import RunnableConfig
from stategraph.checkpoint._bridge import LoopBoundSaver
from stategraph.checkpoint._delta_history import uses_delta
from stategraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    SerializerProtocol,
)
from stategraph.checkpoint.sqlite import _read, _write
from stategraph.checkpoint.sqlite._base import (
    PRAGMA_WAL,
    WAL_RETRY_DELAYS,
    Plan,
    Rows,
    T,
    connection_pragmas,
    is_locked,
)
from stategraph.checkpoint.sqlite._delta import delta_history_plan
from stategraph.checkpoint.sqlite._read import config_of
from stategraph.checkpoint.sqlite._sync import check_keep_last, transact
from stategraph.checkpoint.sqlite._write import next_version


async def _ensure_started(conn: aiosqlite.Connection) -> None:
    # A connection made by ``aiosqlite.connect(...)`` but never awaited has no
    # worker thread yet; awaiting it starts the thread and connects.
    thread = getattr(conn, "_thread", conn)  # older aiosqlite: the connection is one
    if isinstance(thread, threading.Thread) and thread.ident is None:
        await conn


async def _drive(conn: aiosqlite.Connection, plan: Plan[T]) -> T:
    rows: Rows = []
    try:
        query = next(plan)
        while True:
            if query.many:
                await conn.executemany(query.sql, query.params)
                rows = []
            else:
                rows = list(await conn.execute_fetchall(query.sql, query.params))
            query = plan.send(rows)
    except StopIteration as stop:
        result: T = stop.value
        return result


def _can_hop(conn: aiosqlite.Connection) -> bool:
    # aiosqlite runs callables on its worker thread with ``_execute`` and
    # exposes the sqlite3 connection as ``_conn``; both are private, so the
    # savers fall back to the public per-statement API when either is gone.
    return callable(getattr(conn, "_execute", None)) and hasattr(type(conn), "_conn")


async def _next(items: AsyncIterator[CheckpointTuple]) -> CheckpointTuple:
    return await items.__anext__()


class AsyncSqliteSaver(LoopBoundSaver[str]):
    """Checkpoint saver storing threads in a SQLite database (asyncio API).

    Same storage, retention and concurrency rules as ``SqliteSaver``. Create
    it inside a running event loop; the sync methods may only be called
    from another thread (they raise ``asyncio.InvalidStateError`` on the
    loop's thread instead of deadlocking).

    Args:
        conn: An ``aiosqlite`` connection (started or not).
        serde: Serializer; defaults to the safe ``JsonPlusSerializer``.
        keep_last: Keep only the newest ``keep_last`` checkpoints of each
            thread and namespace after each put (``None``: keep all).
        synchronous: ``PRAGMA synchronous`` for the connection (see
            ``SqliteSaver``; default ``"NORMAL"`` in WAL mode).

    Example:
        >>> async def main():  # doctest: +SKIP
        ...     async with AsyncSqliteSaver.from_conn_string("ck.db") as saver:
        ...         graph = builder.compile(checkpointer=saver)
    """

    lock: asyncio.Lock
    is_setup: bool

    _SAVER_NAME = "AsyncSqliteSaver"

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str | None = "NORMAL",
    ) -> None:
        super().__init__(serde=serde)
        self.conn = conn
        self.keep_last = check_keep_last(keep_last)
        connection_pragmas(synchronous, "wal")  # validates
        self.synchronous = synchronous
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.is_setup = False
        self._whole_plans = True
        self.owner = uuid4().hex
        self._leases: dict[str, float] = {}

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str | None = "NORMAL",
    ) -> AsyncIterator[AsyncSqliteSaver]:
        """Open a saver on a database path (or ``":memory:"``), closed on exit.

        Args:
            conn_string: Path of the database file, or ``":memory:"``.
            serde: Serializer (see the class).
            keep_last: Retention (see the class).
            synchronous: Durability (see the class).
        """
        async with aiosqlite.connect(conn_string) as conn:
            yield cls(conn, serde=serde, keep_last=keep_last, synchronous=synchronous)

    async def setup(self) -> None:
        """Create or migrate the tables (idempotent; runs on first use anyway)."""
        async with self.lock:
            await self._setup()

    async def _setup(self) -> None:
        if self.is_setup:
            return
        await _ensure_started(self.conn)
        if not self.conn.in_transaction:
            mode = await self._journal_mode()
            for pragma in connection_pragmas(self.synchronous, mode):
                await self.conn.execute_fetchall(pragma)
        await self._transact(_write.setup_plan(), write=True)
        self.is_setup = True

    async def _journal_mode(self) -> str:
        for delay in (*WAL_RETRY_DELAYS, None):
            try:
                (mode,) = next(iter(await self.conn.execute_fetchall(PRAGMA_WAL)))
                return str(mode)
            except sqlite3.OperationalError as e:
                if delay is None or not is_locked(e):
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run(self, plan: Plan[T], *, write: bool = True) -> T:
        async with self.lock:
            if not self.is_setup:
                await self._setup()
            return await self._transact(plan, write)

    async def _transact(self, plan: Plan[T], write: bool) -> T:
        conn = self.conn
        if self._whole_plans and _can_hop(conn):
            # One trip to aiosqlite's worker thread runs the whole transaction
            # (as SqliteSaver does) instead of one trip per statement.
            hop: Any = conn._execute
            result: T = await hop(transact, conn._conn, plan, write)
            return result
        own = not conn.in_transaction
        if own:
            await conn.execute_fetchall("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = await _drive(conn, plan)
            if own:
                await conn.execute_fetchall("COMMIT")
            elif write:
                await conn.commit()
        except BaseException:
            if own and conn.in_transaction:
                await conn.execute_fetchall("ROLLBACK")
            raise
        return result

    # -- async API -----------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch the checkpoint in ``config`` (latest when it names no id)."""
        found: CheckpointTuple | None = await self._run(
            _read.get_plan(self.serde, config), write=False
        )
        return found

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel writes and seeds along the ancestors of a checkpoint.

        Same contract as ``BaseCheckpointSaver.get_delta_channel_history``.
        """
        found: Mapping[str, DeltaChannelHistory] = await self._run(
            delta_history_plan(self.serde, config, channels), write=False
        )
        return found

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """List checkpoints, newest id first (see ``SqliteSaver.list``).

        Raises:
            TypeError: When a filter key is not a string.
        """
        cursor = _read.list_cursor(config, filter, before, limit)
        while not cursor.done:
            plan = _read.list_plan(self.serde, cursor)
            for item in await self._run(plan, write=False):
                yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint (see ``SqliteSaver.put``)."""
        prepared = _write.prepare_put(
            self.serde, config, checkpoint, metadata, new_versions
        )
        now = time.time()
        ttl = self._leases.get(prepared.thread_id)
        renew = now + ttl if ttl else 0.0
        keep = None if uses_delta(checkpoint, metadata) else self.keep_last
        plan = _write.put_plan(prepared, self.owner, now, keep, renew)
        await self._run(plan)
        thread_id = config["configurable"]["thread_id"]
        return config_of(thread_id, prepared.ns, prepared.checkpoint_id)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes (see ``SqliteSaver.put_writes``)."""
        rows = _write.prepare_writes(self.serde, config, writes, task_id, task_path)
        await self._run(_write.writes_plan(rows))

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
        """Prune threads (see ``SqliteSaver.prune``)."""
        await self._run(_write.prune_plan(thread_ids, strategy, self.serde))

    async def astorage_size(self, thread_id: str) -> int:
        """Return the bytes stored for a thread (see ``SqliteSaver.storage_size``)."""
        size: int = await self._run(_write.storage_size_plan(thread_id), write=False)
        return size

    @asynccontextmanager
    async def lease(self, thread_id: str, *, ttl: float = 60.0) -> AsyncIterator[None]:
        """Hold the writer lease of a thread (see ``SqliteSaver.lease``).

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

    # The engine may compute these versions itself (same format, no parsing).
    padded_versions = True

    def get_next_version(self, current: str | None, channel: None) -> str:
        """Return the version after ``current`` (same format as ``InMemorySaver``)."""
        return next_version(current)

    # -- sync bridge (from other threads only) -------------------------------

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Sync ``alist``, run on the saver's loop (call from another thread)."""
        items = self.alist(config, filter=filter, before=before, limit=limit)
        while True:
            try:
                yield self._on_loop(_next(items))
            except StopAsyncIteration:
                return

    def storage_size(self, thread_id: str) -> int:
        """Sync ``astorage_size`` (call from another thread)."""
        return self._on_loop(self.astorage_size(thread_id))
