"""Asyncio I/O of ``AsyncSqliteSaver`` over aiosqlite, and its loop-bound base.

The twin of ``_io`` (same function names): ``_async.py`` calls these, the
sync saver generated from it calls those.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import aiosqlite

from stategraph._config import RunnableConfig
from stategraph.checkpoint._bridge import LoopBoundSaver
from stategraph.checkpoint.base import CheckpointTuple, SerializerProtocol
from stategraph.checkpoint.sqlite import _io
from stategraph.checkpoint.sqlite._base import Plan, Rows, T

__all__ = (
    "AsyncBridge",
    "connect",
    "ensure_started",
    "fetchall",
    "lock_path",
    "release_file_lock",
    "take_file_lock",
    "transact",
)

lock_path = _io.lock_path


async def take_file_lock(path: str) -> tuple[int, str] | None:
    """``_io.take_file_lock`` (non-blocking system calls: run on the loop)."""
    return _io.take_file_lock(path)


async def release_file_lock(token: tuple[int, str]) -> None:
    """``_io.release_file_lock``."""
    _io.release_file_lock(token)


def connect(path: str) -> aiosqlite.Connection:
    """Open ``path`` for a saver (use with ``async with``; closed on exit)."""
    return aiosqlite.connect(path)


async def ensure_started(conn: aiosqlite.Connection) -> None:
    """Start the worker thread of a connection made but never awaited."""
    thread = getattr(conn, "_thread", conn)  # older aiosqlite: the connection is one
    if isinstance(thread, threading.Thread) and thread.ident is None:
        await conn


async def fetchall(
    conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
) -> Rows:
    """Run one statement and return its rows."""
    return list(await conn.execute_fetchall(sql, params))


def _can_hop(conn: aiosqlite.Connection) -> bool:
    # aiosqlite runs callables on its worker thread with ``_execute`` and
    # exposes the sqlite3 connection as ``_conn``; both are private, so the
    # savers fall back to the public per-statement API when either is gone.
    return callable(getattr(conn, "_execute", None)) and hasattr(type(conn), "_conn")


async def _drive(conn: aiosqlite.Connection, plan: Plan[T]) -> T:
    rows: Rows = []
    try:
        query = next(plan)
        while True:
            if query.many:
                await conn.executemany(query.sql, query.params)
                rows = []
            else:
                rows = await fetchall(conn, query.sql, query.params)
            query = plan.send(rows)
    except StopIteration as stop:
        result: T = stop.value
        return result


async def transact(
    conn: aiosqlite.Connection, plan: Plan[T], write: bool, whole: bool = True
) -> T:
    """Run ``plan`` in one transaction (see ``_io.transact``).

    With ``whole``, one trip to aiosqlite's worker thread runs the whole
    transaction there (``_io.transact`` on the sqlite3 connection) instead of
    one trip per statement.
    """
    if whole and _can_hop(conn):
        hop: Any = conn._execute
        result: T = await hop(_io.transact, conn._conn, plan, write)
        return result
    own = not conn.in_transaction
    if own:
        await fetchall(conn, "BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = await _drive(conn, plan)
        if own:
            await fetchall(conn, "COMMIT")
        elif write:
            await conn.commit()
    except BaseException:
        if own and conn.in_transaction:
            await fetchall(conn, "ROLLBACK")
        raise
    return result


async def _next(items: AsyncIterator[CheckpointTuple]) -> CheckpointTuple:
    return await items.__anext__()


class AsyncBridge(LoopBoundSaver[str]):
    """Base of ``AsyncSqliteSaver``: bound to the running loop, blocking API on it."""

    _SAVER_NAME = "AsyncSqliteSaver"

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.loop = asyncio.get_running_loop()

    def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    async def astorage_size(self, thread_id: str) -> int:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Blocking ``alist``, run on the saver's loop (call from another thread)."""
        items = self.alist(config, filter=filter, before=before, limit=limit)
        while True:
            try:
                yield self._on_loop(_next(items))
            except StopAsyncIteration:
                return

    def storage_size(self, thread_id: str) -> int:
        """Blocking ``astorage_size`` (call from another thread)."""
        return self._on_loop(self.astorage_size(thread_id))
