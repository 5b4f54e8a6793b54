"""The PostgreSQL run queue of ``stategraph serve``: runs claimed across processes.

A pending run is a row of the storage's runs table. Workers claim due runs
with ``SELECT ... FOR UPDATE SKIP LOCKED``, at most one running run per
thread (first in, first out; a unique index on running runs backs the rule)
and hold a lease on each run they execute, renewed by a heartbeat. A run
whose lease expired (its worker died) is claimed again by any worker, as a
new attempt. API processes only submit, list and cancel; they never claim.

Cancelling a running run sets its ``cancel_action`` and sends a notification;
the worker holding it cancels its task (the heartbeat also reads the column,
so a lost notification only delays the cancel).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import psycopg
from psycopg import errors, sql
from psycopg.rows import tuple_row

from stategraph.errors import GraphBubbleUp
from stategraph.server._pg_listen import Listener, notify
from stategraph.server._queue import ActiveRun, CancelAction, Execute, RunQueue, Where
from stategraph.server._storage.postgres import PostgresStorage

logger = logging.getLogger("stategraph.server")

#: Seconds a claim lasts without a heartbeat.
LEASE_SECONDS = 30.0
#: Longest wait between looks for due runs (delayed runs, expired leases).
POLL_SECONDS = 1.0

_IN_FLIGHT = (
    "SELECT thread_id, run_id, status = 'running' FROM {runs}"
    " WHERE status IN ('pending', 'running') {extra}"
    " ORDER BY status = 'running' DESC, available_at, run_id"
)
_CLAIM = """
WITH due AS (
    SELECT r.run_id FROM {runs} r
    WHERE (r.status = 'pending' AND r.available_at <= now()
           AND NOT EXISTS (SELECT 1 FROM {runs} o WHERE o.thread_id = r.thread_id
                           AND o.status = 'running')
           AND NOT EXISTS (SELECT 1 FROM {runs} o WHERE o.thread_id = r.thread_id
                           AND o.status = 'pending'
                           AND (o.available_at, o.run_id) < (r.available_at, r.run_id)))
       OR (r.status = 'running' AND r.lease_until < now())
    ORDER BY r.available_at, r.run_id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
UPDATE {runs} r
SET record = jsonb_set(r.record, '{{status}}', '"running"'),
    worker_id = %(worker)s, attempt = r.attempt + 1,
    lease_until = now() + make_interval(secs => %(lease)s)
FROM due WHERE r.run_id = due.run_id
RETURNING r.record, r.attempt, r.cancel_action
"""
_HEARTBEAT = """
UPDATE {runs} SET lease_until = now() + make_interval(secs => %s)
WHERE worker_id = %s AND status = 'running' RETURNING run_id, cancel_action
"""


class PostgresRunQueue(RunQueue):
    """``RunQueue`` on the storage's runs table.

    Args:
        storage: The set-up PostgreSQL storage (its pool and tables).
        execute: Runs one run; given only to processes that work runs.
        concurrency: Runs this process executes at once.
        lease_seconds: How long a claim lasts without a heartbeat.
        poll_seconds: Longest wait between looks for due runs.
    """

    def __init__(
        self,
        storage: PostgresStorage,
        execute: Execute | None = None,
        *,
        concurrency: int = 10,
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._storage = storage
        self._pool = storage.pool
        self._runs = storage.names.table("runs")
        channel = storage.names.channel
        self._runs_channel = f"{channel}_runs"
        self._cancel_channel = f"{channel}_cancel"
        self._execute = execute
        self._concurrency = concurrency
        self._lease = lease_seconds
        self._poll = poll_seconds
        self.worker_id = f"w-{uuid.uuid4().hex[:12]}"
        self._active: dict[str, ActiveRun] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: Listener | None = None
        self._closed = False

    async def start(self) -> None:
        """Start claiming runs (only when ``execute`` was given)."""
        if self._execute is None:
            return
        self._listener = Listener(
            self._pool,
            [self._runs_channel, self._cancel_channel],
            self._on_notify,
        )
        await self._listener.start()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._claim_loop()),
            loop.create_task(self._heartbeat_loop()),
        ]

    # -- the RunQueue interface (any process) ---------------------------------

    async def submit(self, run: dict[str, Any]) -> None:
        logger.debug("submitted run %s", run["run_id"])
        async with self._pool.connection() as conn:
            await notify(conn, self._runs_channel, run["run_id"])

    async def _in_flight_rows(self, thread_id: str | None) -> list[Any]:
        extra = sql.SQL("AND thread_id = %s" if thread_id is not None else "")
        statement = sql.SQL(_IN_FLIGHT).format(runs=self._runs, extra=extra)
        params = (thread_id,) if thread_id is not None else ()
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(statement, params)
            rows: list[Any] = await cur.fetchall()
            return rows

    async def in_flight(self, thread_id: str) -> list[str]:
        return [row[1] for row in await self._in_flight_rows(thread_id)]

    async def all_in_flight(self) -> list[tuple[str, str, bool]]:
        return [
            (t, r, bool(running)) for t, r, running in await self._in_flight_rows(None)
        ]

    async def cancel(self, thread_id: str, run_id: str, action: CancelAction) -> Where:
        runs = self._runs
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(
                sql.SQL(
                    "SELECT status FROM {} WHERE run_id = %s AND thread_id = %s"
                    " FOR UPDATE"
                ).format(runs),
                (run_id, thread_id),
            )
            row = await cur.fetchone()
            status = None if row is None else row[0]
            if status == "pending":
                # Out of the queue now; the caller records how it ended.
                await cur.execute(
                    sql.SQL(
                        "UPDATE {} SET record = jsonb_set(record, '{{status}}',"
                        " '\"interrupted\"') WHERE run_id = %s"
                    ).format(runs),
                    (run_id,),
                )
                return "pending"
            if status != "running":
                return "absent"
            await cur.execute(
                sql.SQL(
                    "UPDATE {} SET cancel_action = coalesce(cancel_action, %s)"
                    " WHERE run_id = %s"
                ).format(runs),
                (action, run_id),
            )
            await notify(conn, self._cancel_channel, f"{action}:{run_id}")
        return "running"

    async def stop_thread(self, thread_id: str) -> list[str]:
        runs = self._runs
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(
                sql.SQL(
                    "DELETE FROM {} WHERE thread_id = %s AND status = 'pending'"
                    " RETURNING run_id"
                ).format(runs),
                (thread_id,),
            )
            dropped = [row[0] for row in await cur.fetchall()]
        for run_id in await self.in_flight(thread_id):
            await self.cancel(thread_id, run_id, "interrupt")
            await self._wait_not_running(run_id)
        return dropped

    async def _wait_not_running(self, run_id: str) -> None:
        # A live worker records the end within moments; a dead one's lease
        # runs out, so the wait is bounded by the lease.
        deadline = time.monotonic() + self._lease + 5
        delay = 0.01
        while time.monotonic() < deadline:
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    sql.SQL("SELECT status FROM {} WHERE run_id = %s").format(
                        self._runs
                    ),
                    (run_id,),
                )
                row = await cur.fetchone()
            if row is None or row[0] != "running":
                return
            await asyncio.sleep(delay)  # polling the row: no signal to wait on
            delay = min(delay * 2, 0.2)

    async def aclose(self) -> None:
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Runs in progress go back to the queue: another worker resumes them
        # from their last checkpoint, as if this one had died.
        running = []
        for active in self._active.values():
            if active.task is not None:
                active.released = True
                active.task.cancel()
                running.append(active.task)
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if running:
            await self._release()
        if self._listener is not None:
            await self._listener.aclose()

    async def _release(self) -> None:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    sql.SQL(
                        "UPDATE {} SET lease_until = now() - interval '1 second'"
                        " WHERE worker_id = %s AND status = 'running'"
                    ).format(self._runs),
                    (self.worker_id,),
                )
                await notify(conn, self._runs_channel, "released")
        except psycopg.Error:
            # Their leases run out instead; the runs are taken over later.
            logger.warning("handing runs back failed", exc_info=True)

    # -- the worker side -------------------------------------------------------

    def _on_notify(self, channel: str, payload: str) -> None:
        logger.debug("notified on %s: %s", channel, payload)
        if channel == self._runs_channel:
            self._wake.set()
            return
        action, _, run_id = payload.partition(":")
        self._cancel_local(run_id, action)

    def _cancel_local(self, run_id: str, action: str | None) -> None:
        active = self._active.get(run_id)
        if active is None or action not in ("interrupt", "rollback"):
            return
        if active.cancel_action is None and active.task is not None:
            active.cancel_action = action  # type: ignore[assignment]  # checked above
            active.task.cancel()

    async def _claim(self, limit: int) -> list[Any]:
        statement = sql.SQL(_CLAIM).format(runs=self._runs)
        params = {"limit": limit, "worker": self.worker_id, "lease": self._lease}
        for _ in range(5):
            try:
                async with self._pool.connection() as conn:
                    cur = conn.cursor(row_factory=tuple_row)
                    await cur.execute(statement, params)
                    claimed: list[Any] = await cur.fetchall()
                    return claimed
            except errors.UniqueViolation:
                # Two claims raced for one thread's next run; the index kept
                # the rule. Claim again, one run at a time.
                params["limit"] = 1
        return []

    async def _claim_loop(self) -> None:
        while not self._closed:
            self._wake.clear()
            free = self._concurrency - len(self._active)
            try:
                claimed = await self._claim(free) if free > 0 else []
            except psycopg.Error:
                # The database is away: keep the worker, look again later.
                logger.warning("claiming runs failed", exc_info=True)
                claimed = []
            for record, attempt, cancel_action in claimed:
                logger.debug("claimed run %s (attempt %d)", record["run_id"], attempt)
                self._start(record, attempt, cancel_action)
            if claimed and len(claimed) == free:
                continue  # there may be more due runs
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    def _start(self, record: dict[str, Any], attempt: int, cancel: str | None) -> None:
        active = ActiveRun(record, attempt=attempt)
        self._active[record["run_id"]] = active
        active.task = asyncio.get_running_loop().create_task(self._work(active))
        if cancel is not None:  # cancelled while its worker was dead
            self._cancel_local(record["run_id"], cancel)

    async def _work(self, active: ActiveRun) -> None:
        assert self._execute is not None
        run_id = active.run["run_id"]
        try:
            await self._execute(active)
        except GraphBubbleUp:
            raise
        except Exception:
            # Storage or broker trouble: log it and keep the worker serving.
            logger.exception("run %s failed outside the graph", run_id)
        finally:
            self._active.pop(run_id, None)
            self._wake.set()
            if not self._closed:
                # The thread's next run may now be claimed, by any worker.
                with contextlib.suppress(psycopg.Error):
                    await self.submit(active.run)

    async def _heartbeat_loop(self) -> None:
        statement = sql.SQL(_HEARTBEAT).format(runs=self._runs)
        while not self._closed:
            await asyncio.sleep(self._lease / 3)  # the heartbeat's period
            try:
                async with self._pool.connection() as conn:
                    cur = conn.cursor(row_factory=tuple_row)
                    await cur.execute(statement, (self._lease, self.worker_id))
                    rows = await cur.fetchall()
            except psycopg.Error:
                logger.warning("lease heartbeat failed", exc_info=True)
                continue
            for run_id, action in rows:
                if action is not None:
                    self._cancel_local(run_id, action)
