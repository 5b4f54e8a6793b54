"""The cron scheduler: fires due crons as runs and moves them to their next time.

One task per app. It sleeps until the earliest ``next_run_date`` (at most a
minute, so edits are seen) or until ``wake()``; firing goes through the same
``create_run`` as HTTP requests, so validation and double texting apply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stategraph.server._cron import next_fire, parse_schedule, zone
from stategraph.server._http import ApiError
from stategraph.server._run_ops import create_run
from stategraph.server._storage import Query

if TYPE_CHECKING:
    from stategraph.server._context import ServerContext

logger = logging.getLogger("stategraph.server")

#: Longest sleep between looks at the crons.
MAX_SLEEP_SECONDS = 60.0


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
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            now = self._ctx.clock()
            earliest = await self.tick(now)
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
            if cron["next_run_date"] is None:
                continue
            if datetime.fromisoformat(cron["next_run_date"]) <= now:
                await self._fire(cron, now)
            if cron["next_run_date"] is not None:
                due = datetime.fromisoformat(cron["next_run_date"])
                earliest = due if earliest is None else min(earliest, due)
        return earliest

    async def _fire(self, cron: dict[str, Any], now: datetime) -> None:
        end = cron["end_time"]
        if end is None or now < datetime.fromisoformat(end):
            body = {
                k: v
                for k, v in cron["payload"].items()
                if k not in ("schedule", "timezone")
            }
            if cron["thread_id"] is None:
                body["on_completion"] = cron["on_run_completed"] or "delete"
            try:
                await create_run(self._ctx, body, cron["thread_id"])
            except ApiError as exc:
                logger.warning(
                    "cron %s could not start a run: %s", cron["cron_id"], exc
                )
            cron["next_run_date"] = next_run_date(cron, now)
        else:
            cron["next_run_date"] = None  # past its end time: never again
        cron["updated_at"] = now.isoformat()
        await self._ctx.storage.put_cron(cron)
