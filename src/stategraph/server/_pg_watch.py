"""Which threads are watched, by any process: shared advisory locks in PostgreSQL.

A process watching a thread (``GET /threads/{id}/stream``) holds a shared
advisory lock named after the thread on a connection of its own; whether
anyone watches is whether an exclusive try on that lock fails. PostgreSQL drops a
session's locks when it ends, so a process that dies leaves no stale mark.
Shared locks never wait on each other, so holding one costs one statement.
Keys are 31-bit hashes: two threads sharing one only make ``watched`` answer
``True`` more often, which costs a state event nobody reads, never a lost one.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections import Counter
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from stategraph.server._broker import ThreadEvent, ThreadWatch

logger = logging.getLogger("stategraph.server")

_LOCK = "SELECT pg_advisory_lock_shared(%s, %s)"
_UNLOCK = "SELECT pg_advisory_unlock_shared(%s, %s)"
#: An exclusive try fails while any session holds the shared lock; taken at
#: transaction level in an autocommit statement, it is released at once.
#: (Cheaper than reading ``pg_locks``, which walks every lock of the server.)
_HELD = "SELECT NOT pg_try_advisory_xact_lock(%s, %s)"


def _hash(text: str) -> int:
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


class WatchMarks:
    """This process's marks on the threads it watches, and the cluster's view.

    Args:
        pool: The server's pool: ``anyone`` queries through it, and its
            conninfo opens the connection holding the locks.
        space: Names the server (its NOTIFY channel prefix), so servers on
            other schemas of one database do not see each other's marks.
    """

    def __init__(self, pool: AsyncConnectionPool[Any], space: str) -> None:
        if not isinstance(pool.conninfo, str) or callable(pool.kwargs):
            raise TypeError("watch marks need a pool with a fixed conninfo and kwargs")
        self._pool = pool
        self._conninfo = pool.conninfo
        self._kwargs = {**(pool.kwargs or {}), "autocommit": True}
        self._space = _hash(space)
        self._wanted: Counter[str] = Counter()
        self._held: set[str] = set()
        self._conn: AsyncConnection[Any] | None = None
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task[None]] = set()
        #: False while the marks may be missing (the connection was lost).
        self._healthy = True

    async def hold(self, thread_id: str) -> None:
        """Mark the thread watched by this process (counted per watcher)."""
        self._wanted[thread_id] += 1
        await self._settle(thread_id)

    def release(self, thread_id: str) -> None:
        """One watcher of the thread is gone (callable from a ``finally``)."""
        self._wanted[thread_id] -= 1
        task = asyncio.get_running_loop().create_task(self._settle(thread_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def anyone(self, thread_id: str) -> bool:
        """Whether any process of this server watches the thread."""
        if not self._healthy or self._wanted[thread_id] > 0:
            return True
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(_HELD, (self._space, _hash(thread_id)))
            row = await cur.fetchone()
            return bool(row and row[0])

    async def aclose(self) -> None:
        """Drop every mark (closing the connection releases them)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _settle(self, thread_id: str) -> None:
        """Make the lock match whether the thread has watchers here."""
        async with self._lock:
            want = self._wanted[thread_id] > 0
            if not want:
                del self._wanted[thread_id]
            try:
                conn = await self._connection()
                if want and thread_id not in self._held:
                    await conn.execute(_LOCK, (self._space, _hash(thread_id)))
                    self._held.add(thread_id)
                elif not want and thread_id in self._held:
                    await conn.execute(_UNLOCK, (self._space, _hash(thread_id)))
                    self._held.discard(thread_id)
                self._healthy = True
            except psycopg.Error:
                # Until the marks are back, ``anyone`` answers True: a state
                # event nobody reads costs less than one a watcher misses.
                logger.warning("watch marks lost; reconnecting", exc_info=True)
                self._healthy = False
                self._held.clear()
                conn_lost, self._conn = self._conn, None
                if conn_lost is not None:
                    await conn_lost.close()

    async def _connection(self) -> AsyncConnection[Any]:
        """The lock connection, opened (and every wanted mark retaken) if need be."""
        if self._conn is None or self._conn.closed:
            self._held.clear()
            self._conn = await AsyncConnection.connect(self._conninfo, **self._kwargs)
            for thread_id, count in self._wanted.items():
                if count > 0:
                    await self._conn.execute(_LOCK, (self._space, _hash(thread_id)))
                    self._held.add(thread_id)
        return self._conn


class MarkedWatch(ThreadWatch):
    """A local thread watch that also keeps the thread marked cluster-wide."""

    def __init__(self, inner: ThreadWatch, marks: WatchMarks, thread_id: str) -> None:
        self._inner = inner
        self._marks = marks
        self._thread_id = thread_id
        self._open = True

    def put(self, event: ThreadEvent) -> None:
        self._inner.put(event)

    async def next(self, timeout: float) -> ThreadEvent | None:
        return await self._inner.next(timeout)

    def close(self) -> None:
        self._inner.close()
        if self._open:
            self._open = False
            self._marks.release(self._thread_id)
