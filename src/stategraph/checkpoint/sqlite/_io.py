"""Blocking I/O of ``SqliteSaver`` over ``sqlite3``, and its sync-only base.

``_aio`` has the same functions for aiosqlite; the generated ``_sync.py``
calls these where ``_async.py`` calls those (``scripts/unasync.py`` maps the
module name).
"""

from __future__ import annotations

import contextlib
import errno
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


# Descriptors of the run locks this process holds. A forked child closes its
# copies (the parent's lock stays, held by the parent's descriptor), so the
# lock is not kept past the parent's release or death by a child that lives on.
_LOCK_FDS: set[int] = set()


def _after_fork_in_child() -> None:
    for fd in _LOCK_FDS:
        with contextlib.suppress(OSError):
            os.close(fd)
    _LOCK_FDS.clear()


if hasattr(os, "register_at_fork"):  # pragma: no branch - POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)


def take_file_lock(path: str) -> tuple[int, str] | None:
    """``flock`` ``path`` without waiting; ``(descriptor, path)``, ``None`` if taken.

    The OS drops the lock when the descriptor is closed or its process dies
    (``SIGKILL`` included), so a crashed run never blocks the next one. The
    holder deletes the file when it releases the lock (``release_file_lock``),
    so one that opened the file just before may lock a deleted file, which
    guards nothing: it checks that ``path`` is still the file it locked, and
    tries again otherwise.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
    while True:
        try:
            try:
                fd = os.open(path, flags, 0o666)
            except FileNotFoundError:  # no directory yet, or its holder's rmdir
                os.makedirs(os.path.dirname(path), exist_ok=True)
                continue
        except PermissionError as exc:
            raise _unwritable(path, exc) from exc
        except OSError as exc:
            if exc.errno != errno.EROFS:
                raise
            raise _unwritable(path, exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(fd, path):
                _LOCK_FDS.add(fd)
                return fd, path
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _unwritable(path: str, exc: OSError) -> OSError:
    folder = os.path.dirname(os.path.dirname(path)) or "."
    return type(exc)(
        f"cannot create the run-lock file {path!r} ({exc.strerror}): a run "
        "locks its thread with a file next to the database, so the database's "
        f"directory must be writable. Make {folder!r} writable, move the "
        "database, or pass thread_lock='off' (runs of other processes on the "
        "same thread may then interleave)."
    )


def _same_file(fd: int, path: str) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def release_file_lock(token: tuple[int, str]) -> None:
    """Release a lock of ``take_file_lock``: delete its file, then close it.

    Deleting while still holding the lock is what makes it safe: whoever
    opened the file meanwhile finds it gone once it gets the lock. The
    ``.locks`` directory goes too once empty.
    """
    fd, path = token
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        with contextlib.suppress(OSError):  # not empty: other threads' locks
            os.rmdir(os.path.dirname(path))
    finally:
        _LOCK_FDS.discard(fd)
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
