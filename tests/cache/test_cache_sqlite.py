from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.cache.sqlite import SqliteCache as LangGraphSqliteCache

from stategraph.cache.base import FullKey, Namespace
from stategraph.cache.sqlite import SqliteCache
from stategraph.checkpoint.serde.jsonplus import (
    DeserializationError,
    JsonPlusSerializer,
    UnserializableValueError,
)
from stategraph.graph import START, StateGraph
from stategraph.types import CachePolicy


@dataclasses.dataclass
class Result:
    value: Any


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1_000_000.0]
    monkeypatch.setattr("stategraph.cache.sqlite.time.time", lambda: now[0])
    return now


@pytest.fixture
def cache() -> Iterator[SqliteCache[Any]]:
    with SqliteCache(path=":memory:") as opened:
        yield opened


def test_set_get_and_missing_keys(cache: SqliteCache[Any]) -> None:
    cache.set({(("a",), "k1"): ({"x": 1}, None), (("a", "b"), "k2"): ([1, 2], 10)})
    got = cache.get(
        [(("a",), "k1"), (("a", "b"), "k2"), (("a",), "nope"), (("z",), "k1")]
    )
    assert got == {(("a",), "k1"): {"x": 1}, (("a", "b"), "k2"): [1, 2]}
    assert cache.get([]) == {}
    cache.set({})


def test_namespaces_are_exact(cache: SqliteCache[Any]) -> None:
    # LangGraph joins namespace parts with "," so these two would collide.
    cache.set({(("a,b",), "k"): (1, None), (("a", "b"), "k"): (2, None)})
    cache.set({((), "k"): (3, None)})
    got = cache.get([(("a,b",), "k"), (("a", "b"), "k"), ((), "k")])
    assert got == {(("a,b",), "k"): 1, (("a", "b"), "k"): 2, ((), "k"): 3}
    assert cache.get([(["a", "b"], "k")]) == {(("a", "b"), "k"): 2}  # type: ignore[list-item]


def test_ttl_expiry_deletes_entries(
    cache: SqliteCache[Any], clock: list[float]
) -> None:
    cache.set({(("n",), "short"): ("s", 5), (("n",), "forever"): ("f", None)})
    clock[0] += 4.9
    assert cache.get([(("n",), "short")]) == {(("n",), "short"): "s"}
    clock[0] += 0.2
    assert cache.get([(("n",), "short"), (("n",), "forever")]) == {
        (("n",), "forever"): "f"
    }
    assert cache._conn.execute("SELECT COUNT(*) FROM sg_cache").fetchone() == (1,)
    cache.set({(("n",), "zero"): ("z", 0)})
    assert cache.get([(("n",), "zero")]) == {}


def test_clear(cache: SqliteCache[Any]) -> None:
    cache.set(
        {(("a",), "1"): (1, None), (("b",), "2"): (2, None), (("c",), "3"): (3, None)}
    )
    cache.clear([("a",), ("b",)])
    assert cache.get([(("a",), "1"), (("b",), "2"), (("c",), "3")]) == {
        (("c",), "3"): 3
    }
    cache.clear()
    assert cache.get([(("c",), "3")]) == {}


def test_values_are_copies_and_types_roundtrip(cache: SqliteCache[Any]) -> None:
    value = {"items": [1, 2], "result": Result(value={1, 2})}
    cache.set({(("n",), "k"): (value, None)})
    first = cache.get([(("n",), "k")])[(("n",), "k")]
    assert first == value
    first["items"].append(3)
    assert cache.get([(("n",), "k")])[(("n",), "k")]["items"] == [1, 2]


def test_unsafe_values_are_refused(cache: SqliteCache[Any]) -> None:
    with pytest.raises(UnserializableValueError):
        cache.set({(("n",), "k"): (object(), None)})
    cache._conn.execute(
        "INSERT INTO sg_cache VALUES ('[\"n\"]', 'evil', NULL, 'pickle', x'80')"
    )
    with pytest.raises(DeserializationError, match="pickle"):
        cache.get([(("n",), "evil")])


def test_persists_in_a_file_and_uses_custom_serde(tmp_path: Path) -> None:
    path = str(tmp_path / "cache.db")
    with SqliteCache(path=path, serde=JsonPlusSerializer()) as cache:
        cache.set({(("n",), "k"): (Result(1), None)})
    with SqliteCache(path=path) as cache:
        assert cache.get([(("n",), "k")]) == {(("n",), "k"): Result(1)}
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


@pytest.mark.asyncio
async def test_async_twins(cache: SqliteCache[Any]) -> None:
    await cache.aset({(("n",), "k"): ("v", None)})
    assert await cache.aget([(("n",), "k")]) == {(("n",), "k"): "v"}
    await cache.aclear([("n",)])
    assert await cache.aget([(("n",), "k")]) == {}
    await cache.aset({(("n",), "k"): ("v", None)})
    await cache.aclear()
    assert await cache.aget([(("n",), "k")]) == {}


def test_thread_safety(cache: SqliteCache[Any]) -> None:
    def work(n: int) -> None:
        for i in range(100):
            cache.set({(("ns", str(n)), str(i)): (i, None)})
            assert cache.get([(("ns", str(n)), str(i))]) == {
                (("ns", str(n)), str(i)): i
            }
            if i % 25 == 0:
                cache.clear([("ns", str(n))])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache._conn.execute("SELECT COUNT(*) FROM sg_cache").fetchone()[0] <= 400


def test_matches_langgraph_cache(tmp_path: Path) -> None:
    ours: SqliteCache[Any] = SqliteCache(path=str(tmp_path / "ours.db"))
    theirs: LangGraphSqliteCache[Any] = LangGraphSqliteCache(
        path=str(tmp_path / "lg.db")
    )
    pairs: dict[FullKey, tuple[Any, int | None]] = {
        (("a",), "1"): ({"x": [1, (2, 3)]}, None),
        (("a", "b"), "2"): ({1, 2}, 100),
        (("c",), "3"): (None, None),
    }
    keys: list[FullKey] = [*pairs, (("a",), "missing")]
    for cache in (ours, theirs):
        cache.set(pairs)
    assert ours.get(keys) == theirs.get(keys)
    clear: list[Namespace] = [("a",)]
    for cache in (ours, theirs):
        cache.clear(clear)
    assert ours.get(keys) == theirs.get(keys)
    ours.close()


class Count(TypedDict):
    n: int


def test_graph_node_results_are_cached(tmp_path: Path) -> None:
    calls: list[int] = []

    def slow(state: Count) -> dict[str, int]:
        calls.append(state["n"])
        return {"n": state["n"] * 10}

    builder = StateGraph(Count)
    builder.add_node("slow", slow, cache_policy=CachePolicy(ttl=60))
    builder.add_edge(START, "slow")
    with SqliteCache(path=str(tmp_path / "graph.db")) as cache:
        graph = builder.compile(cache=cache)
        assert graph.invoke({"n": 2}) == {"n": 20}
        assert graph.invoke({"n": 2}) == {"n": 20}
        assert asyncio.run(graph.ainvoke({"n": 2})) == {"n": 20}
        assert graph.invoke({"n": 3}) == {"n": 30}
    assert calls == [2, 3]
