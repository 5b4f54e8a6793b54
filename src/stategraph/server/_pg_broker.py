"""Run streams through PostgreSQL, for ``stategraph serve`` without Redis.

``PostgresBroker`` implements the ``Broker`` interface on the database the
server already uses. A run's frames go to a frames table, written in
batches by one task per process (never on the graph's path), with a
notification per batch; readers in any process read the frames after the
last one they have, woken by those notifications and polling too, so a lost
notification only delays a frame. The run's end and its ``/wait`` result
are its row in the streams table. Thread events are notifications; who
watches a thread is marked with advisory locks (``_pg_watch``). Cancel
requests go to the run's row, where the PostgreSQL run queue's workers see
them. Finished streams are deleted after the retention window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Collection
from typing import Any

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from stategraph.server import _json
from stategraph.server._broker import (
    RETAIN_SECONDS,
    Broker,
    CancelHandler,
    Frame,
    InMemoryBroker,
    RunStream,
    ThreadEvent,
    ThreadWatch,
)
from stategraph.server._pg_listen import Listener
from stategraph.server._pg_watch import MarkedWatch, WatchMarks
from stategraph.server._queue import CancelAction
from stategraph.server._storage.postgres import PostgresStorage

logger = logging.getLogger("stategraph.server")

#: Longest wait of a reader between looks at a run's frames.
POLL_SECONDS = 1.0
#: Largest thread event sent to other processes (NOTIFY payloads are < 8000).
_MAX_EVENT_BYTES = 7000

Op = tuple[Any, ...]

# Streams are a replay buffer, not records: a database crash may lose the
# last few frames, so their commits need not wait for the disk.
_NO_DISK_WAIT = "SET LOCAL synchronous_commit TO OFF"


class PgRunStream(RunStream):
    """A run's stream: publishing queues frames, reading follows the table."""

    def __init__(
        self, broker: PostgresBroker, run_id: str, *, resumable: bool, next_seq: int
    ) -> None:
        super().__init__(run_id, resumable=resumable)
        self._broker = broker
        #: The sequence number of the next frame this process publishes.
        self.next_seq = next_seq

    def publish(self, event: str, data: bytes) -> None:
        """Queue a frame; the broker's writer task stores it."""
        seq = self.next_seq
        self.next_seq += 1
        self._broker.enqueue(("frame", self.run_id, self.resumable, seq, event, data))

    async def result(self) -> bytes | None:
        """The final JSON body, once the run is over."""
        head = await self._broker.head(self.run_id)
        if head is None or not head[1]:
            return None
        return head[2] if head[2] is not None else b"null"

    async def wait_done(self, heartbeat: float) -> AsyncIterator[None]:
        """Yield once per ``heartbeat`` seconds of waiting, until the run is over."""
        broker = self._broker
        beat = time.monotonic() + heartbeat
        with broker.woken(self.run_id) as wake:
            while True:
                wake.clear()
                head = await broker.head(self.run_id)
                if head is None or head[1]:
                    return
                if await broker.sleep(wake, beat):
                    beat = time.monotonic() + heartbeat
                    yield None

    async def subscribe(
        self,
        *,
        after: int | None = -1,
        modes: Collection[str] | None = None,
        heartbeat: float,
    ) -> AsyncIterator[Frame | None]:
        """Frames after sequence ``after``, then live ones (see ``RunStream``)."""
        broker = self._broker
        last = max(after, -1) if after is not None else await broker.last_seq(self)
        beat = time.monotonic() + heartbeat
        with broker.woken(self.run_id) as wake:
            while True:
                wake.clear()
                # The end first: frames are written before it, so the frames
                # read after it are all there are.
                head = await broker.head(self.run_id)
                frames = await broker.frames(self.run_id, last)
                for frame in frames:
                    last = frame.seq
                    if frame.wanted(modes):
                        yield frame
                if head is None or head[1]:
                    return
                if frames:
                    beat = time.monotonic() + heartbeat
                elif await broker.sleep(wake, beat):
                    beat = time.monotonic() + heartbeat
                    yield None


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
        self._poll = poll_seconds
        self._ops: list[Op] = []
        self._flusher: asyncio.Task[None] | None = None
        self._wakes: dict[str, set[asyncio.Event]] = {}
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
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())

    async def aclose(self) -> None:
        """Write what is queued; stop listening and sweeping."""
        await self._drain()
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
            await conn.execute(_NO_DISK_WAIT)
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
        return PgRunStream(self, run_id, resumable=resumable, next_seq=0)

    async def get(self, run_id: str) -> PgRunStream | None:
        """A handle on the run's stream, numbering new frames after the last."""
        await self._drain()  # frames published here count
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
        return PgRunStream(self, run_id, resumable=bool(row[0]), next_seq=next_seq)

    async def close(self, run_id: str, result: bytes) -> None:
        """Write the frames still queued, then the end and the result."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.enqueue(("done", run_id, result, done))
        await done

    async def discard(self, run_id: str) -> None:
        """Delete the run's frames; readers blocked on it end."""
        await self._drain()
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
            for wake in self._wakes.get(payload, ()):
                wake.set()
            return
        message = orjson.loads(payload)
        self._local.deliver(message["t"], (message["e"][0], message["e"][1]))

    # -- reading ----------------------------------------------------------------

    @contextlib.contextmanager
    def woken(self, run_id: str) -> Any:
        """An event set whenever the run's stream may have changed."""
        wake = asyncio.Event()
        self._wakes.setdefault(run_id, set()).add(wake)
        try:
            yield wake
        finally:
            wakes = self._wakes.get(run_id, set())
            wakes.discard(wake)
            if not wakes:
                self._wakes.pop(run_id, None)

    async def sleep(self, wake: asyncio.Event, beat: float) -> bool:
        """Wait for ``wake`` or a poll; ``True`` when the heartbeat is due."""
        timeout = max(0.0, min(self._poll, beat - time.monotonic()))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)
        return not wake.is_set() and time.monotonic() >= beat

    async def _read(self, statement: sql.Composed, params: tuple[Any, ...]) -> Any:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row, binary=True)
            await cur.execute(statement, params)
            return await cur.fetchall()

    async def read(self, statement: sql.Composed, params: tuple[Any, ...]) -> Any:
        """Rows of a query that a reader leaving does not interrupt.

        Readers go away mid-query whenever a client disconnects; cancelling
        the query would make psycopg close the connection, and the pool pay
        for a new one.
        """
        return await asyncio.shield(self._read(statement, params))

    async def head(self, run_id: str) -> tuple[bool, bool, bytes | None] | None:
        """``(resumable, done, result)`` of the run's stream, or ``None``."""
        rows = await self.read(
            self._sql(
                "SELECT resumable, done, result FROM {streams} WHERE run_id = %s"
            ),
            (run_id,),
        )
        if not rows:
            return None
        row = rows[0]
        return bool(row[0]), bool(row[1]), None if row[2] is None else bytes(row[2])

    async def frames(self, run_id: str, after: int) -> list[Frame]:
        """The run's frames after sequence number ``after``."""
        rows = await self.read(
            self._sql(
                "SELECT seq, event, data FROM {frames}"
                " WHERE run_id = %s AND seq > %s ORDER BY seq"
            ),
            (run_id, after),
        )
        return [Frame(int(seq), event, bytes(data)) for seq, event, data in rows]

    async def last_seq(self, stream: PgRunStream) -> int:
        """The sequence number of the run's last frame so far (``-1``: none)."""
        await self._drain()  # frames published here count as published
        frames = await self.frames(stream.run_id, stream.next_seq - 1)
        return frames[-1].seq if frames else stream.next_seq - 1

    # -- writing ----------------------------------------------------------------

    def enqueue(self, op: Op) -> None:
        """Queue a write; one task per process writes them in order, batched."""
        self._ops.append(op)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _drain(self) -> None:
        while self._flusher is not None and not self._flusher.done():
            await asyncio.wait([self._flusher])

    async def _flush(self) -> None:
        while self._ops:
            ops, self._ops = self._ops, []
            error: BaseException | None = None
            try:
                await self._write(ops)
            except psycopg.Error as exc:
                # Frames are lost; the run goes on and its close says so.
                logger.exception("writing %d stream records failed", len(ops))
                error = exc
            except BaseException as exc:
                error = exc
                raise
            finally:
                for op in ops:
                    if op[0] == "done" and not op[3].done():
                        if error is None:
                            op[3].set_result(None)
                        else:
                            op[3].set_exception(error)

    async def _write(self, ops: list[Op]) -> None:
        frames = [op[1:] for op in ops if op[0] == "frame"]
        dones = [(op[2], op[1]) for op in ops if op[0] == "done"]
        runs = sorted({op[1] for op in ops})
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(_NO_DISK_WAIT)
            if frames:
                await cur.executemany(
                    self._sql(
                        "INSERT INTO {frames} (run_id, seq, event, data)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
                    ),
                    [(f[0], f[2], f[3], f[4]) for f in frames],
                )
            if dones:
                await cur.executemany(
                    self._sql(
                        "UPDATE {streams} SET done = true, result = %s,"
                        " finished_at = now() WHERE run_id = %s"
                    ),
                    dones,
                )
            await cur.execute(
                "SELECT pg_notify(%s, r) FROM unnest(%s::text[]) r",
                (self._frames_channel, runs),
            )

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(max(self._retain / 4, 1.0))  # the sweep period
            try:
                async with self._pool.connection() as conn, conn.transaction():
                    await conn.execute(
                        self._sql(
                            "WITH gone AS (DELETE FROM {streams} WHERE done AND"
                            " finished_at < now() - make_interval(secs => %s)"
                            " RETURNING run_id)"
                            " DELETE FROM {frames} f USING gone"
                            " WHERE f.run_id = gone.run_id"
                        ),
                        (self._retain,),
                    )
            except psycopg.Error:
                logger.warning("sweeping finished streams failed", exc_info=True)
