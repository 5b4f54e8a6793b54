"""Thread time-to-live: when each thread expires, and the sweeper acting on it.

A thread created (or patched) with ``ttl`` minutes, or under the config's
``checkpointer.ttl.default_ttl``, expires that long after; one task per app
looks every ``sweep_interval_minutes`` or at the earliest expiry, whichever
comes first. Strategy ``delete`` removes an expired thread with its runs and
checkpoints; ``keep_latest`` keeps the thread and prunes all but its latest
checkpoint (as LangGraph's server does), after which it no longer expires.
Expiry times are kept in the server's storage (a table in PostgreSQL), next
to the threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from stategraph.errors import GraphBubbleUp
from stategraph.server._http import ApiError
from stategraph.server._thread_state import delete_thread

if TYPE_CHECKING:
    from stategraph.server._context import ServerContext

logger = logging.getLogger("stategraph.server")

#: How often expired threads are looked for unless the config says otherwise.
SWEEP_INTERVAL_MINUTES = 5.0
#: Pause before sweeping again after a sweep failed.
RETRY_SECONDS = 5.0
#: Expired threads claimed at once by a sweep.
SWEEP_BATCH = 100
#: What happens to a thread when its time is up.
STRATEGIES = ("delete", "keep_latest")
Strategy = Literal["delete", "keep_latest"]


@dataclass(frozen=True, slots=True)
class ThreadTTLConfig:
    """``checkpointer.ttl`` of ``langgraph.json``.

    Attributes:
        default_ttl: Minutes new threads live when they ask for no ``ttl``.
        sweep_interval_minutes: Minutes between sweeps.
        strategy: ``delete`` or ``keep_latest``, for threads whose ``ttl``
            names no strategy.
    """

    default_ttl: float | None = None
    sweep_interval_minutes: float = SWEEP_INTERVAL_MINUTES
    strategy: Strategy = "delete"


@dataclass(frozen=True, slots=True)
class ThreadTTL:
    """One thread's time-to-live: how long, and what happens then."""

    minutes: float
    strategy: Strategy | None = None


def parse_ttl_config(raw: Any) -> ThreadTTLConfig | None:
    """``checkpointer.ttl`` checked; ``None`` when absent.

    Raises:
        ValueError: For an unknown strategy or non-numbers.
    """
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"'checkpointer.ttl' must be an object, got {raw!r}")
    strategy = raw.get("strategy", "delete")
    if strategy not in STRATEGIES:
        raise ValueError(
            f"checkpointer.ttl strategy {strategy!r} is not supported; "
            "use 'delete' or 'keep_latest'"
        )
    default = raw.get("default_ttl")
    interval = raw.get("sweep_interval_minutes", SWEEP_INTERVAL_MINUTES)
    for name, value in (("default_ttl", default), ("sweep_interval_minutes", interval)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0
        ):
            raise ValueError(f"checkpointer.ttl {name} must be > 0, got {value!r}")
    return ThreadTTLConfig(
        default_ttl=default, sweep_interval_minutes=interval, strategy=strategy
    )


def thread_ttl(body: Mapping[str, Any]) -> ThreadTTL | None:
    """The ``ttl`` of a thread request body (``None``: not given).

    ``ttl`` is minutes, or ``{"ttl": minutes, "strategy": ...}``.

    Raises:
        ApiError: 422 for a malformed ``ttl`` or an unknown strategy.
    """
    raw = body.get("ttl")
    if raw is None:
        return None
    strategy = None
    if isinstance(raw, Mapping):
        strategy = raw.get("strategy")
        if strategy is not None and strategy not in STRATEGIES:
            raise ApiError(
                422,
                f"Thread ttl strategy must be 'delete' or 'keep_latest', got {raw!r}",
            )
        raw = raw.get("ttl")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
        raise ApiError(
            422, f"Thread 'ttl' must be a positive number of minutes: {raw!r}"
        )
    return ThreadTTL(float(raw), strategy)


class ThreadSweeper:
    """Acts on the threads of one server when their time is up.

    Expiry times live in the storage, so they survive restarts and every
    process of a cluster sees them; each process may sweep, and the storage
    hands each expired thread to one of them (``claim_expired_threads``).

    Args:
        ctx: The server (its storage, queue, checkpointer and clock).
        config: ``checkpointer.ttl`` settings (default: no default TTL).
    """

    def __init__(self, ctx: ServerContext, config: ThreadTTLConfig | None) -> None:
        self._ctx = ctx
        self.config = config or ThreadTTLConfig()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    async def set(self, thread_id: str, ttl: ThreadTTL | float | None) -> None:
        """Let the thread live ``ttl`` from now (``None``: the default)."""
        if not isinstance(ttl, ThreadTTL):
            minutes = self.config.default_ttl if ttl is None else ttl
            if minutes is None:
                return
            ttl = ThreadTTL(minutes)
        at = self._ctx.clock() + timedelta(minutes=ttl.minutes)
        record = {
            "strategy": ttl.strategy or self.config.strategy,
            "ttl_minutes": ttl.minutes,
            "expires_at": at.isoformat(),
        }
        await self._ctx.storage.put_thread_ttl(thread_id, record)
        if self._wake is not None:
            self._wake.set()  # the new expiry may be the earliest

    async def describe(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's TTL as ``GET /threads/{id}?include=ttl`` shows it."""
        return await self._ctx.storage.get_thread_ttl(thread_id)

    def start(self) -> None:
        """Start the sweeping task on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._run())

    def wake(self) -> None:
        """Sweep now on the sweeping task (callable from the server's loop)."""
        if self._wake is not None:
            self._wake.set()

    def sweep_soon(self) -> concurrent.futures.Future[list[str]]:
        """Sweep now on the server's loop (callable from any thread)."""
        if self._loop is None:
            raise RuntimeError("the thread sweeper is not started")
        return asyncio.run_coroutine_threadsafe(self.sweep(), self._loop)

    async def aclose(self) -> None:
        """Stop the sweeping task."""
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
            delay = self.config.sweep_interval_minutes * 60
            try:
                await self.sweep()
                due = await self._ctx.storage.next_thread_expiry()
            except GraphBubbleUp:
                raise
            except Exception:
                # The database may be briefly unreachable: the sweeper must
                # outlive that, so it looks again soon.
                logger.exception("sweeping expired threads failed; trying again")
                due = self._ctx.clock() + timedelta(seconds=RETRY_SECONDS)
            if due is not None:
                wait = (due - self._ctx.clock()).total_seconds()
                delay = min(delay, max(0.0, wait))
            # Sleeping until the next expiry is the schedule, not a sync.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def sweep(self) -> list[str]:
        """Act on every expired thread this process claims; return their ids."""
        now = self._ctx.clock()
        # Claimed expiries move to the next sweep: if this process dies
        # before acting, another one takes them then.
        retry = now + timedelta(minutes=self.config.sweep_interval_minutes)
        swept = []
        while True:
            claimed = await self._ctx.storage.claim_expired_threads(
                now, retry, SWEEP_BATCH
            )
            for thread_id, ttl in claimed:
                if await self._expire(thread_id, ttl["strategy"]):
                    swept.append(thread_id)
            if len(claimed) < SWEEP_BATCH:
                return swept

    async def _expire(self, thread_id: str, strategy: str) -> bool:
        """Delete or prune one expired thread; ``False``: try next sweep."""
        storage = self._ctx.storage
        if strategy == "keep_latest":
            if await self._ctx.runs.in_flight(thread_id):
                # Pruning under a run would race its writes: the claim
                # already moved the expiry to the next sweep.
                return False
            if await storage.get_thread(thread_id) is not None:
                await self._ctx.checkpointer.aprune([thread_id], strategy="keep_latest")
            await storage.delete_thread_ttl(thread_id)  # pruned once, as LangGraph
        elif await storage.get_thread(thread_id) is not None:
            await delete_thread(self._ctx, thread_id)
        else:
            await storage.delete_thread_ttl(thread_id)
        return True
