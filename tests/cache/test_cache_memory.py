from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any

import pytest
from langgraph.cache.memory import InMemoryCache as LangGraphCache

from stategraph.cache.base import BaseCache, FullKey, Namespace
from stategraph.cache.memory import InMemoryCache
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer


@dataclasses.dataclass
class Result:
    value: Any


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1_000_000.0]
    monkeypatch.setattr("stategraph.cache.memory.time.time", lambda: now[0])
    return now


def test_set_get_and_missing_keys() -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    cache.set({(("a",), "k1"): ({"x": 1}, None), (("a", "b"), "k2"): ([1, 2], 10)})
    got = cache.get(
        [(("a",), "k1"), (("a", "b"), "k2"), (("a",), "nope"), (("z",), "k1")]
    )
    assert got == {(("a",), "k1"): {"x": 1}, (("a", "b"), "k2"): [1, 2]}
    assert cache.get([]) == {}


def test_namespace_given_as_list_is_normalised() -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    cache.set({(("n",), "k"): (1, None)})
    assert cache.get([(["n"], "k")]) == {(("n",), "k"): 1}  # type: ignore[list-item]


def test_ttl_expiry(clock: list[float]) -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    cache.set({(("n",), "short"): ("s", 5), (("n",), "forever"): ("f", None)})
    clock[0] += 4.9
    assert cache.get([(("n",), "short")]) == {(("n",), "short"): "s"}
    clock[0] += 0.2
    assert cache.get([(("n",), "short"), (("n",), "forever")]) == {
        (("n",), "forever"): "f"
    }
    assert "short" not in cache._cache[("n",)]  # expired entries are dropped on read


def test_zero_ttl_expires_immediately(clock: list[float]) -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    cache.set({(("n",), "k"): ("v", 0)})
    assert cache.get([(("n",), "k")]) == {}


def test_clear() -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    cache.set(
        {(("a",), "k"): (1, None), (("b",), "k"): (2, None), (("c",), "k"): (3, None)}
    )
    cache.clear([("a",), ("missing",)])
    assert cache.get([(("a",), "k"), (("b",), "k")]) == {(("b",), "k"): 2}
    cache.clear()
    assert cache.get([(("b",), "k"), (("c",), "k")]) == {}


def test_values_are_copies() -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    value = {"items": [Result(1)]}
    cache.set({(("n",), "k"): (value, None)})
    value["items"].append(Result(2))
    first = cache.get([(("n",), "k")])[(("n",), "k")]
    first["items"][0].value = "changed"
    assert cache.get([(("n",), "k")])[(("n",), "k")] == {"items": [Result(1)]}


def test_custom_serde() -> None:
    serde = JsonPlusSerializer(auto_register=False)
    cache: InMemoryCache[Any] = InMemoryCache(serde=serde)
    assert cache.serde is serde
    assert isinstance(InMemoryCache().serde, JsonPlusSerializer)


@pytest.mark.asyncio
async def test_async_twins(clock: list[float]) -> None:
    cache: InMemoryCache[Any] = InMemoryCache()
    await cache.aset({(("n",), "k"): ("v", 1), (("m",), "k"): ("w", None)})
    assert await cache.aget([(("n",), "k")]) == {(("n",), "k"): "v"}
    clock[0] += 2
    assert await cache.aget([(("n",), "k")]) == {}
    await cache.aclear([("m",)])
    assert await cache.aget([(("m",), "k")]) == {}
    await asyncio.gather(*(cache.aset({(("p",), str(i)): (i, None)}) for i in range(5)))
    await cache.aclear()
    assert cache._cache == {}


def test_thread_safety() -> None:
    cache: InMemoryCache[Any] = InMemoryCache()

    def work(n: int) -> None:
        for i in range(200):
            cache.set({(("ns", str(n)), str(i)): (i, None)})
            cache.get([(("ns", str(n)), str(i))])
            if i % 50 == 0:
                cache.clear([("ns", str(n))])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(entries) <= 200 for entries in cache._cache.values())


def test_matches_langgraph_cache() -> None:
    ours: InMemoryCache[Any] = InMemoryCache()
    theirs: LangGraphCache[Any] = LangGraphCache()
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


def test_base_cache_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseCache()  # type: ignore[abstract]
