"""Blocking I/O of ``SqliteSaver`` over ``sqlite3``, and its sync-only base.

``_aio`` has the same functions for aiosqlite; the generated ``_sync.py``
calls these where ``_async.py`` calls those (``scripts/unasync.py`` maps the
module name).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager, closing
from typing import Any, NoReturn

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from stategraph.checkpoint.sqlite._base import Plan, Rows, T

_AIO_ERROR = (
    "SqliteSaver has no async methods: use AsyncSqliteSaver "
    "(from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver; it needs "
    "the aiosqlite package: pip install 'stategraph[sqlite]')."
)


def connect(path: str) -> AbstractContextManager[sqlite3.Connection]:
    """Open ``path`` for a saver (shareable between threads); closed on exit."""
    return closing(sqlite3.connect(path, check_same_thread=False))


def ensure_started(conn: sqlite3.Connection) -> None:
    """Nothing to do: a ``sqlite3`` connection is open once made."""


def fetchall(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Rows:
    """Run one statement and return its rows."""
    return conn.execute(sql, params).fetchall()


try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: runs are not locked
    fcntl = None  # type: ignore[assignment]  # checked before use


def lock_path(db_file: str, thread_id: str) -> str | None:
    """The run-lock file of a thread: ``<db file>.locks/<hash of thread id>.lock``.

    ``None`` when the database is not a file (``":memory:"``, temporary):
    only this process can reach it, and its runs share the lock anyway.
    """
    if not db_file or fcntl is None:
        return None
    digest = hashlib.sha256(thread_id.encode()).hexdigest()[:32]
    return os.path.join(db_file + ".locks", digest + ".lock")


def take_file_lock(path: str) -> int | None:
    """``flock`` ``path`` without waiting; its descriptor, or ``None`` if taken.

    The OS drops the lock when the descriptor is closed or its process dies
    (``SIGKILL`` included), so a crashed run never blocks the next one.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, flags, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def release_file_lock(fd: int) -> None:
    """Release a lock of ``take_file_lock`` (closing its descriptor drops it)."""
    os.close(fd)


def _drive(conn: sqlite3.Connection, plan: Plan[T]) -> T:
    rows: Rows = []
    try:
        query = next(plan)
        while True:
            if query.many:
                conn.executemany(query.sql, query.params)
                rows = []
            else:
                rows = conn.execute(query.sql, query.params).fetchall()
            query = plan.send(rows)
    except StopIteration as stop:
        result: T = stop.value
        return result


def transact(
    conn: sqlite3.Connection, plan: Plan[T], write: bool, whole: bool = True
) -> T:
    """Run ``plan`` on ``conn`` in one transaction and return its result.

    Writes take the write lock up front (``BEGIN IMMEDIATE``), so concurrent
    writers queue on the busy timeout instead of failing mid-transaction;
    reads see one snapshot. When the caller already has a transaction open
    on ``conn``, the plan runs inside it and a write commits it, as
    LangGraph's saver does. Any error rolls back what the plan did.
    (``whole`` matters to the aiosqlite twin only.)
    """
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = _drive(conn, plan)
        if own:
            conn.execute("COMMIT")
        elif write:
            conn.commit()
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


class SyncSaver(BaseCheckpointSaver[str]):
    """Base of ``SqliteSaver``: its async methods raise, as LangGraph's do."""

    async def aget_tuple(self, config: RunnableConfig) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)

    async def alist(
        self, config: RunnableConfig | None, **kwargs: Any
    ) -> AsyncIterator[CheckpointTuple]:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)
        yield  # pragma: no cover - makes this an async generator

    async def aput(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)

    async def aput_step(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)


__all__ = ("SyncSaver", "connect", "ensure_started", "fetchall", "transact")
