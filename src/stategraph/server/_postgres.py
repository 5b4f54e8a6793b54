"""A server on PostgreSQL: storage, checkpoints, store, run queue and streams.

``create_app(postgres=...)`` calls ``open_postgres`` at start-up: one
connection pool for the server's records (``PostgresStorage``), the
checkpoints (``AsyncPostgresSaver``) and the store (``AsyncPostgresStore``),
with the PostgreSQL run queue and broker on top. A process with the role
``"api"`` only enqueues and reads; ``"worker"`` also claims and executes
runs; ``"all"`` (``stategraph dev`` on PostgreSQL) does both.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, cast

from stategraph.server._broker import Broker, InMemoryBroker
from stategraph.server._executor import execute_run
from stategraph.server._pg_broker import PostgresBroker
from stategraph.server._pg_queue import LEASE_SECONDS, PostgresRunQueue
from stategraph.server._queue import jobs_per_worker
from stategraph.server._storage.postgres import CONNECT_KWARGS, PostgresStorage

if TYPE_CHECKING:
    from stategraph.server._config import ServerConfig
    from stategraph.server._context import ServerContext
    from stategraph.server._queue import ActiveRun

logger = logging.getLogger("stategraph.server")

Role = Literal["all", "api", "worker"]


@dataclass(frozen=True, slots=True)
class PostgresOptions:
    """How a server process uses PostgreSQL.

    Attributes:
        uri: libpq URI or conninfo (``DATABASE_URI``). Put
            ``options=-csearch_path=<schema>`` in it to use another schema.
        role: ``"api"`` (serve requests only), ``"worker"`` (also execute
            runs) or ``"all"``.
        concurrency: Runs a worker executes at once.
        lease_seconds: How long a worker's claim on a run lasts without a
            heartbeat; a run whose worker died is taken over after it.
        pool_size: Most connections the process opens (plus two listeners).
        background: Run the cron scheduler and the store's TTL sweeper here.
            Any number of processes may: cron ticks are claimed in the
            database, and sweeping the store twice deletes nothing twice.
        redis_uri: Carry run streams and cancel signals through this Redis
            (``REDIS_URI``) instead of the database.
        redis_prefix: Start of the Redis keys (servers sharing one Redis
            need their own).
        async_commit: Commit without waiting for the disk
            (``synchronous_commit=off``): runs finish several milliseconds
            sooner, and a crash of the database server (not of this
            process) may lose the last fraction of a second of writes.
    """

    uri: str
    role: Role = "all"
    concurrency: int = 10
    lease_seconds: float = LEASE_SECONDS
    pool_size: int = 10
    background: bool = True
    redis_uri: str | None = None
    redis_prefix: str = "stategraph"
    async_commit: bool = False

    @classmethod
    def from_uri(cls, uri: str) -> PostgresOptions:
        """Options for ``uri``: a worker runs ``N_JOBS_PER_WORKER`` at once, else 10."""
        jobs = jobs_per_worker()
        return cls(uri) if jobs is None else cls(uri, concurrency=jobs)

    @property
    def executes(self) -> bool:
        """Whether this process claims and executes runs."""
        return self.role != "api"


async def setup_postgres(
    stack: contextlib.AsyncExitStack,
    options: PostgresOptions,
    config: ServerConfig | None,
) -> tuple[PostgresStorage, Any, Any]:
    """Open the pool; create or migrate the storage, saver and store tables.

    Returns:
        The storage, the checkpoint saver and the store, all on one pool
        that ``stack`` closes.
    """
    from psycopg_pool import AsyncConnectionPool

    from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from stategraph.store.postgres.aio import AsyncPostgresStore

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        options.uri,
        kwargs=CONNECT_KWARGS,
        min_size=1,
        max_size=options.pool_size,
        open=False,
        configure=_no_disk_wait if options.async_commit else None,
    )
    await pool.open(wait=True)
    stack.push_async_callback(pool.close)
    storage = PostgresStorage(pool)
    await storage.setup()
    # The run queue already runs one run per thread across processes: a
    # run lock would only hold a pooled connection per run.
    saver = AsyncPostgresSaver(pool, thread_lock="off")
    await saver.setup()
    store = AsyncPostgresStore(
        pool,
        index=cast("Any", config and config.store_index),
        ttl=cast("Any", config and config.store_ttl),
    )
    await store.setup()
    return storage, saver, store


async def _no_disk_wait(conn: Any) -> None:
    await conn.execute("SET synchronous_commit TO off")


async def open_postgres(
    stack: contextlib.AsyncExitStack,
    ctx: ServerContext,
    options: PostgresOptions,
    config: ServerConfig | None,
    *,
    keep_saver: bool = False,
    keep_store: bool = False,
) -> None:
    """Put ``ctx``'s storage, saver, store, queue and broker on PostgreSQL.

    Args:
        stack: Closes everything opened here when the server stops.
        ctx: The server context to fill in.
        options: Where and how.
        config: The ``langgraph.json`` (its ``store`` settings).
        keep_saver: The caller gave its own checkpointer: keep it.
        keep_store: The caller gave its own store: keep it.
    """
    storage, saver, store = await setup_postgres(stack, options, config)
    ctx.storage = storage
    if not keep_saver:
        ctx.registry.checkpointer = saver
    if not keep_store:
        if config is not None and config.store_ttl and options.background:
            await store.start_ttl_sweeper()
            stack.push_async_callback(store.stop_ttl_sweeper)
        ctx.registry.store = store
    if isinstance(ctx.broker, InMemoryBroker):  # not one the caller chose
        ctx.broker = await _broker(options, storage)
    execute = partial(execute_claimed, ctx) if options.executes else None
    ctx.queue = PostgresRunQueue(
        storage,
        execute,
        concurrency=options.concurrency,
        lease_seconds=options.lease_seconds,
    )


async def _broker(options: PostgresOptions, storage: PostgresStorage) -> Broker:
    """Redis when the options name it, else the database itself."""
    if options.redis_uri:
        from stategraph.server._redis_broker import RedisBroker

        return RedisBroker(options.redis_uri, prefix=options.redis_prefix)
    broker = PostgresBroker(storage)
    await broker.start()
    return broker


async def execute_claimed(ctx: ServerContext, active: ActiveRun) -> None:
    """Execute a claimed run; a run taken over resumes from its checkpoint."""
    run = active.run
    if active.attempt > 1 and await _has_checkpoint(ctx, run):
        # As invoke(None, config): finished tasks are not run again, their
        # writes are in the checkpoint.
        kwargs = run["kwargs"]
        kwargs["input"] = None
        kwargs["command"] = None
        configurable = kwargs["config"]["configurable"]
        for key in ("checkpoint_id", "checkpoint_map"):
            configurable.pop(key, None)
        logger.info("run %s: attempt %d resumes", run["run_id"], active.attempt)
    await execute_run(ctx, active)


async def _has_checkpoint(ctx: ServerContext, run: dict[str, Any]) -> bool:
    config = {"configurable": {"thread_id": run["thread_id"], "checkpoint_ns": ""}}
    async for _ in ctx.checkpointer.alist(
        config, filter={"run_id": run["run_id"]}, limit=1
    ):
        return True
    return False
