"""The PostgreSQL broker's stream tables: frames written in batches, read by polling.

``FrameLog`` queues this process's stream writes (frames, ends) and one task
writes them in order, in batches, with a notification per batch. Readers
(``PgRunStream``) read the frames after the last one they have, woken by those
notifications and polling too, so a lost notification only delays a frame.
Finished streams are deleted after the retention window, and open streams
of runs never stored (their process died first) on the sweep after the one
that found them. Opening streams, thread events and cancels are the broker's
(``_pg_broker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from stategraph.server._broker import Frame, RunStream

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

    from stategraph.server._storage._pg_sql import Names

logger = logging.getLogger("stategraph.server")

#: Longest wait of a reader between looks at a run's frames.
POLL_SECONDS = 1.0

Op = tuple[Any, ...]

# Streams are a replay buffer, not records: a database crash may lose the
# last few frames, so their commits need not wait for the disk.
NO_DISK_WAIT = "SET LOCAL synchronous_commit TO OFF"


class PgRunStream(RunStream):
    """A run's stream: publishing queues frames, reading follows the table."""

    def __init__(
        self, log: FrameLog, run_id: str, *, resumable: bool, next_seq: int
    ) -> None:
        super().__init__(run_id, resumable=resumable)
        self._log = log
        #: The sequence number of the next frame this process publishes.
        self.next_seq = next_seq

    def publish(self, event: str, data: bytes) -> None:
        """Queue a frame; the log's writer task stores it."""
        seq = self.next_seq
        self.next_seq += 1
        self._log.enqueue(("frame", self.run_id, self.resumable, seq, event, data))

    async def result(self) -> bytes | None:
        """The final JSON body, once the run is over."""
        head = await self._log.head(self.run_id)
        if head is None or not head[1]:
            return None
        return head[2] if head[2] is not None else b"null"

    async def wait_done(self, heartbeat: float) -> AsyncIterator[None]:
        """Yield once per ``heartbeat`` seconds of waiting, until the run is over."""
        log = self._log
        beat = time.monotonic() + heartbeat
        with log.woken(self.run_id) as wake:
            while True:
                wake.clear()
                head = await log.head(self.run_id)
                if head is None or head[1]:
                    return
                if await log.sleep(wake, beat):
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
        log = self._log
        last = max(after, -1) if after is not None else await log.last_seq(self)
        beat = time.monotonic() + heartbeat
        with log.woken(self.run_id) as wake:
            while True:
                wake.clear()
                # The end first: frames are written before it, so the frames
                # read after it are all there are.
                head = await log.head(self.run_id)
                frames = await log.frames(self.run_id, last)
                for frame in frames:
                    last = frame.seq
                    if frame.wanted(modes):
                        yield frame
                if head is None or head[1]:
                    return
                if frames:
                    beat = time.monotonic() + heartbeat
                elif await log.sleep(wake, beat):
                    beat = time.monotonic() + heartbeat
                    yield None


class FrameLog:
    """The streams and frames tables of one schema, for one process.

    Args:
        pool: The server's connection pool.
        names: The schema's table names.
        channel: The notification channel of new frames.
        poll_seconds: Longest wait of a reader between looks.
        retain_seconds: Seconds a finished run's frames stay readable.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        names: Names,
        *,
        channel: str,
        poll_seconds: float,
        retain_seconds: float,
    ) -> None:
        self._pool = pool
        self._names = names
        self._channel = channel
        self._poll = poll_seconds
        self._retain = retain_seconds
        self._ops: list[Op] = []
        self._flusher: asyncio.Task[None] | None = None
        self._wakes: dict[str, set[asyncio.Event]] = {}

    def _sql(self, template: str) -> sql.Composed:
        return self._names.format(template)

    def wake(self, run_id: str) -> None:
        """The run's stream changed (a notification): wake its readers."""
        for event in self._wakes.get(run_id, ()):
            event.set()

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
        await self.drain()  # frames published here count as published
        frames = await self.frames(stream.run_id, stream.next_seq - 1)
        return frames[-1].seq if frames else stream.next_seq - 1

    # -- writing ----------------------------------------------------------------

    def enqueue(self, op: Op) -> None:
        """Queue a write; one task per process writes them in order, batched."""
        self._ops.append(op)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def drain(self) -> None:
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
            await cur.execute(NO_DISK_WAIT)
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
                (self._channel, runs),
            )

    async def sweep_loop(self) -> None:
        orphans: set[str] = set()
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
                orphans = await self.sweep_orphans(orphans)
            except psycopg.Error:
                logger.warning("sweeping finished streams failed", exc_info=True)

    async def sweep_orphans(self, seen: set[str]) -> set[str]:
        """Delete the open streams of runs that were never stored.

        A run's stream is opened before the run is stored (a cron's claim, a
        request's insert); a process that dies in between leaves a stream no
        run will close. One with no run now is deleted if it had none at the
        previous sweep (``seen``) too: a run being created has its stream
        only for the moment between the two.

        Returns:
            The open streams with no run now, for the next sweep.
        """
        orphaned = (
            "NOT s.done AND NOT EXISTS"
            " (SELECT 1 FROM {runs} r WHERE r.run_id = s.run_id)"
        )
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                self._sql(f"SELECT s.run_id FROM {{streams}} s WHERE {orphaned}")
            )
            now = {str(row[0]) for row in await cur.fetchall()}
            gone = sorted(now & seen)
            if gone:
                await conn.execute(
                    self._sql(
                        "WITH gone AS (DELETE FROM {streams} s WHERE"
                        f" s.run_id = ANY(%s) AND {orphaned} RETURNING run_id)"
                        " DELETE FROM {frames} f USING gone"
                        " WHERE f.run_id = gone.run_id"
                    ),
                    (gone,),
                )
        return now - seen
