"""The server's lifespan: savers, stores, the run queue and background jobs.

``create_app`` hands ``lifespan`` the context it built; entering it opens the
configured saver and store (PostgreSQL, SQLite or the in-memory defaults),
registers each graph's system assistant, starts the run queue, the cron
scheduler and the thread sweeper, and closes them all in reverse on exit.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import AsyncIterator
from functools import partial
from typing import Any, cast

from starlette.applications import Starlette

from stategraph.server import assistants
from stategraph.server._config import ServerConfig, import_object
from stategraph.server._context import ServerContext
from stategraph.server._executor import execute_run
from stategraph.server._pg_queue import PostgresRunQueue
from stategraph.server._postgres import PostgresOptions, open_postgres
from stategraph.server._queue import InMemoryRunQueue, jobs_per_worker
from stategraph.server._registry import system_assistant_id
from stategraph.server._run_ops import cancel_here
from stategraph.server._scheduler import CronScheduler
from stategraph.server._ui import ui_bundler

__all__ = ["lifespan"]


async def _open_saver(
    stack: contextlib.AsyncExitStack, config: ServerConfig
) -> Any | None:
    """The saver ``config`` names, entered on ``stack`` (``None``: the default)."""
    if config.checkpointer_path is not None:
        made = import_object(config.checkpointer_path, config.base_dir)
        if callable(made) and not _is_saver(made):
            made = made()
        if inspect.isawaitable(made):
            made = await made
        if _is_saver(made):
            return made
        if hasattr(made, "__aenter__"):
            return await stack.enter_async_context(made)
        if hasattr(made, "__enter__"):
            return stack.enter_context(made)
        raise TypeError(
            f"checkpointer {config.checkpointer_path!r} gave {made!r}, not a saver"
        )
    if config.sqlite_path is not None:
        from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        # The run queue already runs one run per thread: no run lock.
        return await stack.enter_async_context(
            AsyncSqliteSaver.from_conn_string(config.sqlite_path, thread_lock="off")
        )
    return None


def _is_saver(value: Any) -> bool:
    return hasattr(value, "aget_tuple") and hasattr(value, "aput")


async def _open_ttl_store(
    stack: contextlib.AsyncExitStack, config: ServerConfig
) -> Any:
    """A store honouring ``store.ttl``: ``InMemoryStore`` has no TTLs."""
    from stategraph.store.sqlite.aio import AsyncSqliteStore

    store = await stack.enter_async_context(
        AsyncSqliteStore.from_conn_string(
            ":memory:",
            index=cast("Any", config.store_index),
            ttl=cast("Any", config.store_ttl),
        )
    )
    await store.setup()
    await store.start_ttl_sweeper()
    stack.push_async_callback(store.stop_ttl_sweeper)
    return store


@contextlib.asynccontextmanager
async def lifespan(
    ctx: ServerContext,
    config: ServerConfig | None,
    store_config: ServerConfig | None,
    postgres: PostgresOptions | None,
    app: Starlette,
) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(ui_bundler(app.state.ui))
        saver = None if config is None else await _open_saver(stack, config)
        if saver is not None:
            ctx.registry.checkpointer = saver
        if postgres is not None:
            await open_postgres(
                stack,
                ctx,
                postgres,
                store_config,
                keep_saver=config is None or saver is not None,
                keep_store=store_config is None,
            )
        elif store_config is not None and store_config.store_ttl:
            ctx.registry.store = await _open_ttl_store(stack, store_config)
        for graph_id in ctx.registry.ids():
            if await ctx.storage.get_assistant(system_assistant_id(graph_id)):
                continue
            record = assistants.system_assistant(ctx, graph_id)
            await ctx.storage.put_assistant(record)
            await ctx.storage.put_assistant_version(record)
        if ctx.queue is None:
            execute = partial(execute_run, ctx)
            ctx.queue = InMemoryRunQueue(execute, concurrency=jobs_per_worker())
        stack.push_async_callback(ctx.broker.aclose)
        await ctx.broker.serve_cancels(partial(cancel_here, ctx))
        if isinstance(ctx.queue, PostgresRunQueue):
            await ctx.queue.start()
        if postgres is None or postgres.background:
            ctx.crons = CronScheduler(ctx)
            ctx.crons.start()
        ctx.sweeper.start()
        try:
            yield
        finally:
            await ctx.sweeper.aclose()
            if ctx.crons is not None:
                await ctx.crons.aclose()
            await ctx.queue.aclose()
            await ctx.storage.aclose()
