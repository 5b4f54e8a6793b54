"""Store factories for the store tests: every bundled backend.

Each factory takes ``index=`` and ``ttl=`` and returns a store or a context
manager of one; PostgreSQL stores get a fresh schema per store. Vector
search runs on each engine: SQLite with sqlite-vec and with its exact
fallback, PostgreSQL with pgvector and with its exact fallback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, nullcontext
from typing import Any
from unittest import mock

import aiosqlite
import pytest

from stategraph.store.memory import InMemoryStore
from stategraph.store.postgres import (
    AsyncPostgresStore,
    PostgresStore,
    _base as _pg_base,
)
from stategraph.store.sqlite import SqliteStore, _base
from stategraph.store.sqlite.aio import AsyncSqliteStore

SQL_FEATURES = frozenset({"ttl", "vector", "clock", "recency", "json"})


def memory(**kw: Any) -> InMemoryStore:
    return InMemoryStore(index=kw.get("index"))


@contextmanager
def _no_sqlite_vec() -> Iterator[None]:
    # The exact fallback, even where this Python's sqlite3 could load sqlite-vec.
    with mock.patch.object(_base, "sqlite_vec_path", return_value=None):
        yield


def _check_path(store: Any, sqlite_vec: bool) -> None:
    if store.index_config is not None:
        assert store._dialect.sqlite_vec is sqlite_vec, "wrong vector path"


@contextmanager
def sqlite(**kw: Any) -> Iterator[SqliteStore]:
    """SqliteStore with the exact in-database fallback (``sg_cosine``)."""
    with SqliteStore.from_conn_string(":memory:", **kw) as store:
        with _no_sqlite_vec():
            store.setup()
        _check_path(store, False)
        yield store


@asynccontextmanager
async def async_sqlite(**kw: Any) -> AsyncIterator[AsyncSqliteStore]:
    async with AsyncSqliteStore.from_conn_string(":memory:", **kw) as store:
        with _no_sqlite_vec():
            await store.setup()
        _check_path(store, False)
        yield store


def vec_connect(path: str = ":memory:") -> Any:
    """A connection of pysqlite3, whose SQLite can load extensions (sqlite-vec).

    This machine's Python has a ``sqlite3`` built without extension loading;
    ``pysqlite3-binary`` (a dev dependency) bundles a SQLite that has it.
    """
    from pysqlite3 import dbapi2

    return dbapi2.connect(path, isolation_level=None, check_same_thread=False)


@contextmanager
def sqlite_vec(**kw: Any) -> Iterator[SqliteStore]:
    """SqliteStore scoring with sqlite-vec's ``vec_distance_cosine``."""
    conn = vec_connect()
    try:
        store = SqliteStore(conn, **kw)
        store.setup()
        _check_path(store, True)
        yield store
    finally:
        conn.close()


@asynccontextmanager
async def async_sqlite_vec(**kw: Any) -> AsyncIterator[AsyncSqliteStore]:
    async with aiosqlite.Connection(vec_connect, iter_chunk_size=64) as conn:
        store = AsyncSqliteStore(conn, **kw)
        await store.setup()
        _check_path(store, True)
        yield store


@contextmanager
def _no_pgvector() -> Iterator[None]:
    # The exact real[] fallback, on a server that has pgvector.
    with mock.patch.object(_pg_base, "HAS_PGVECTOR", "SELECT 1 WHERE false"):
        yield


def _check_pgvector(store: Any, pgvector: bool) -> None:
    if store.index_config is not None:
        assert store._dialect.pgvector is pgvector, "wrong vector path"


def postgres(
    schemas: Callable[[], str], pgvector: bool = True, **extra: Any
) -> Callable[..., Any]:
    @contextmanager
    def make(**kw: Any) -> Iterator[PostgresStore]:
        with PostgresStore.from_conn_string(schemas(), **extra, **kw) as store:
            with nullcontext() if pgvector else _no_pgvector():
                store.setup()
            _check_pgvector(store, pgvector)
            yield store

    return make


def async_postgres(
    schemas: Callable[[], str], pgvector: bool = True, **extra: Any
) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(**kw: Any) -> AsyncIterator[AsyncPostgresStore]:
        async with AsyncPostgresStore.from_conn_string(
            schemas(), **extra, **kw
        ) as store:
            with nullcontext() if pgvector else _no_pgvector():
                await store.setup()
            _check_pgvector(store, pgvector)
            yield store

    return make


BOTH = ("sync", "async")
# name -> (features, API modes); SqliteStore has no async API (as in LangGraph).
BACKENDS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "memory": (frozenset({"no_ttl", "vector"}), BOTH),
    "sqlite": (SQL_FEATURES, ("sync",)),
    "async_sqlite": (SQL_FEATURES, BOTH),
    "sqlite_vec": (SQL_FEATURES, ("sync",)),
    "async_sqlite_vec": (SQL_FEATURES, BOTH),
    "postgres": (SQL_FEATURES, BOTH),
    "async_postgres": (SQL_FEATURES, BOTH),
    # Without pgvector: embeddings in real[], the exact in-database cosine.
    "postgres_exact": (SQL_FEATURES, ("sync",)),
    "async_postgres_exact": (SQL_FEATURES, BOTH),
    # Connection handling variants: a pipeline, a pool.
    "postgres_pipeline": (SQL_FEATURES, ("sync",)),
    "async_postgres_pool": (SQL_FEATURES, ("async",)),
}


def factory(name: str, request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Return the store factory of a backend (PostgreSQL ones get schemas)."""
    simple = {
        "memory": memory,
        "sqlite": sqlite,
        "async_sqlite": async_sqlite,
        "sqlite_vec": sqlite_vec,
        "async_sqlite_vec": async_sqlite_vec,
    }
    if name in simple:
        return simple[name]
    schemas = request.getfixturevalue("schemas")
    request.getfixturevalue("pgvector")
    makers = {
        "postgres": postgres(schemas),
        "async_postgres": async_postgres(schemas),
        "postgres_exact": postgres(schemas, pgvector=False),
        "async_postgres_exact": async_postgres(schemas, pgvector=False),
        "postgres_pipeline": postgres(schemas, pipeline=True),
        "async_postgres_pool": async_postgres(schemas, pool_config={"max_size": 2}),
    }
    return makers[name]
