"""The server's shared parts, built once per app: graphs, storage, streams, queue.

Route handlers reach them through ``context(request)``. Nothing here runs a
graph; ``_executor`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from stategraph.checkpoint.base.id import uuid6

if TYPE_CHECKING:
    from stategraph.server._broker import Broker
    from stategraph.server._queue import RunQueue
    from stategraph.server._registry import GraphRegistry
    from stategraph.server._scheduler import CronScheduler
    from stategraph.server._storage import Storage
    from stategraph.server._thread_ttl import ThreadSweeper

#: Seconds a run may take before it ends with status ``timeout``.
RUN_TIMEOUT_SECONDS = 86400.0


@dataclass(slots=True)
class ServerContext:
    """Everything a request or a run needs, shared by the whole app.

    Attributes:
        registry: Served graphs, bound to the checkpointer.
        storage: Assistants, threads and runs.
        broker: Per-run event streams.
        queue: The run queue (set when the app starts).
        run_timeout: Seconds before a run times out.
        app: The ASGI app serving this context.
        clock: Returns the current time (timezone-aware).
        crons: The cron scheduler (set when the app starts).
        ttl: The expired-thread sweeper (set when the app is built).
    """

    registry: GraphRegistry
    storage: Storage
    broker: Broker
    queue: RunQueue | None = None
    run_timeout: float = RUN_TIMEOUT_SECONDS
    #: The ASGI app itself, for webhooks addressed to one of its paths.
    app: Any = None
    #: The time now; crons are scheduled by it (tests pass a fake clock).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    crons: CronScheduler | None = None
    ttl: ThreadSweeper | None = None
    #: ``False`` under ``http.disable_webhooks``: runs' webhooks are not called.
    webhooks: bool = True

    @property
    def runs(self) -> RunQueue:
        """The run queue; only available while the app is running."""
        if self.queue is None:
            raise RuntimeError("the server's run queue is not started")
        return self.queue

    @property
    def sweeper(self) -> ThreadSweeper:
        """The thread TTL sweeper."""
        if self.ttl is None:
            raise RuntimeError("the server's thread sweeper is not set up")
        return self.ttl

    @property
    def checkpointer(self) -> Any:
        """The saver every graph persists to."""
        return self.registry.checkpointer

    @property
    def store(self) -> Any:
        """The store ``/store`` serves and every graph gets as ``runtime.store``."""
        return self.registry.store


def context(request: HTTPConnection) -> ServerContext:
    """The ``ServerContext`` of the app serving ``request``."""
    ctx: ServerContext = request.app.state.stategraph
    return ctx


def now() -> str:
    """The current time as the API writes it: ISO 8601 with a UTC offset."""
    return datetime.now(timezone.utc).isoformat()


def new_id() -> str:
    """A new time-ordered UUID string for threads and runs."""
    return str(uuid6())
