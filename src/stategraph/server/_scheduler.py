"""The cron scheduler: fires due crons as runs and moves them to their next time.

One task per serving process. It sleeps until the earliest ``next_run_date``
(at most a minute, so edits made in other processes are seen) or until
``wake()``; firing builds the run with the same ``prepare_run`` as HTTP
requests, so validation and double texting apply. Several processes (and
supervisors) on one database each run a scheduler: each tick is claimed in
the storage together with storing its run (``Storage.claim_cron``), so it
fires once, and is not lost to a process dying half way. The run's stream is
opened before the claim (a worker may start the run as soon as it commits);
a claim that fails discards it, and the stream of a process that died before
its claim committed belongs to no run: Redis expires it (``OPEN_TTL_SECONDS``),
the PostgreSQL broker's sweeper deletes it. A cron past its
``end_time`` no longer fires and keeps its last ``next_run_date``, as in
LangGraph's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from stategraph.errors import GraphBubbleUp
from stategraph.server._cron import next_fire, parse_schedule, zone
from stategraph.server._http import ApiError
from stategraph.server._run_ops import (
    PreparedRun,
    open_stream,
    prepare_run,
    start_prepared,
)
from stategraph.server._storage import Query

if TYPE_CHECKING:
    from stategraph.server._context import ServerContext

logger = logging.getLogger("stategraph.server")

#: Longest sleep between looks at the crons.
MAX_SLEEP_SECONDS = 60.0
#: Pause before looking again after a look failed.
RETRY_SECONDS = 5.0


def next_run_date(cron: dict[str, Any], after: datetime) -> str | None:
    """The cron's next fire time after ``after``, as the API writes it."""
    moment = next_fire(parse_schedule(cron["schedule"]), after, zone(cron["timezone"]))
    return None if moment is None else moment.isoformat()


class CronScheduler:
    """Fires the crons of one server.

    Args:
        ctx: The server (its storage, queue and clock).
    """

    def __init__(self, ctx: ServerContext) -> None:
        self._ctx = ctx
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Start the scheduling task on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run())

    def wake(self) -> None:
        """Look at the crons now (callable from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def aclose(self) -> None:
        """Stop the scheduling task."""
        # Python 3.11's wait_for can swallow a cancel arriving as the wake
        # event is set; the flag ends the loop then.
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._closing:
            now = self._ctx.clock()
            try:
                earliest = await self.tick(now)
            except GraphBubbleUp:
                raise
            except Exception:
                # The database may be briefly unreachable: the scheduler must
                # outlive that, so it looks again soon.
                logger.exception("looking at the crons failed; trying again")
                earliest = now + timedelta(seconds=RETRY_SECONDS)
            delay = MAX_SLEEP_SECONDS
            if earliest is not None:
                delay = min(delay, max(0.0, (earliest - now).total_seconds()))
            # Sleeping until the next fire time is the schedule, not a sync.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def tick(self, now: datetime) -> datetime | None:
        """Fire every enabled cron due at ``now``; return the next fire time."""
        page = await self._ctx.storage.search_crons(
            Query(equals={"enabled": True}, limit=2**31, sort_order="asc")
        )
        earliest = None
        for cron in page.items:
            if not _before_end(cron, now):
                # As LangGraph's server: a cron past its end_time is passed
                # over and keeps the next_run_date it last had.
                continue
            due = cron["next_run_date"]
            if due is not None and datetime.fromisoformat(due) <= now:
                due = await self._fire(cron, now)
            if due is not None:
                moment = datetime.fromisoformat(due)
                earliest = moment if earliest is None else min(earliest, moment)
        return earliest

    async def _fire(self, cron: dict[str, Any], now: datetime) -> str | None:
        """Fire the due tick if this process claims it; the next fire time.

        Every process with a scheduler looks at the same crons; the storage's
        claim lets one of them have each tick, and the others move on. The
        run is built first and stored by the claim itself, in one
        transaction, so a process dying at any point either leaves the tick
        due (another process fires it) or has moved it on with its run queued.
        """
        following = next_run_date(cron, now)
        changes = {"next_run_date": following, "updated_at": now.isoformat()}
        prepared = await self._prepare(cron)
        fired = {}
        if isinstance(prepared, PreparedRun):
            fired = {"thread": prepared.thread, "run": prepared.run}
        try:
            claimed = await self._ctx.storage.claim_cron(
                cron["cron_id"], cron["next_run_date"], changes, **fired
            )
        except BaseException:
            # The claim failed (its transaction rolled back): no run was
            # stored, so its stream, open already, would stay open forever.
            if isinstance(prepared, PreparedRun):
                await self._ctx.broker.discard(prepared.run["run_id"])
            raise
        if claimed is None:  # another process had it, or it was just changed
            if isinstance(prepared, PreparedRun):
                await self._ctx.broker.discard(prepared.run["run_id"])
            fresh = await self._ctx.storage.get_cron(cron["cron_id"])
            if fresh is None or not fresh["enabled"]:
                return None
            due: str | None = fresh["next_run_date"]
            return due
        if isinstance(prepared, PreparedRun):
            run = prepared.run
            await self._ctx.broker.notify(run["thread_id"], ("run", run["run_id"]))
            await start_prepared(self._ctx, prepared)
        else:  # logged once, by the process that had the tick
            logger.warning(
                "cron %s could not start a run: %s", cron["cron_id"], prepared
            )
        return following

    async def _prepare(self, cron: dict[str, Any]) -> PreparedRun | ApiError:
        """The run the cron fires, its stream open; or why it cannot start."""
        payload = cron["payload"]
        body = {k: v for k, v in payload.items() if k not in ("schedule", "timezone")}
        # As LangGraph's server: the cron's metadata (which PATCH changes)
        # under the payload's own.
        body["metadata"] = {
            **(cron["metadata"] or {}),
            **(payload.get("metadata") or {}),
        }
        if cron["thread_id"] is None:
            body.setdefault("on_completion", cron["on_run_completed"] or "delete")
        try:
            prepared = await prepare_run(self._ctx, body, cron["thread_id"])
        except ApiError as exc:
            return exc
        # Watchers hear of the run only once it is stored: this process may
        # lose the claim, and then the run never exists.
        await open_stream(self._ctx, prepared, announce=False)
        return prepared


def _before_end(cron: dict[str, Any], now: datetime) -> bool:
    """Whether the cron still fires at ``now`` (its ``end_time`` not passed)."""
    if cron["end_time"] is None:
        return True
    end = datetime.fromisoformat(cron["end_time"])
    if end.tzinfo is None:  # a time without offset is read as UTC
        end = end.replace(tzinfo=timezone.utc)
    return now <= end
