"""``AsyncSqliteStore``: runs the shared store plan over an aiosqlite connection.

This file is the source of ``_sync.py`` (``scripts/unasync.py`` rewrites it):
keep every difference between the two in names the rewrite rules map.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import aiosqlite

from stategraph.store import _plans, _sql
from stategraph.store._ttl import TaskSweeper, sweep_interval
from stategraph.store.base._args import (
    ensure_refresh,
    namespace_text,
)
from stategraph.store.base._batch import AsyncBatchedBaseStore
from stategraph.store.base._records import (
    Item,
    Op,
    Result,
    SearchItem,
    TTLConfig,
)
from stategraph.store.sqlite import _base
from stategraph.store.sqlite._base import SqliteIndexConfig

T = TypeVar("T")


class AsyncSqliteStore(_base.BaseSqliteStore, AsyncBatchedBaseStore):
    """Store kept in a SQLite database, with TTLs and exact vector search.

    Every batch runs in one transaction (``BEGIN IMMEDIATE`` when it writes),
    so a failed batch leaves the database as it was. ``setup()`` creates and
    migrates the tables; it runs on first use, and switches the file to WAL
    mode with ``synchronous=NORMAL``: commits survive a crash of the process
    (no fsync per commit), a power loss may drop the last ones.

    Args:
        conn: The database connection.
        deserializer: Parses a stored value's JSON text (default: orjson).
        index: Vector search settings (``dims``, ``embed``, ``fields``,
            ``distance_type``: ``"cosine"``, ``"l2"`` or ``"inner_product"``).
        ttl: TTL settings (``default_ttl``, ``refresh_on_read``,
            ``omit_expired``, ``sweep_interval_minutes``; minutes).
    """

    _ASYNC_TWIN = _base.ASYNC_TWIN

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        deserializer: Callable[[Any], dict[str, Any]] | None = None,
        index: SqliteIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        super().__init__()
        self.conn = conn
        self.lock = asyncio.Lock()
        self.is_setup = False
        self._dialect = _base.SqliteDialect(deserializer, _base.distance_type(index))
        self._configure(self._dialect, _base.index_fields(index), ttl)
        self._lone_get = _plans.LoneGet(self._cfg)
        self._sweeper = TaskSweeper(lambda: self.sweep_ttl())

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        index: SqliteIndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AsyncSqliteStore]:
        """Open a database file (or ``":memory:"``) and yield a store on it."""
        async with _base.open_async(conn_string) as conn:
            yield cls(conn, index=index, ttl=ttl)

    async def setup(self) -> None:
        """Create or migrate the tables (idempotent; runs on first use)."""
        async with self.lock:
            if self.is_setup:
                return
            await self._execute(_base.PRAGMA_WAL)
            await self._execute(_base.PRAGMA_SYNC)
            cursor = await self.conn.execute(_base.MIGRATIONS_TABLE)
            cursor = await self.conn.execute(_base.APPLIED)
            applied = await cursor.fetchall()
            todo = _base.pending_migrations(applied, self.index_config is not None)
            if todo:
                await self._run(_base.migration_plan(todo), True, True)
            await self.conn.create_function(
                _base.NS_MATCH_FUNCTION, 2, _base.namespace_match, deterministic=True
            )
            if self.index_config is not None:
                name, function = self._dialect.exact_function
                await self.conn.create_function(name, 2, function, deterministic=True)
                await self._load_sqlite_vec()
            self._get_cursor = await self.conn.cursor()
            self.is_setup = True

    async def _load_sqlite_vec(self) -> None:
        # sqlite-vec scores in C when this Python's sqlite3 can load it;
        # otherwise the exact Python function registered above does.
        path = _base.sqlite_vec_path()
        if path is None:
            return
        try:
            await self.conn.enable_load_extension(True)
            try:
                await self.conn.load_extension(path)
            finally:
                await self.conn.enable_load_extension(False)
        except Exception as exc:
            if not _base.is_load_error(exc):
                raise
            return
        self._dialect.use_sqlite_vec()

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
        if not self.is_setup:
            await self.setup()
        async with self.lock:
            plan = _plans.batch_plan(self._cfg, prep, queries, docs, self._now())
            return await self._run(plan, prep.transaction, prep.writes)

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Return the item at ``namespace``/``key``, or ``None`` (one query)."""
        # The hottest call: one statement, no plan generator in between.
        prefix = namespace_text(namespace)  # validates it
        if type(key) is not str:
            key = str(key)
        lone = self._lone_get
        params = (prefix, key) if lone.timeless else lone.params(prefix, key, self._now)
        if not self.is_setup:
            await self.setup()
        lock = self.lock
        await lock.acquire()  # cheaper than a with block, as are the locals
        try:
            # One cursor for every lone get: no cursor object per call.
            cursor = self._get_cursor
            await cursor.execute(lone.sql, params)
            row = await cursor.fetchone()
        finally:
            lock.release()
        if row is None:
            return None
        item = lone.item(namespace, key, row)
        if row[3] is not None and ensure_refresh(
            self.ttl_config, refresh_ttl, self._refresh_on_read_default
        ):
            refresh = lone.refresh(prefix, key, row, self._now)
            if refresh is not None:
                async with self.lock:
                    await self._run(refresh, False, True)
        return item

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
        if not self.is_setup:
            await self.setup()
        async with self.lock:
            return await self._run(plan, False, False)

    async def sweep_ttl(self) -> int:
        """Delete expired items now; return how many were deleted."""
        if not self.is_setup:
            await self.setup()
        async with self.lock:
            return await self._run(
                _plans.sweep_plan(self._cfg, self._now()), True, True
            )

    async def start_ttl_sweeper(
        self, sweep_interval_minutes: int | None = None
    ) -> asyncio.Task[None]:
        """Sweep expired items periodically (default: the TTL config's interval)."""
        interval = sweep_interval(self.ttl_config, sweep_interval_minutes)
        return await self._sweeper.start(interval)

    async def stop_ttl_sweeper(self, timeout: float | None = None) -> bool:
        """Stop the sweeper; return whether it stopped within ``timeout`` seconds."""
        return await self._sweeper.stop(timeout)

    async def _execute(self, sql: str) -> None:
        cursor = await self.conn.execute(sql)
        await cursor.fetchall()

    async def _run(self, plan: _sql.Plan[T], transaction: bool, write: bool) -> T:
        conn = self.conn
        outside = not conn.in_transaction
        own = transaction and outside
        if own:
            await self._execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = await self._drive(plan)
            # Commit our transaction, or one sqlite3 opened implicitly for
            # a connection in its legacy transaction mode.
            if outside and conn.in_transaction:
                await self._execute("COMMIT")
        except BaseException:
            if own and conn.in_transaction:
                await self._execute("ROLLBACK")
            raise
        return result

    async def _execute_many(self, query: _sql.Query) -> None:
        # One row (a lone put) is cheaper as a plain execute.
        if len(query.params) == 1:
            await self.conn.execute(query.sql, query.params[0])
        else:
            await self.conn.executemany(query.sql, query.params)

    async def _drive(self, plan: _sql.Plan[T]) -> T:
        try:
            query = next(plan)
            while True:
                if query.many:
                    await self._execute_many(query)
                    rows: list[Any] = []
                else:
                    cursor = await self.conn.execute(query.sql, query.params)
                    rows = list(await cursor.fetchall())
                query = plan.send(rows)
        except StopIteration as stop:
            result: T = stop.value
            return result
