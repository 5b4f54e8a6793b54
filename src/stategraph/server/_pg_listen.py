"""PostgreSQL LISTEN on a connection of its own, handing notifications to a callback.

The run queue wakes its claim loop and delivers cancel signals through it;
the PostgreSQL broker wakes the readers of a run's frames. A notification is
only a hint: every user also polls, so a notification lost while the
connection is re-established delays work by one poll, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from psycopg import AsyncConnection, OperationalError, sql
from psycopg_pool import AsyncConnectionPool

logger = logging.getLogger("stategraph.server")

#: Seconds between attempts to reconnect a lost listening connection.
RECONNECT_SECONDS = 1.0


class Listener:
    """Listens on ``channels``; calls ``on_notify(channel, payload)`` for each.

    Args:
        pool: The pool whose database to listen to (its conninfo and
            connection arguments are reused for a connection of its own).
        channels: Channels to LISTEN on.
        on_notify: Called on the event loop for every notification.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        channels: Sequence[str],
        on_notify: Callable[[str, str], None],
    ) -> None:
        if not isinstance(pool.conninfo, str) or callable(pool.kwargs):
            raise TypeError("LISTEN needs a pool with a fixed conninfo and kwargs")
        self._conninfo = pool.conninfo
        self._channels = list(channels)
        self._on_notify = on_notify
        self._kwargs = {**(pool.kwargs or {}), "autocommit": True}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Start listening; returns once LISTEN is in place."""
        self._task = asyncio.get_running_loop().create_task(self._run())
        waiter = asyncio.ensure_future(self._ready.wait())
        done, _ = await asyncio.wait(
            [waiter, self._task], return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:  # it failed before listening: say why
            waiter.cancel()
            self._task.result()

    async def aclose(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        first = True
        while True:
            try:
                await self._listen()
            except OperationalError:
                if first and not self._ready.is_set():
                    raise
                logger.warning("LISTEN connection lost; reconnecting", exc_info=True)
            first = False
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen(self) -> None:
        conn = await AsyncConnection.connect(self._conninfo, **self._kwargs)
        async with conn:
            for channel in self._channels:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self._ready.set()
            async for note in conn.notifies():
                self._on_notify(note.channel, note.payload)


async def notify(conn: AsyncConnection[Any], channel: str, payload: str) -> None:
    """Send one notification (delivered when the transaction commits)."""
    await conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))
