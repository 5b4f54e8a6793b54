"""Store factories for the store tests: every bundled backend.

Each factory takes ``index=`` and ``ttl=`` and returns a store or a context
manager of one; PostgreSQL stores get a fresh schema per store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest

from stategraph.store.memory import InMemoryStore
from stategraph.store.postgres import AsyncPostgresStore, PostgresStore
from stategraph.store.sqlite import SqliteStore
from stategraph.store.sqlite.aio import AsyncSqliteStore

SQL_FEATURES = frozenset({"ttl", "vector", "clock", "recency", "json"})


def memory(**kw: Any) -> InMemoryStore:
    return InMemoryStore(index=kw.get("index"))


@contextmanager
def sqlite(**kw: Any) -> Iterator[SqliteStore]:
    with SqliteStore.from_conn_string(":memory:", **kw) as store:
        yield store


@asynccontextmanager
async def async_sqlite(**kw: Any) -> AsyncIterator[AsyncSqliteStore]:
    async with AsyncSqliteStore.from_conn_string(":memory:", **kw) as store:
        yield store


def postgres(schemas: Callable[[], str], **extra: Any) -> Callable[..., Any]:
    @contextmanager
    def make(**kw: Any) -> Iterator[PostgresStore]:
        with PostgresStore.from_conn_string(schemas(), **extra, **kw) as store:
            store.setup()
            yield store

    return make


def async_postgres(schemas: Callable[[], str], **extra: Any) -> Callable[..., Any]:
    @asynccontextmanager
    async def make(**kw: Any) -> AsyncIterator[AsyncPostgresStore]:
        async with AsyncPostgresStore.from_conn_string(
            schemas(), **extra, **kw
        ) as store:
            await store.setup()
            yield store

    return make


BOTH = ("sync", "async")
# name -> (features, API modes); SqliteStore has no async API (as in LangGraph).
BACKENDS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "memory": (frozenset({"no_ttl", "vector"}), BOTH),
    "sqlite": (SQL_FEATURES, ("sync",)),
    "async_sqlite": (SQL_FEATURES, BOTH),
    "postgres": (SQL_FEATURES, BOTH),
    "async_postgres": (SQL_FEATURES, BOTH),
    # Connection handling variants: a pipeline, a pool.
    "postgres_pipeline": (SQL_FEATURES, ("sync",)),
    "async_postgres_pool": (SQL_FEATURES, ("async",)),
}


def factory(name: str, request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Return the store factory of a backend (PostgreSQL ones get schemas)."""
    simple = {"memory": memory, "sqlite": sqlite, "async_sqlite": async_sqlite}
    if name in simple:
        return simple[name]
    schemas = request.getfixturevalue("schemas")
    makers = {
        "postgres": postgres(schemas),
        "async_postgres": async_postgres(schemas),
        "postgres_pipeline": postgres(schemas, pipeline=True),
        "async_postgres_pool": async_postgres(schemas, pool_config={"max_size": 2}),
    }
    return makers[name]
