"""Vector search on each engine, against LangGraph's SQL stores.

SQLite: ours with sqlite-vec (a ``pysqlite3`` connection, whose SQLite loads
extensions) and with the exact fallback (``sg_cosine``), against LangGraph's
``SqliteStore`` on sqlite-vec. LangGraph's SQL stores leave items without
vectors out of a query search (ours rank them last, as its in-memory store
does), so these scripts index every item.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiosqlite
import pytest
from _backends import _no_sqlite_vec, vec_connect
from langgraph.store.sqlite import (
    AsyncSqliteStore as LGAsyncSqlite,
    SqliteStore as LGSqlite,
)

from stategraph.store.sqlite import AsyncSqliteStore, SqliteStore

WORDS = ["apple", "banana", "cherry", "date", "elder", "fig", "grape", "kiwi"]


def embed(texts: Any) -> list[list[float]]:
    # Distinct, seeded vectors per text: no ties between different texts.
    return [_vector(random.Random(text)) for text in texts]


def _vector(rng: random.Random) -> list[float]:
    return [rng.uniform(-1, 1) for _ in range(8)]


# LangGraph 1.2's SqliteStore reads the fields to embed from "text_fields"
# (and ignores the documented "fields", embedding whole values); ours reads
# "fields", as every LangGraph store documents and its PostgresStore does.
INDEX: Any = {"dims": 8, "embed": embed, "fields": ["text"], "text_fields": ["text"]}
QUERIES: list[dict[str, Any]] = [
    {},
    {"limit": 3, "offset": 2},
    {"filter": {"n": {"$gt": 5}}},
    {"filter": {"kind": "x"}, "limit": 4},
]


async def call(store: Any, mode: str, name: str, *args: Any, **kw: Any) -> Any:
    if mode == "async":
        return await getattr(store, "a" + name)(*args, **kw)
    return await asyncio.to_thread(getattr(store, name), *args, **kw)


async def compare(theirs: Any, ours: Any, mode: str, seed: int) -> int:
    """Run one seeded script on both stores; return how many searches matched."""
    rng = random.Random(seed)
    for i in range(20):
        value = {"text": rng.choice(WORDS) + str(i), "n": i, "kind": rng.choice("xy")}
        ns = ("v", str(i % 3))
        for store in (theirs, ours):
            await call(store, mode, "put", ns, f"k{i}", value)
    checked = 0
    for query in WORDS:
        for prefix in (("v",), ("v", "1")):
            for kw in QUERIES:
                lg = await call(theirs, mode, "search", prefix, query=query, **kw)
                sg = await call(ours, mode, "search", prefix, query=query, **kw)
                assert [it.key for it in sg] == [it.key for it in lg], (query, kw)
                for x, y in zip(sg, lg, strict=True):
                    assert x.value == y.value
                    assert abs(x.score - y.score) < 1e-5, (x.score, y.score)
                checked += 1
    return checked


@asynccontextmanager
async def sqlite_pair(mode: str, sqlite_vec: bool) -> AsyncIterator[tuple[Any, Any]]:
    async with AsyncExitStack() as stack:
        if mode == "sync":
            theirs: Any = LGSqlite(
                stack.enter_context(_closing(vec_connect())), index=INDEX
            )
            conn = stack.enter_context(_closing(vec_connect()))
            ours: Any = SqliteStore(conn, index=INDEX)
            theirs.setup()
            if sqlite_vec:
                ours.setup()
            else:
                with _no_sqlite_vec():
                    ours.setup()
        else:
            lg_conn = aiosqlite.Connection(vec_connect, iter_chunk_size=64)
            sg_conn = aiosqlite.Connection(vec_connect, iter_chunk_size=64)
            theirs = LGAsyncSqlite(
                await stack.enter_async_context(lg_conn), index=INDEX
            )
            ours = AsyncSqliteStore(
                await stack.enter_async_context(sg_conn), index=INDEX
            )
            await theirs.setup()
            if sqlite_vec:
                await ours.setup()
            else:
                with _no_sqlite_vec():
                    await ours.setup()
        assert ours._dialect.sqlite_vec is sqlite_vec
        yield theirs, ours


class _closing:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def __enter__(self) -> Any:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("path", ["sqlite_vec", "fallback"])
async def test_sqlite_vector_search_matches_langgraph(
    path: str, mode: str, seed: int
) -> None:
    async with sqlite_pair(mode, path == "sqlite_vec") as (theirs, ours):
        assert await compare(theirs, ours, mode, seed) == len(WORDS) * 2 * len(QUERIES)
