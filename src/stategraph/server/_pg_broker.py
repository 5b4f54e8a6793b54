"""Run streams through PostgreSQL, so any process can read what a worker publishes.

``PostgresBroker`` keeps the in-memory ``Broker``'s methods. A run's frames
go to a frames table (written in batches by one task per process, never on
the graph's path) with a notification per batch; a reader anywhere follows
a run by reading the frames after the last one it has, woken by those
notifications (and polling, so a lost notification only delays a frame).
The end of a run is a row in the streams table with the ``/wait`` result.
Thread events (a new run, a state update) are notifications too. Finished
streams are deleted after the retention window, as the memory broker
forgets them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Collection
from typing import Any

import orjson
from psycopg import sql
from psycopg.rows import tuple_row

from stategraph.server._broker import RETAIN_SECONDS, Broker, Frame, RunStream
from stategraph.server._pg_listen import Listener
from stategraph.server._storage.postgres import PostgresStorage

logger = logging.getLogger("stategraph.server")

#: Longest wait of a reader between looks at a run's frames.
POLL_SECONDS = 1.0
#: Largest thread event sent to other processes (NOTIFY payloads are < 8000).
_MAX_EVENT_BYTES = 7000


class PgRunStream(RunStream):
    """A run's stream: publishing writes to PostgreSQL, reading follows it."""

    def __init__(self, broker: PostgresBroker, run_id: str, *, resumable: bool) -> None:
        super().__init__(run_id, resumable=resumable)
        self._broker = broker
        #: The sequence number of the next frame this process publishes.
        self.next_seq = 0
        self.poke = asyncio.Event()
        self.follower: asyncio.Task[None] | None = None

    def publish(self, event: str, data: bytes) -> None:
        """Queue a frame for the database; readers see it once written."""
        seq = self.next_seq
        self.next_seq += 1
        self._broker.enqueue(("frame", self.run_id, self.resumable, seq, event, data))

    async def wait_done(self, heartbeat: float) -> AsyncIterator[None]:
        """As ``RunStream.wait_done``, reading the run's end from the database."""
        self._broker.follow(self)
        async for tick in super().wait_done(heartbeat):
            yield tick

    async def subscribe(
        self,
        *,
        after: int | None = -1,
        modes: Collection[str] | None = None,
        heartbeat: float,
    ) -> AsyncIterator[Frame | None]:
        """As ``RunStream.subscribe``, over the frames in the database."""
        self._broker.follow(self)
        if after is None:  # "from now on": from what is written by now
            await self._broker.catch_up(self)
            after = len(self.frames) - 1
        async for frame in super().subscribe(
            after=after, modes=modes, heartbeat=heartbeat
        ):
            yield frame

    def wake(self) -> None:
        """Set by the broker when new frames may be in the database."""
        self._notify()


Op = tuple[Any, ...]


class PostgresBroker(Broker):
    """``Broker`` whose streams live in PostgreSQL (see the module docstring).

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
        super().__init__(retain_seconds=retain_seconds)
        self._pool = storage.pool
        self._names = storage.names
        channel = storage.names.channel
        self._frames_channel = f"{channel}_frames"
        self._thread_channel = f"{channel}_thread"
        self._poll = poll_seconds
        self._origin = uuid.uuid4().hex
        self._ops: list[Op] = []
        self._flusher: asyncio.Task[None] | None = None
        self._listener: Listener | None = None
        self._sweeper: asyncio.Task[None] | None = None

    def _sql(self, template: str) -> sql.Composed:
        return self._names.format(template)

    async def start(self) -> None:
        """Listen for frames and thread events; start the retention sweeper."""
        self._listener = Listener(
            self._pool,
            [self._frames_channel, self._thread_channel],
            self._on_notify,
        )
        await self._listener.start()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_loop())

    async def aclose(self) -> None:
        """Write what is queued, stop following and listening."""
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
        for stream in list(self._streams.values()):
            if isinstance(stream, PgRunStream) and stream.follower is not None:
                stream.follower.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._listener is not None:
            await self._listener.aclose()

    # -- the Broker interface ---------------------------------------------------

    def open(
        self, run_id: str, *, resumable: bool, thread_id: str | None = None
    ) -> RunStream:
        """Announce a new run; its stream is made when someone reads or writes."""
        stream = self.get(run_id)
        stream.resumable = resumable
        if thread_id is not None:
            self.notify(thread_id, ("run", run_id))
        return stream

    def get(self, run_id: str) -> PgRunStream:
        """The run's stream in this process (made on first use)."""
        stream = self._streams.get(run_id)
        if not isinstance(stream, PgRunStream):
            stream = PgRunStream(self, run_id, resumable=False)
            self._streams[run_id] = stream
        return stream

    async def prepare(self, run_id: str, *, resumable: bool) -> PgRunStream:
        """The stream a worker publishes to, numbered after earlier attempts."""
        stream = self.get(run_id)
        stream.resumable = resumable
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                self._sql("SELECT max(seq) FROM {frames} WHERE run_id = %s"), (run_id,)
            )
            row = await cur.fetchone()
        if row is not None and row[0] is not None:
            stream.next_seq = max(stream.next_seq, int(row[0]) + 1)
        return stream

    def close(self, run_id: str, result: bytes) -> None:
        """Record the run's end; readers finish once they read it."""
        stream = self.get(run_id)
        self.enqueue(("done", run_id, stream.resumable, result))
        asyncio.get_running_loop().call_later(
            self._retain, self._expire, run_id, stream
        )

    def discard(self, run_id: str) -> None:
        """The run was deleted: end its readers everywhere."""
        self.enqueue(("done", run_id, False, b"null"))
        stream = self._streams.pop(run_id, None)
        if stream is not None and not stream.done:
            stream.finish(b"null")

    def notify(self, thread_id: str, event: tuple[str, Any]) -> None:
        """Give ``event`` to the thread's watchers in every process."""
        super().notify(thread_id, event)
        payload = orjson.dumps({"o": self._origin, "t": thread_id, "e": event})
        if len(payload) <= _MAX_EVENT_BYTES:
            self.enqueue(("event", payload.decode()))

    def _on_notify(self, channel: str, payload: str) -> None:
        if channel == self._frames_channel:
            stream = self._streams.get(payload)
            if isinstance(stream, PgRunStream):
                stream.poke.set()
            return
        message = orjson.loads(payload)
        if message["o"] != self._origin:
            super().notify(message["t"], tuple(message["e"]))

    # -- writing ----------------------------------------------------------------

    def enqueue(self, op: Op) -> None:
        """Queue a write; one task per process writes them in order, batched."""
        self._ops.append(op)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self._ops:
            ops, self._ops = self._ops, []
            try:
                await self._write(ops)
            except Exception:
                logger.exception("writing %d stream records failed", len(ops))
                continue
            for run_id in {op[1] for op in ops if op[0] != "event"}:
                stream = self._streams.get(run_id)
                if isinstance(stream, PgRunStream):
                    stream.poke.set()

    async def _write(self, ops: list[Op]) -> None:
        frames = [op[1:] for op in ops if op[0] == "frame"]
        dones = [op[1:] for op in ops if op[0] == "done"]
        events = [op[1] for op in ops if op[0] == "event"]
        runs = sorted({op[1] for op in ops if op[0] != "event"})
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=tuple_row)
            # Frames are a replay buffer, not records: a crash may lose the
            # last few, so the commit need not wait for the disk.
            await cur.execute("SET LOCAL synchronous_commit TO OFF")
            if frames:
                heads = {(f[0], f[1]) for f in frames}
                await cur.executemany(
                    self._sql(
                        "INSERT INTO {streams} (run_id, resumable) VALUES (%s, %s)"
                        " ON CONFLICT (run_id) DO NOTHING"
                    ),
                    sorted(heads),
                )
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
                        "INSERT INTO {streams} AS s"
                        " (run_id, resumable, done, result, finished_at)"
                        " VALUES (%s, %s, true, %s, now()) ON CONFLICT (run_id)"
                        " DO UPDATE SET done = true, result = EXCLUDED.result,"
                        " finished_at = now()"
                    ),
                    dones,
                )
            if runs:
                await cur.execute(
                    "SELECT pg_notify(%s, r) FROM unnest(%s::text[]) r",
                    (self._frames_channel, runs),
                )
            for payload in events:
                await cur.execute(
                    "SELECT pg_notify(%s, %s)", (self._thread_channel, payload)
                )

    # -- reading ----------------------------------------------------------------

    def follow(self, stream: PgRunStream) -> None:
        """Start copying the run's frames from the database into ``stream``."""
        if stream.follower is None and not stream.done:
            loop = asyncio.get_running_loop()
            stream.follower = loop.create_task(self._follow(stream))

    async def _follow(self, stream: PgRunStream) -> None:
        while not stream.done:
            stream.poke.clear()
            try:
                await self.catch_up(stream)
            except Exception:
                logger.warning("reading run %s failed", stream.run_id, exc_info=True)
            if stream.done:
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stream.poke.wait(), self._poll)
        asyncio.get_running_loop().call_later(
            self._retain, self._expire, stream.run_id, stream
        )

    async def catch_up(self, stream: PgRunStream) -> None:
        """Copy the frames written so far; finish ``stream`` if the run ended."""
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row, binary=True)
            # The end first: frames are written before it, so reading them
            # after it cannot miss one.
            await cur.execute(
                self._sql(
                    "SELECT resumable, done, result FROM {streams} WHERE run_id = %s"
                ),
                (stream.run_id,),
            )
            head = await cur.fetchone()
            last = stream.frames[-1].seq if stream.frames else -1
            await cur.execute(
                self._sql(
                    "SELECT seq, event, data FROM {frames}"
                    " WHERE run_id = %s AND seq > %s ORDER BY seq"
                ),
                (stream.run_id, last),
            )
            rows = await cur.fetchall()
            expired = False
            if head is None and not rows and not stream.frames:
                # The end marker is the only sure end; no marker long after
                # the run ended means its frames were swept.
                await cur.execute(
                    self._sql(
                        "SELECT record->>'status' NOT IN ('pending', 'running')"
                        " AND (record->>'updated_at')::timestamptz"
                        " < now() - make_interval(secs => %s)"
                        " FROM {runs} WHERE run_id = %s"
                    ),
                    (self._retain, stream.run_id),
                )
                found = await cur.fetchone()
                expired = bool(found and found[0])
        for seq, event, data in rows:
            stream.frames.append(Frame(int(seq), event, bytes(data)))
        if head is not None:
            stream.resumable = stream.resumable or bool(head[0])
        if rows:
            stream.wake()
        if head is not None and head[1]:
            stream.finish(bytes(head[2]) if head[2] is not None else b"null")
        elif expired:
            stream.finish(b"null")

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
            except Exception:
                logger.warning("sweeping finished streams failed", exc_info=True)
