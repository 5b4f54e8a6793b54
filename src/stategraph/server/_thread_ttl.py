"""Thread time-to-live: when each thread expires, and the sweeper deleting them.

A thread created (or patched) with ``ttl`` minutes, or under the config's
``checkpointer.ttl.default_ttl``, expires that long after; one task per app
deletes expired threads with their runs and checkpoints, looking every
``sweep_interval_minutes`` or at the earliest expiry, whichever comes first.
Expiry times are kept in memory, as the threads themselves are.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from stategraph.server._http import ApiError
from stategraph.server._thread_state import delete_thread

if TYPE_CHECKING:
    from stategraph.server._context import ServerContext

#: How often expired threads are looked for unless the config says otherwise.
SWEEP_INTERVAL_MINUTES = 5.0


@dataclass(frozen=True, slots=True)
class ThreadTTLConfig:
    """``checkpointer.ttl`` of ``langgraph.json``.

    Attributes:
        default_ttl: Minutes new threads live when they ask for no ``ttl``.
        sweep_interval_minutes: Minutes between sweeps.
    """

    default_ttl: float | None = None
    sweep_interval_minutes: float = SWEEP_INTERVAL_MINUTES


def parse_ttl_config(raw: Any) -> ThreadTTLConfig | None:
    """``checkpointer.ttl`` checked; ``None`` when absent.

    Raises:
        ValueError: For a strategy other than ``delete`` or non-numbers.
    """
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"'checkpointer.ttl' must be an object, got {raw!r}")
    strategy = raw.get("strategy", "delete")
    if strategy != "delete":
        raise ValueError(
            f"checkpointer.ttl strategy {strategy!r} is not supported; use 'delete'"
        )
    default = raw.get("default_ttl")
    interval = raw.get("sweep_interval_minutes", SWEEP_INTERVAL_MINUTES)
    for name, value in (("default_ttl", default), ("sweep_interval_minutes", interval)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
        ):
            raise ValueError(f"checkpointer.ttl {name} must be > 0, got {value!r}")
    return ThreadTTLConfig(default_ttl=default, sweep_interval_minutes=interval)


def ttl_minutes(body: Mapping[str, Any]) -> float | None:
    """The ``ttl`` of a thread request body, in minutes (``None``: not given).

    Raises:
        ApiError: 422 for a malformed ``ttl`` or a strategy other than delete.
    """
    raw = body.get("ttl")
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        if raw.get("strategy", "delete") != "delete":
            raise ApiError(422, f"Thread ttl strategy must be 'delete', got {raw!r}")
        raw = raw.get("ttl")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
        raise ApiError(
            422, f"Thread 'ttl' must be a positive number of minutes: {raw!r}"
        )
    return float(raw)


class ThreadSweeper:
    """Deletes the threads of one server when their time is up.

    Args:
        ctx: The server (its storage, queue, checkpointer and clock).
        config: ``checkpointer.ttl`` settings (default: no default TTL).
    """

    def __init__(self, ctx: ServerContext, config: ThreadTTLConfig | None) -> None:
        self._ctx = ctx
        self.config = config or ThreadTTLConfig()
        self.expires: dict[str, datetime] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def set(self, thread_id: str, minutes: float | None) -> None:
        """Let the thread live ``minutes`` from now (``None``: the default)."""
        minutes = self.config.default_ttl if minutes is None else minutes
        if minutes is None:
            return
        self.expires[thread_id] = self._ctx.clock() + timedelta(minutes=minutes)
        if self._wake is not None:
            self._wake.set()  # the new expiry may be the earliest

    def forget(self, thread_id: str) -> None:
        """The thread is gone: stop tracking it."""
        self.expires.pop(thread_id, None)

    def start(self) -> None:
        """Start the sweeping task on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run())

    def sweep_soon(self) -> concurrent.futures.Future[list[str]]:
        """Sweep now on the server's loop (callable from any thread)."""
        if self._loop is None:
            raise RuntimeError("the thread sweeper is not started")
        return asyncio.run_coroutine_threadsafe(self.sweep(), self._loop)

    async def aclose(self) -> None:
        """Stop the sweeping task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self.sweep()
            delay = self.config.sweep_interval_minutes * 60
            if self.expires:
                due = min(self.expires.values()) - self._ctx.clock()
                delay = min(delay, max(0.0, due.total_seconds()))
            # Sleeping until the next expiry is the schedule, not a sync.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def sweep(self) -> list[str]:
        """Delete every expired thread; return their ids."""
        now = self._ctx.clock()
        expired = [tid for tid, at in self.expires.items() if at <= now]
        for thread_id in expired:
            self.expires.pop(thread_id, None)
            if await self._ctx.storage.get_thread(thread_id) is not None:
                await delete_thread(self._ctx, thread_id)
        return expired
