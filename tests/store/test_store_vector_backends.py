"""Vector search on each engine, against LangGraph's SQL stores.

SQLite: ours with sqlite-vec (a ``pysqlite3`` connection, whose SQLite loads
extensions) and with the exact fallback (``sg_cosine``), against LangGraph's
``SqliteStore`` on sqlite-vec. PostgreSQL: ours with pgvector (HNSW and
IVFFlat indexes as LangGraph builds them) and with the exact ``real[]``
fallback, against LangGraph's ``PostgresStore`` on pgvector. LangGraph's SQL
stores leave items without vectors out of a query search (ours rank them
last, as its in-memory store does), so these scripts index every item.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from typing import Any

import aiosqlite
import pytest
from _backends import _no_pgvector, _no_sqlite_vec, vec_connect
from langgraph.store.postgres import (
    AsyncPostgresStore as LGAsyncPostgres,
    PostgresStore as LGPostgres,
)
from langgraph.store.sqlite import (
    AsyncSqliteStore as LGAsyncSqlite,
    SqliteStore as LGSqlite,
)
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from stategraph.store.postgres import (
    AsyncPostgresStore,
    PostgresStore,
    _base as _pg_base,
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
    # Not $gt on numbers: LangGraph's PostgresStore compares them as text.
    {"filter": {"kind": {"$ne": "x"}}, "offset": 1},
    {"filter": {"n": 7}},
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
async def sqlite_pair(
    mode: str, sqlite_vec: bool, index: Any = INDEX
) -> AsyncIterator[tuple[Any, Any]]:
    async with AsyncExitStack() as stack:
        if mode == "sync":
            theirs: Any = LGSqlite(
                stack.enter_context(_closing(vec_connect())), index=INDEX
            )
            conn = stack.enter_context(_closing(vec_connect()))
            ours: Any = SqliteStore(conn, index=index)
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
                await stack.enter_async_context(sg_conn), index=index
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


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("distance", ["cosine", "l2", "inner_product"])
@pytest.mark.parametrize("path", ["sqlite_vec", "fallback"])
async def test_sqlite_distance_types_match_langgraph_postgres(
    path: str, distance: str, mode: str, schemas: Any, pgvector: str
) -> None:
    # LangGraph's SqliteStore orders l2 by distance descending and scores the
    # inner product as an L1 distance; its PostgresStore (pgvector) is the
    # reference for what each distance type means.
    index = {**INDEX, "distance_type": distance}
    pg = postgres_pair(mode, True, schemas, ANN["hnsw"], distance)
    async with (
        pg as (theirs, _),
        sqlite_pair(mode, path == "sqlite_vec", index) as (
            _,
            ours,
        ),
    ):
        assert ours._dialect.distance == distance
        assert await compare(theirs, ours, mode, 1) == len(WORDS) * 2 * len(QUERIES)


@pytest.mark.asyncio
@pytest.mark.parametrize("store", [SqliteStore, AsyncSqliteStore])
async def test_sqlite_refuses_an_unknown_distance_type(store: Any) -> None:
    with pytest.raises(ValueError, match="Invalid distance_type: 'hamming'"):
        store(None, index={**INDEX, "distance_type": "hamming"})


def _with_public(conninfo: str) -> str:
    # LangGraph's PostgresStore names pgvector's type unqualified: its
    # search_path must hold the schema pgvector is installed in.
    params = conninfo_to_dict(conninfo)
    schema = str(params["options"]).rsplit("=", 1)[1]
    params["options"] = f"-c search_path={schema},public"
    return make_conninfo(**params)  # type: ignore[arg-type]


@asynccontextmanager
async def postgres_pair(
    mode: str,
    pgvector: bool,
    schemas: Any,
    ann: dict[str, Any],
    distance: str = "cosine",
) -> AsyncIterator[tuple[Any, Any]]:
    index = {**INDEX, "ann_index_config": ann, "distance_type": distance}
    async with AsyncExitStack() as stack:
        if mode == "sync":
            theirs: Any = stack.enter_context(
                LGPostgres.from_conn_string(_with_public(schemas()), index=index)
            )
            ours: Any = stack.enter_context(
                PostgresStore.from_conn_string(schemas(), index=index)
            )
            theirs.setup()
            with nullcontext() if pgvector else _no_pgvector():
                ours.setup()
        else:
            theirs = await stack.enter_async_context(
                LGAsyncPostgres.from_conn_string(_with_public(schemas()), index=index)
            )
            ours = await stack.enter_async_context(
                AsyncPostgresStore.from_conn_string(schemas(), index=index)
            )
            await theirs.setup()
            with nullcontext() if pgvector else _no_pgvector():
                await ours.setup()
        assert ours._dialect.pgvector is pgvector
        yield theirs, ours


ANN = {
    "hnsw": {"kind": "hnsw", "m": 8, "ef_construction": 32},
    "ivfflat": {"kind": "ivfflat", "nlist": 1},
    "halfvec": {"kind": "hnsw", "vector_type": "halfvec"},
}


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("distance", ["cosine", "l2", "inner_product"])
@pytest.mark.parametrize(
    ("path", "ann"),
    [("pgvector", "hnsw"), ("pgvector", "ivfflat"), ("exact", "hnsw")],
)
async def test_postgres_vector_search_matches_langgraph(
    path: str, ann: str, distance: str, mode: str, schemas: Any, pgvector: str
) -> None:
    pair = postgres_pair(mode, path == "pgvector", schemas, ANN[ann], distance)
    async with pair as (theirs, ours):
        assert await compare(theirs, ours, mode, 0) == len(WORDS) * 2 * len(QUERIES)
        if path == "pgvector" and mode == "sync":
            # The index was built with the operator class of the distance
            # (pg_indexes leaves out vector_l2_ops, the type's default).
            made, _ = _index_of(ours)
            assert made is not None
            for name, ops in [("cosine", "cosine"), ("inner_product", "ip")]:
                assert (f"vector_{ops}_ops" in made) is (name == distance)


def _index_of(store: Any) -> tuple[str | None, str]:
    with store._connection() as conn:
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'store_vectors'"
            " AND indexname = 'store_vectors_embedding_idx'"
            " AND schemaname = current_schema()"
        ).fetchone()
        column = conn.execute(_pg_base.VECTOR_COLUMN).fetchone()
    return (index[0] if index else None), column[0]


@pytest.mark.parametrize(
    ("ann", "index_def", "column"),
    [
        ({}, 'USING hnsw (embedding "public".vector_cosine_ops)', "vector(8)"),
        (ANN["hnsw"], "vector_cosine_ops) WITH (m='8', ef_construction='32')", None),
        (ANN["ivfflat"], "USING ivfflat (embedding", None),
        (ANN["halfvec"], "halfvec_cosine_ops", "halfvec(8)"),
        ({"kind": "flat"}, None, "vector(8)"),
    ],
)
def test_pgvector_index_as_langgraph_configures_it(
    ann: dict[str, Any],
    index_def: str | None,
    column: str | None,
    schemas: Any,
    pgvector: str,
) -> None:
    index = {**INDEX, "ann_index_config": ann}
    with PostgresStore.from_conn_string(schemas(), index=index) as store:
        store.setup()
        store.setup()  # idempotent
        made, type_ = _index_of(store)
        store.put(("v",), "a", {"text": "apple"})
        assert store.search(("v",), query="apple")[0].score == pytest.approx(1.0)
    if index_def is None:
        assert made is None
    else:
        assert made is not None
        assert index_def.replace('"public"', pgvector) in made
    if column is not None:
        assert type_.endswith(column)


@pytest.mark.parametrize(
    ("ann", "message"),
    [
        ({"kind": "diskann"}, "Invalid index kind"),
        ({"vector_type": "bit"}, "Invalid vector_type"),
        ({"kind": "hnsw", "m": 0}, "positive integer"),
    ],
)
def test_bad_ann_index_config_is_refused(ann: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PostgresStore(None, index={**INDEX, "ann_index_config": ann})  # type: ignore[arg-type]
