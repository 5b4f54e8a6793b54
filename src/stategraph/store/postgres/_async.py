"""``AsyncPostgresStore``: runs the shared store plan over an async psycopg connection.

This file is the source of ``_sync.py`` (``scripts/unasync.py`` rewrites it):
keep every difference between the two in names the rewrite rules map.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar, cast

from psycopg import AsyncConnection, AsyncCursor, AsyncPipeline
from psycopg.rows import DictRow, dict_row, tuple_row

from stategraph.store import _plans, _sql
from stategraph.store._ttl import TaskSweeper, sweep_interval
from stategraph.store.base._batch import AsyncBatchedBaseStore
from stategraph.store.base._records import Item, Op, Result, SearchItem, TTLConfig
from stategraph.store.postgres import _base
from stategraph.store.postgres._base import PoolConfig, PostgresIndexConfig

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")


class AsyncPostgresStore(_base.BasePostgresStore[Any], AsyncBatchedBaseStore):
    """Store kept in PostgreSQL, with TTLs and vector search.

    Every batch runs in one transaction, so a failed batch leaves the
    database as it was. Call ``setup()`` once to create or migrate the
    tables. Vector search uses pgvector when the server has it, else an exact
    search in SQL over ``real[]`` embeddings.

    Args:
        conn: A connection (``autocommit=True`` recommended) or a pool.
        pipe: The connection's pipeline, when it is in pipeline mode.
        deserializer: Parses a stored value's JSON text (default: orjson).
        index: Vector search settings (``dims``, ``embed``, ``fields``).
        ttl: TTL settings (``default_ttl``, ``refresh_on_read``,
            ``omit_expired``, ``sweep_interval_minutes``; minutes).

    Raises:
        ValueError: If ``pipe`` is given with a pool.
    """

    def __init__(
        self,
        conn: AsyncConnection[Any] | AsyncConnectionPool[Any],
        *,
        pipe: AsyncPipeline | None = None,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: PostgresIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        _base.check_index(index)
        super().__init__()
        self._pooled = _base.is_pool(conn)
        if self._pooled and pipe is not None:
            raise ValueError("A pipeline needs a single connection, not a pool.")
        self.conn = conn
        self.pipe = pipe
        self.lock = asyncio.Lock()
        self.is_setup = False
        self._dialect = _base.PostgresDialect(deserializer, _base.distance_type(index))
        self._index = index
        self._configure(self._dialect, index, ttl)
        self._sweeper = TaskSweeper(lambda: self.sweep_ttl())

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        pipeline: bool = False,
        pool_config: PoolConfig | None = None,
        index: PostgresIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AsyncPostgresStore]:
        """Connect (or open a pool, given ``pool_config``) and yield a store."""
        async with AsyncExitStack() as stack:
            if pool_config is not None:
                pool = await stack.enter_async_context(
                    _base.async_pool(conn_string, pool_config)
                )
                yield cls(pool, index=index, ttl=ttl)
                return
            conn = await stack.enter_async_context(
                await AsyncConnection.connect(conn_string, **_base.CONNECT_KWARGS)
            )
            pipe = (
                await stack.enter_async_context(conn.pipeline()) if pipeline else None
            )
            yield cls(conn, pipe=pipe, index=index, ttl=ttl)

    async def setup(self) -> None:
        """Create or migrate the tables (idempotent)."""
        async with self._connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row)
            await cursor.execute(_base.MIGRATIONS_TABLE)
            await cursor.execute(_base.APPLIED)
            applied = await cursor.fetchall()
            await cursor.execute(_base.HAS_PGVECTOR)
            available = bool(await cursor.fetchall())
        plan = _base.setup_plan(applied, self._index, available)
        self._dialect.use_pgvector(await self._run(plan, True))
        self.is_setup = True

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops`` in one transaction and return their results in order."""
        prep = _plans.prepare(self._cfg, list(ops))
        queries = [
            await self.embeddings.aembed_query(text) for text in prep.query_texts
        ]
        docs = (
            await self.embeddings.aembed_documents(prep.doc_texts)
            if prep.doc_texts
            else []
        )
        if self.index_config is not None and not self.is_setup:
            await self.setup()
        plan = _plans.batch_plan(self._cfg, prep, queries, docs, self._now())
        # An ANN search's scan settings last for its transaction.
        ann = bool(prep.query_texts) and self._dialect.ann_settings() is not None
        return await self._run(plan, prep.transaction or ann)

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Return the item at ``namespace``/``key``, or ``None`` (one query)."""
        op = self._get_op(namespace, key, refresh_ttl)
        return await self._single(_plans.get_plan(self._cfg, op, self._now))

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Search items (see ``BaseStore.search``); one query without ``query``."""
        op = self._search_op(
            namespace_prefix, query, filter, limit, offset, refresh_ttl
        )
        if op.query and self.index_config is not None:
            return cast("list[SearchItem]", (await self.abatch([op]))[0])
        return await self._single(_plans.search_plan(self._cfg, op, self._now()))

    async def _single(self, plan: _sql.Plan[T]) -> T:
        if self.index_config is not None and not self.is_setup:
            await self.setup()
        return await self._run(plan, False)

    async def sweep_ttl(self) -> int:
        """Delete expired items now; return how many were deleted."""
        return await self._run(_plans.sweep_plan(self._cfg, self._now()), True)

    async def start_ttl_sweeper(
        self, sweep_interval_minutes: int | None = None
    ) -> asyncio.Task[None]:
        """Sweep expired items periodically (default: the TTL config's interval)."""
        interval = sweep_interval(self.ttl_config, sweep_interval_minutes)
        return await self._sweeper.start(interval)

    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper; return whether it stopped within ``timeout`` seconds."""
        return await self._sweeper.stop(timeout)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        if self._pooled:
            pool = cast("AsyncConnectionPool[Any]", self.conn)
            async with pool.connection() as conn:
                yield conn
        else:
            async with self.lock:
                yield cast(AsyncConnection[Any], self.conn)

    @asynccontextmanager
    async def _cursor(self) -> AsyncIterator[AsyncCursor[DictRow]]:
        # LangGraph's private helper, which its tests use to edit rows: a
        # dict-row cursor on the store's connection.
        async with self._connection() as conn:
            block = None if conn.autocommit else conn.transaction()
            async with block or nullcontext():
                yield conn.cursor(row_factory=dict_row)

    async def _run(self, plan: _sql.Plan[T], transaction: bool) -> T:
        async with self._connection() as conn:
            block = conn.transaction() if transaction or not conn.autocommit else None
            async with block or nullcontext():
                cursor = conn.cursor(row_factory=tuple_row)
                return await self._drive(cursor, plan)

    async def _drive(self, cursor: AsyncCursor[Any], plan: _sql.Plan[T]) -> T:
        try:
            query = next(plan)
            while True:
                if not query.many:
                    await cursor.execute(query.sql, query.params)
                    if self.pipe is not None:
                        # In pipeline mode a result (and its description)
                        # arrives only at a sync point.
                        await self.pipe.sync()
                    rows = await cursor.fetchall() if cursor.description else []
                elif len(query.params) == 1:  # a lone put: one round trip
                    await cursor.execute(query.sql, query.params[0])
                    rows = []
                else:
                    await cursor.executemany(query.sql, query.params)
                    rows = []
                query = plan.send(rows)
        except StopIteration as stop:
            result: T = stop.value
            return result
