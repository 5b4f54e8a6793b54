"""PostgreSQL vector search through pgvector's ANN indexes.

The search orders by the distance operator with a ``LIMIT`` (``_ann``), so
the planner can answer it from an HNSW or IVFFlat index: checked with
``EXPLAIN`` on a table big enough for the planner to prefer the index. The
page it builds (duplicates of multi-field items dropped, items without
vectors last, offsets across both) is checked against the exact ``real[]``
fallback, which scores every vector.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, nullcontext
from typing import Any

import psycopg
import pytest
from _backends import _no_pgvector

from stategraph.store.base import PutOp
from stategraph.store.postgres import AsyncPostgresStore, PostgresStore, _pgvector

DIMS = 8


def embed(texts: Any) -> list[list[float]]:
    return [_vector(random.Random(text)) for text in texts]


def _vector(rng: random.Random) -> list[float]:
    return [rng.uniform(-1, 1) for _ in range(DIMS)]


def _score(distance: str, a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    if distance == "inner_product":
        return dot
    if distance == "l2":
        return -math.dist(a, b)
    return dot / (math.hypot(*a) * math.hypot(*b))


def _recorded(store: PostgresStore, sqls: list[tuple[str, Any]]) -> None:
    """Record every statement the store runs (its plans' ``Query`` effects)."""
    drive = store._drive

    def recording(cursor: Any, plan: Any) -> Any:
        def spy() -> Any:
            query = next(plan)
            while True:
                sqls.append((query.sql, query.params))
                rows = yield query
                try:
                    query = plan.send(rows)
                except StopIteration as stop:
                    return stop.value

        return drive(cursor, spy())

    store._drive = recording  # type: ignore[method-assign]


@pytest.mark.parametrize("distance", ["cosine", "l2", "inner_product"])
@pytest.mark.parametrize(
    "ann",
    [{"kind": "hnsw"}, {"kind": "ivfflat", "nlist": 1}],
    ids=["hnsw", "ivfflat"],
)
def test_vector_search_is_answered_by_the_ann_index(
    ann: dict[str, Any], distance: str, schemas: Any, pgvector: str
) -> None:
    index: Any = {
        "dims": DIMS,
        "embed": embed,
        "fields": ["text"],
        "ann_index_config": ann,
        "distance_type": distance,
    }
    rng = random.Random(7)
    texts = [f"t{i}" for i in range(2000)]
    with PostgresStore.from_conn_string(schemas(), index=index) as store:
        store.setup()
        store.batch(
            [PutOp(("docs", str(i % 4)), t, {"text": t}) for i, t in enumerate(texts)]
        )
        with store._connection() as conn:
            conn.execute("ANALYZE store")
            conn.execute("ANALYZE store_vectors")
        sqls: list[tuple[str, Any]] = []
        _recorded(store, sqls)
        query = f"q{rng.random()}"
        found = store.search(("docs",), query=query, limit=10)
        [(sql, params)] = [q for q in sqls if "ORDER BY distance" in q[0]]
        with store._connection() as conn:
            explained = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = json.dumps(explained.fetchall()[0][0])
    assert '"Index Name": "store_vectors_embedding_idx"' in plan, plan
    # The ANN answer is (nearly) the exact one, with LangGraph's scores.
    q = embed([query])[0]
    exact = sorted(texts, key=lambda t: -_score(distance, embed([t])[0], q))[:10]
    assert len(found) == 10
    assert len({it.key for it in found} & set(exact)) >= 8
    for item in found:
        want = _score(distance, embed([item.key])[0], q)
        assert item.score == pytest.approx(want, abs=1e-5)
    assert [it.score for it in found] == sorted(
        (it.score for it in found), reverse=True
    )


async def call(store: Any, mode: str, name: str, *args: Any, **kw: Any) -> Any:
    if mode == "async":
        return await getattr(store, "a" + name)(*args, **kw)
    return await asyncio.to_thread(getattr(store, name), *args, **kw)


@asynccontextmanager
async def _store(
    mode: str, conninfo: str, index: Any, pgvector: bool
) -> AsyncIterator[Any]:
    async with AsyncExitStack() as stack:
        if mode == "sync":
            store: Any = stack.enter_context(
                PostgresStore.from_conn_string(conninfo, index=index)
            )
            with nullcontext() if pgvector else _no_pgvector():
                store.setup()
        else:
            store = await stack.enter_async_context(
                AsyncPostgresStore.from_conn_string(conninfo, index=index)
            )
            with nullcontext() if pgvector else _no_pgvector():
                await store.setup()
        assert store._dialect.ann is pgvector
        yield store


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("distance", ["cosine", "l2", "inner_product"])
async def test_ann_pages_match_the_exact_search(
    mode: str, distance: str, schemas: Any, pgvector: str
) -> None:
    # Many vectors per item (one per tag): the candidate LIMIT must grow
    # until enough distinct items are found; some items have no vectors.
    index: Any = {
        "dims": DIMS,
        "embed": embed,
        "fields": ["tags[*]"],
        "distance_type": distance,
    }
    async with (
        _store(mode, schemas(), index, True) as ann,
        _store(mode, schemas(), index, False) as exact,
    ):
        rng = random.Random(3)
        for i in range(30):
            tags = [f"w{rng.randrange(50)}" for _ in range(6)]
            value = {"tags": tags, "kind": "xy"[i % 2]}
            ns = ("n", str(i % 3))
            for store in (ann, exact):
                await call(
                    store,
                    mode,
                    "put",
                    ns,
                    f"k{i}",
                    value,
                    index=None if i % 5 else False,
                )
        checked = unindexed = 0
        for offset, limit in [(0, 3), (2, 5), (20, 10), (28, 5), (40, 5)]:
            for prefix, flt in [
                (("n",), None),
                (("n", "1"), None),
                (("n",), {"kind": "x"}),
            ]:
                kw = {"query": "w7", "offset": offset, "limit": limit, "filter": flt}
                got = await call(ann, mode, "search", prefix, **kw)
                want = await call(exact, mode, "search", prefix, **kw)
                assert [it.key for it in got] == [it.key for it in want], kw
                for x, y in zip(got, want, strict=True):
                    assert (x.score is None) is (y.score is None)
                    if x.score is not None:
                        assert x.score == pytest.approx(y.score, abs=1e-5)
                checked += len(got)
                unindexed += sum(it.score is None for it in got)
        # Pages of both kinds, and across the boundary between them.
        assert checked > 30
        assert unindexed > 5


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    "ann",
    [{"kind": "hnsw"}, {"kind": "ivfflat", "nlist": 20}],
    ids=["hnsw", "ivfflat"],
)
async def test_filtered_ann_search_fills_its_page_by_iterative_scan(
    ann: dict[str, Any], mode: str, schemas: Any, pgvector: str
) -> None:
    # One item in 50 passes the filter: the first index candidates
    # (hnsw.ef_search = 40, or one IVFFlat list of 20) hold about one.
    index: Any = {
        "dims": DIMS,
        "embed": embed,
        "fields": ["text"],
        "ann_index_config": ann,
    }
    conninfo = schemas()
    texts = [f"t{i}" for i in range(2000)]
    rare = {t for i, t in enumerate(texts) if i % 50 == 0}
    async with _store(mode, conninfo, index, True) as store:
        assert store._dialect.space.iterative  # pgvector 0.8 here
        ops = [
            PutOp(("docs", str(i % 4)), t, {"text": t, "rare": t in rare})
            for i, t in enumerate(texts)
        ]
        await call(store, mode, "batch", ops)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("ANALYZE store")
            conn.execute("ANALYZE store_vectors")
        kw: Any = {"query": "q", "filter": {"rare": True}, "limit": 10}
        found = await call(store, mode, "search", ("docs",), **kw)
        q = embed(["q"])[0]
        exact = sorted(rare, key=lambda t: -_score("cosine", embed([t])[0], q))
        assert len(found) == 10
        assert {it.key for it in found} <= rare
        scores = [it.score for it in found]
        assert scores == sorted(scores, reverse=True)
        if ann["kind"] == "hnsw":
            # HNSW scans in distance order (strict_order); IVFFlat's relaxed
            # order over lists trained on an empty table promises no recall.
            assert len({it.key for it in found} & set(exact[:10])) >= 8
        # The setting lasted for the search's transaction only.
        assert await _session_setting(store, mode, "hnsw.iterative_scan") == "off"
        # Without iterative scans (pgvector before 0.8, or LangGraph's
        # store) the filter leaves the page short.
        space = store._dialect.space
        store._dialect.use_pgvector(dataclasses.replace(space, iterative=False))
        assert len(await call(store, mode, "search", ("docs",), **kw)) < 10


async def _session_setting(store: Any, mode: str, name: str) -> str:
    sql = "SELECT current_setting(%s)"
    if mode == "sync":
        with store._connection() as conn:
            return str(conn.execute(sql, (name,)).fetchone()[0])
    async with store._connection() as conn:
        row = await (await conn.execute(sql, (name,))).fetchone()
        return str(row[0])


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.7.4", False), ("0.8.0", True), ("0.8.1", True), ("1.0", True)],
)
def test_iterative_scan_needs_pgvector_0_8(version: str, expected: bool) -> None:
    assert _pgvector.has_iterative_scan(version) is expected
