"""Private names LangGraph's checkpoint and store libraries expose, kept as aliases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
import redis
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from stategraph.cache.redis import RedisCache
from stategraph.checkpoint.postgres import _ainternal, _internal
from stategraph.store.postgres import PostgresStore
from stategraph.store.postgres.aio import AsyncPostgresStore
from stategraph.store.postgres.base import (
    _escape_like_literal,
    _namespace_match_pattern,
)
from stategraph.store.sqlite import SqliteStore
from stategraph.store.sqlite.aio import AsyncSqliteStore


def test_escape_like_literal() -> None:
    assert _escape_like_literal("users.alice") == "users.alice"
    assert _escape_like_literal("user_1") == r"user\_1"
    assert _escape_like_literal("100%") == r"100\%"
    assert _escape_like_literal("a\\b") == "a\\\\b"


def test_namespace_match_pattern() -> None:
    assert _namespace_match_pattern(("foo",), "prefix") == r"^foo(\.|\Z)"
    wild = _namespace_match_pattern(("uid", "*", "alice"), "prefix")
    assert wild == r"^uid\.[^.]+\.alice(\.|\Z)"
    assert re.match(wild, "uid.x.alice.more")
    assert not re.match(wild, "uid.x.y.alice")
    suffix = _namespace_match_pattern(("alice",), "suffix")
    assert suffix == r"(^|\.)alice\Z"
    assert re.search(suffix, "users.alice")
    assert not re.search(suffix, "users.alice\n")
    literal = _namespace_match_pattern(("a.b+c",), "prefix")
    assert re.match(literal, "a.b+c.child")
    assert not re.match(literal, "axbbbc")


def test_redis_cache_make_key() -> None:
    cache: RedisCache[Any] = RedisCache(redis.Redis(), prefix="p:")
    assert cache._make_key(("graph", "node"), "key") == "p:graph:node:key"
    assert cache._make_key((), "key") == "p:key"
    assert cache._make_key(("a:b",), "c") == "p:a%3Ab:c"  # stricter than LangGraph


def test_store_migrations_are_the_schema_statements() -> None:
    for store in (SqliteStore, AsyncSqliteStore, PostgresStore, AsyncPostgresStore):
        statements = store.MIGRATIONS
        assert statements, store
        assert all(re.match(r"\s*(CREATE|INSERT) ", s) for s in statements), store
    assert any(
        "CREATE TABLE IF NOT EXISTS store " in s for s in PostgresStore.MIGRATIONS
    )


@asynccontextmanager
async def pg_store(mode: str, conninfo: str) -> AsyncIterator[Any]:
    if mode == "sync":
        with PostgresStore.from_conn_string(conninfo) as store:
            store.setup()
            yield store
    else:
        async with AsyncPostgresStore.from_conn_string(conninfo) as astore:
            await astore.setup()
            yield astore


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_postgres_store_cursor_reads_dict_rows(
    mode: str, schemas: Callable[[], str]
) -> None:
    async with pg_store(mode, schemas()) as store:
        sql = "SELECT COUNT(*) AS n FROM store"
        if mode == "sync":
            store.put(("a",), "k", {"v": 1})
            with store._cursor() as cur:
                cur.execute(sql)
                row = cur.fetchone()
        else:
            await store.aput(("a",), "k", {"v": 1})
            async with store._cursor() as cur:
                await cur.execute(sql)
                row = await cur.fetchone()
        assert row == {"n": 1}


@pytest.mark.asyncio
async def test_postgres_get_connection_helpers(schemas: Callable[[], str]) -> None:
    conninfo = schemas()
    with psycopg.connect(conninfo) as conn, _internal.get_connection(conn) as got:
        assert got is conn
    with (
        ConnectionPool(conninfo, min_size=1, max_size=1, open=True) as pool,
        _internal.get_connection(pool) as got,
    ):
        assert got.execute("SELECT 1").fetchone() == (1,)
    aconn = await psycopg.AsyncConnection.connect(conninfo)
    async with aconn, _ainternal.get_connection(aconn) as agot:
        assert agot is aconn
    async with (
        AsyncConnectionPool(conninfo, min_size=1, max_size=1) as apool,
        _ainternal.get_connection(apool) as agot,
    ):
        cursor = await agot.execute("SELECT 1")
        assert await cursor.fetchone() == (1,)
    bad: Any = "nope"
    with pytest.raises(TypeError, match=r"^Invalid connection type"):  # noqa: SIM117
        with _internal.get_connection(bad):
            pass
    with pytest.raises(TypeError, match=r"^Invalid connection type"):
        async with _ainternal.get_connection(bad):
            pass


def test_sqlite_store_base_class_and_glob_escaping() -> None:
    from stategraph.store.sqlite.base import BaseSqliteStore, _escape_glob_literal

    assert issubclass(SqliteStore, BaseSqliteStore)
    assert issubclass(AsyncSqliteStore, BaseSqliteStore)
    assert not issubclass(PostgresStore, BaseSqliteStore)
    assert _escape_glob_literal("user_1%") == "user_1%"
    assert _escape_glob_literal("a*b?c[d]") == "a[*]b[?]c[[]d]"


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_sqlite_store_registers_the_namespace_match_function(mode: str) -> None:
    from stategraph.store.sqlite.base import NS_MATCH_FUNCTION

    sql = f"SELECT {NS_MATCH_FUNCTION}(?, ?), {NS_MATCH_FUNCTION}(?, ?)"
    pattern = _namespace_match_pattern(("uid", "*", "alice"), "prefix")
    params = ("uid.x.alice.notes", pattern, "uid.alice", pattern)
    if mode == "sync":
        with SqliteStore.from_conn_string(":memory:") as store:
            store.setup()
            row = store.conn.execute(sql, params).fetchone()
    else:
        async with AsyncSqliteStore.from_conn_string(":memory:") as astore:
            await astore.setup()
            cursor = await astore.conn.execute(sql, params)
            row = await cursor.fetchone()
    assert tuple(row) == (1, 0)
