"""Run streams through PostgreSQL, for ``stategraph serve`` without Redis.

``PostgresBroker`` implements the ``Broker`` interface on the database the
server already uses. A run's frames go to a frames table and its end and
``/wait`` result to its row in the streams table (``_pg_frames`` writes and
reads them). Thread events are notifications; who watches a thread is marked
with advisory locks (``_pg_watch``). Cancel requests go to the run's row,
where the PostgreSQL run queue's workers see them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from psycopg import sql

from stategraph.server import _json
from stategraph.server._broker import (
    RETAIN_SECONDS,
    Broker,
    CancelHandler,
    InMemoryBroker,
    ThreadEvent,
    ThreadWatch,
)
from stategraph.server._pg_frames import (
    NO_DISK_WAIT,
    POLL_SECONDS,
    FrameLog,
    PgRunStream,
)
from stategraph.server._pg_listen import Listener
from stategraph.server._pg_watch import MarkedWatch, WatchMarks
from stategraph.server._queue import CancelAction
from stategraph.server._storage.postgres import PostgresStorage

__all__ = ("POLL_SECONDS", "PgRunStream", "PostgresBroker")

#: Largest thread event sent to other processes (NOTIFY payloads are < 8000).
_MAX_EVENT_BYTES = 7000


class PostgresBroker(Broker):
    """``Broker`` on the server's PostgreSQL database (see the module docstring).

    Args:
        storage: The set-up PostgreSQL storage (pool, schema, tables).
        retain_seconds: Seconds a finished run's frames stay readable.
        poll_seconds: Longest wait of a reader between looks.
    """

    def __init__(
        self,
        storage: PostgresStorage,
        *,
        retain_seconds: float = RETAIN_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._retain = retain_seconds
        #: This process's thread watchers, fed by notifications.
        self._local = InMemoryBroker(retain_seconds=retain_seconds)
        self._pool = storage.pool
        self._names = storage.names
        channel = storage.names.channel
        self._frames_channel = f"{channel}_frames"
        self._thread_channel = f"{channel}_thread"
        self._cancel_channel = f"{channel}_cancel"
        self._log = FrameLog(
            storage.pool,
            storage.names,
            channel=self._frames_channel,
            poll_seconds=poll_seconds,
            retain_seconds=retain_seconds,
        )
        self._listener: Listener | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._marks = WatchMarks(storage.pool, channel)

    def _sql(self, template: str) -> sql.Composed:
        return self._names.format(template)

    async def start(self) -> None:
        """Listen for frames and thread events; start the retention sweeper."""
        self._listener = Listener(
            self._pool, [self._frames_channel, self._thread_channel], self._on_notify
        )
        await self._listener.start()
        self._sweeper = asyncio.get_running_loop().create_task(self._log.sweep_loop())

    async def aclose(self) -> None:
        """Write what is queued; stop listening and sweeping."""
        await self._log.drain()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._listener is not None:
            await self._listener.aclose()
        await self._marks.aclose()

    # -- streams ----------------------------------------------------------------

    async def open(
        self, run_id: str, *, resumable: bool, thread_id: str | None = None
    ) -> PgRunStream:
        """Create the run's stream row (replacing a retried run's frames)."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(NO_DISK_WAIT)
            await conn.execute(
                self._sql("DELETE FROM {frames} WHERE run_id = %s"), (run_id,)
            )
            await conn.execute(
                self._sql(
                    "INSERT INTO {streams} (run_id, resumable) VALUES (%s, %s)"
                    " ON CONFLICT (run_id) DO UPDATE SET resumable ="
                    " EXCLUDED.resumable, done = false, result = NULL,"
                    " finished_at = NULL"
                ),
                (run_id, resumable),
            )
        if thread_id is not None:
            await self.notify(thread_id, ("run", run_id))
        return PgRunStream(self._log, run_id, resumable=resumable, next_seq=0)

    async def get(self, run_id: str) -> PgRunStream | None:
        """A handle on the run's stream, numbering new frames after the last."""
        await self._log.drain()  # frames published here count
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                self._sql(
                    "SELECT s.resumable, s.done AND (s.result IS NULL OR"
                    " s.finished_at < now() - make_interval(secs => %s)),"
                    " (SELECT max(seq) FROM {frames} f WHERE f.run_id = s.run_id)"
                    " FROM {streams} s WHERE s.run_id = %s"
                ),
                (self._retain, run_id),
            )
            row = await cur.fetchone()
        if row is None or row[1]:  # never opened, discarded or expired
            return None
        next_seq = 0 if row[2] is None else int(row[2]) + 1
        return PgRunStream(self._log, run_id, resumable=bool(row[0]), next_seq=next_seq)

    async def close(self, run_id: str, result: bytes) -> None:
        """Write the frames still queued, then the end and the result."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._log.enqueue(("done", run_id, result, done))
        await done

    async def discard(self, run_id: str) -> None:
        """Delete the run's frames; readers blocked on it end."""
        await self._log.drain()
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                self._sql("DELETE FROM {frames} WHERE run_id = %s"), (run_id,)
            )
            await conn.execute(
                self._sql(
                    "UPDATE {streams} SET done = true, result = NULL,"
                    " finished_at = now() WHERE run_id = %s"
                ),
                (run_id,),
            )
            await conn.execute(
                "SELECT pg_notify(%s, %s)", (self._frames_channel, run_id)
            )

    # -- thread events and cancels ---------------------------------------------

    async def watch(self, thread_id: str) -> ThreadWatch:
        """Watch the thread's events, from this and every other process."""
        watch = await self._local.watch(thread_id)
        await self._marks.hold(thread_id)
        return MarkedWatch(watch, self._marks, thread_id)

    async def watched(self, thread_id: str) -> bool:
        """Whether a watcher in any process has the thread marked."""
        return await self._marks.anyone(thread_id)

    async def notify(self, thread_id: str, event: ThreadEvent) -> None:
        """Give ``event`` to the thread's watchers in every process."""
        payload = _json.dumps({"t": thread_id, "e": event})
        if len(payload) > _MAX_EVENT_BYTES:
            # Too big for a notification: this process's watchers get it.
            self._local.deliver(thread_id, event)
            return
        async with self._pool.connection() as conn:
            await conn.execute(
                "SELECT pg_notify(%s, %s)", (self._thread_channel, payload.decode())
            )

    async def request_cancel(self, run_id: str, action: CancelAction) -> None:
        """Mark the run's row; the worker holding it cancels it."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                self._sql(
                    "UPDATE {runs} SET cancel_action = coalesce(cancel_action, %s)"
                    " WHERE run_id = %s"
                ),
                (action, run_id),
            )
            await conn.execute(
                "SELECT pg_notify(%s, %s)", (self._cancel_channel, f"{action}:{run_id}")
            )

    async def cancel_requested(self, run_id: str) -> CancelAction | None:
        """The cancel recorded on the run's row, if any."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                self._sql("SELECT cancel_action FROM {runs} WHERE run_id = %s"),
                (run_id,),
            )
            row = await cur.fetchone()
        action: Any = None if row is None else row[0]
        return action  # type: ignore[no-any-return]  # checked on write

    async def serve_cancels(self, handler: CancelHandler) -> None:
        """Nothing to serve: the PostgreSQL run queue's workers read cancels."""

    def _on_notify(self, channel: str, payload: str) -> None:
        if channel == self._frames_channel:
            self._log.wake(payload)
            return
        message = orjson.loads(payload)
        self._local.deliver(message["t"], (message["e"][0], message["e"][1]))
