"""RedisCache against a real Redis: semantics, expiry, safety, LangGraph parity.

Every test writes under its own uuid key prefix, deleted afterwards. Without a
server the tests skip, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import ormsgpack
import pytest
import redis
import redis.asyncio as aioredis
from langgraph.cache.redis import RedisCache as LangGraphRedisCache
from redis.backoff import NoBackoff
from redis.retry import Retry

from stategraph.cache.base import FullKey, Namespace
from stategraph.cache.redis import RedisCache
from stategraph.checkpoint.serde.jsonplus import (
    DeserializationError,
    UnserializableValueError,
)
from stategraph.graph import START, StateGraph
from stategraph.types import CachePolicy

URL = os.environ.get("STATEGRAPH_TEST_REDIS", "redis://127.0.0.1:6379/0")
EXECUTED: list[str] = []


@dataclasses.dataclass
class Result:
    value: Any


def mark_executed(tag: str) -> None:
    EXECUTED.append(tag)


class Evil:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (mark_executed, ("pwned",))


@pytest.fixture(scope="session")
def server() -> str:
    probe = redis.Redis.from_url(
        URL, socket_connect_timeout=2, retry=Retry(NoBackoff(), 0)
    )
    try:
        probe.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable at {URL} with CI=true: {exc}")
        pytest.skip(f"Redis unreachable at {URL}: {exc}")
    finally:
        probe.close()
    return URL


@pytest.fixture
def client(server: str) -> Iterator[redis.Redis]:
    opened = redis.Redis.from_url(server)
    yield opened
    opened.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    """A fresh key prefix; every key under it is deleted after the test."""
    start = f"sgtest:{uuid.uuid4().hex}:"
    yield start
    leftovers = list(client.scan_iter(match=f"{start}*"))
    if leftovers:
        client.delete(*leftovers)


@pytest.fixture
def cache(client: redis.Redis, prefix: str) -> RedisCache[Any]:
    return RedisCache(client, prefix=prefix)


@asynccontextmanager
async def async_client(url: str) -> AsyncIterator[aioredis.Redis]:
    opened = aioredis.Redis.from_url(url)
    try:
        yield opened
    finally:
        await opened.aclose()


def keys_under(client: redis.Redis, prefix: str) -> set[str]:
    return {k.decode() for k in client.scan_iter(match=f"{prefix}*")}


def wait_until_gone(client: redis.Redis, name: str, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while client.exists(name):
        assert time.monotonic() < deadline, f"{name} did not expire"
        time.sleep(min(0.05, max(client.pttl(name), 1) / 1000))


# -- get / set / clear ---------------------------------------------------------


def test_set_get_and_missing_keys(cache: RedisCache[Any]) -> None:
    cache.set({(("a",), "k1"): ({"x": 1}, None), (("a", "b"), "k2"): ([1, 2], 10)})
    got = cache.get(
        [(("a",), "k1"), (("a", "b"), "k2"), (("a",), "nope"), (("z",), "k1")]
    )
    assert got == {(("a",), "k1"): {"x": 1}, (("a", "b"), "k2"): [1, 2]}
    assert cache.get([]) == {}
    cache.set({})
    assert cache.get([(["a"], "k1")]) == {(("a",), "k1"): {"x": 1}}  # type: ignore[list-item]


def test_values_roundtrip_as_copies(cache: RedisCache[Any]) -> None:
    value = {"items": [1, 2], "result": Result(value={1, 2}), "raw": b"\x00:\xff"}
    cache.set({(("n",), "k"): (value, None)})
    first = cache.get([(("n",), "k")])[(("n",), "k")]
    assert first == value
    first["items"].append(3)
    assert cache.get([(("n",), "k")])[(("n",), "k")]["items"] == [1, 2]


def test_clear(cache: RedisCache[Any], client: redis.Redis, prefix: str) -> None:
    cache.set(
        {(("a",), "1"): (1, None), (("b",), "2"): (2, None), (("c",), "3"): (3, None)}
    )
    cache.clear([("a",), ("b",), ("missing",)])
    assert cache.get([(("a",), "1"), (("b",), "2"), (("c",), "3")]) == {
        (("c",), "3"): 3
    }
    cache.clear([])
    assert keys_under(client, prefix) == {f"{prefix}c:3"}
    cache.clear()
    assert keys_under(client, prefix) == set()


def test_clear_touches_only_its_prefix(client: redis.Redis, prefix: str) -> None:
    # Glob characters in the prefix are escaped: "p*" must not match "pX".
    mine: RedisCache[Any] = RedisCache(client, prefix=f"{prefix}p*[x]:")
    other: RedisCache[Any] = RedisCache(client, prefix=f"{prefix}pX[x]:")
    mine.set({(("n",), "k"): (1, None)})
    other.set({(("n",), "k"): (2, None)})
    mine.clear()
    mine.clear([("n",)])
    assert mine.get([(("n",), "k")]) == {}
    assert other.get([(("n",), "k")]) == {(("n",), "k"): 2}


# -- namespaces ----------------------------------------------------------------


def test_namespaces_are_distinct_and_keys_match_langgraph_layout(
    cache: RedisCache[Any], client: redis.Redis, prefix: str
) -> None:
    # LangGraph joins parts with ":" so the first two would collide there.
    pairs: dict[FullKey, tuple[Any, int | None]] = {
        (("a", "b"), "c"): (1, None),
        (("a",), "b:c"): (2, None),
        (("a%3Ab",), "c"): (3, None),
        ((), "c"): (4, None),
        (("",), "c"): (5, None),
    }
    cache.set(pairs)
    assert cache.get(list(pairs)) == {k: v for k, (v, _) in pairs.items()}
    assert keys_under(client, prefix) == {
        f"{prefix}a:b:c",  # plain parts: the same key LangGraph writes
        f"{prefix}a:b%3Ac",
        f"{prefix}a%253Ab:c",
        f"{prefix}c",
        f"{prefix}:c",
    }


def test_clear_is_exact_per_namespace(cache: RedisCache[Any]) -> None:
    keys: list[FullKey] = [(("a",), "1"), (("a", "b"), "2"), ((), "3"), (("ab",), "4")]
    cache.set({k: (i, None) for i, k in enumerate(keys)})
    cache.clear([("a",)])
    assert set(cache.get(keys)) == {(("a", "b"), "2"), ((), "3"), (("ab",), "4")}
    cache.clear([()])
    assert set(cache.get(keys)) == {(("a", "b"), "2"), (("ab",), "4")}
    cache.clear([("a", "b")])
    assert set(cache.get(keys)) == {(("ab",), "4")}


# -- ttl -----------------------------------------------------------------------


def test_ttl_is_a_redis_expiry(
    cache: RedisCache[Any], client: redis.Redis, prefix: str
) -> None:
    cache.set({(("n",), "short"): ("s", 1), (("n",), "forever"): ("f", None)})
    short, forever = f"{prefix}n:short", f"{prefix}n:forever"
    assert 0 < client.pttl(short) <= 1000
    assert client.pttl(forever) == -1  # no expiry
    assert cache.get([(("n",), "short")]) == {(("n",), "short"): "s"}
    wait_until_gone(client, short)
    assert cache.get([(("n",), "short"), (("n",), "forever")]) == {
        (("n",), "forever"): "f"
    }


def test_non_positive_ttl_expires_at_once(
    cache: RedisCache[Any], client: redis.Redis, prefix: str
) -> None:
    cache.set({(("n",), "k"): ("old", None)})
    cache.set({(("n",), "k"): ("new", 0), (("n",), "neg"): ("x", -5)})
    assert cache.get([(("n",), "k"), (("n",), "neg")]) == {}
    assert keys_under(client, prefix) == set()


# -- async ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_async_twins_with_async_client(server: str, prefix: str) -> None:
    async with async_client(server) as aclient:
        cache: RedisCache[Any] = RedisCache(aclient, prefix=prefix)
        await cache.aset({(("n",), "k"): ("v", None), (("m", "x"), "k"): (1, 60)})
        assert await cache.aget([(("n",), "k"), (("m", "x"), "k")]) == {
            (("n",), "k"): "v",
            (("m", "x"), "k"): 1,
        }
        assert 0 < await aclient.pttl(f"{prefix}m:x:k") <= 60_000
        await cache.aclear([("n",)])
        assert await cache.aget([(("n",), "k"), (("m", "x"), "k")]) == {
            (("m", "x"), "k"): 1
        }
        await cache.aclear()
        assert await cache.aget([(("m", "x"), "k")]) == {}
        assert await cache.aget([]) == {}
        await cache.aset({})
        with pytest.raises(TypeError, match="aget"):
            cache.get([(("n",), "k")])
        with pytest.raises(TypeError, match="aset"):
            cache.set({(("n",), "k"): ("v", None)})
        with pytest.raises(TypeError, match="aclear"):
            cache.clear()


@pytest.mark.asyncio
async def test_async_twins_with_sync_client_run_off_the_loop(
    client: redis.Redis, prefix: str
) -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    class Recording:
        """The sync client, noting which thread runs each Redis call."""

        def __getattr__(self, name: str) -> Any:
            attr = getattr(client, name)
            if name not in {"mget", "pipeline", "scan_iter", "delete"}:
                return attr

            def call(*args: Any, **kwargs: Any) -> Any:
                seen.append(threading.get_ident())
                return attr(*args, **kwargs)

            return call

    cache: RedisCache[Any] = RedisCache(Recording(), prefix=prefix)
    await cache.aset({(("n",), "k"): ("v", None)})
    assert await cache.aget([(("n",), "k")]) == {(("n",), "k"): "v"}
    await cache.aclear([("n",)])
    assert await cache.aget([(("n",), "k")]) == {}
    assert len(seen) >= 4
    assert loop_thread not in seen


# -- parity with LangGraph -----------------------------------------------------


# LangGraph's RedisCache calls the deprecated SETEX.
lg_setex = pytest.mark.filterwarnings(
    "ignore:Call to deprecated setex:DeprecationWarning"
)


@lg_setex
def test_matches_langgraph_cache(client: redis.Redis, prefix: str) -> None:
    ours: RedisCache[Any] = RedisCache(client, prefix=f"{prefix}ours:")
    theirs: LangGraphRedisCache[Any] = LangGraphRedisCache(
        client, prefix=f"{prefix}lg:"
    )
    pairs: dict[FullKey, tuple[Any, int | None]] = {
        (("a",), "1"): ({"x": [1, (2, 3)]}, None),
        (("a", "b"), "2"): ({1, 2}, 100),
        (("c",), "3"): (None, None),
        (("c",), "4"): (b"bytes", 100),
    }
    keys: list[FullKey] = [*pairs, (("a",), "missing")]
    for cache in (ours, theirs):
        cache.set(pairs)
    assert ours.get(keys) == theirs.get(keys)
    assert ours.get([]) == theirs.get([]) == {}
    ttls = {c: client.pttl(f"{prefix}{c}:a:b:2") for c in ("ours", "lg")}
    assert all(98_000 < t <= 100_000 for t in ttls.values())
    clear: list[Namespace] = [("c",)]
    for cache in (ours, theirs):
        cache.clear(clear)
    assert ours.get(keys) == theirs.get(keys)
    for cache in (ours, theirs):
        cache.clear()
    assert ours.get(keys) == theirs.get(keys) == {}


@lg_setex
def test_shares_entries_with_langgraph(client: redis.Redis, prefix: str) -> None:
    ours: RedisCache[Any] = RedisCache(client, prefix=prefix)
    theirs: LangGraphRedisCache[Any] = LangGraphRedisCache(client, prefix=prefix)
    theirs.set({(("ns", "node"), "from-lg"): ({"v": [1, 2]}, None)})
    ours.set({(("ns", "node"), "from-sg"): ({"v": "x"}, None)})
    keys: list[FullKey] = [(("ns", "node"), "from-lg"), (("ns", "node"), "from-sg")]
    expected = {keys[0]: {"v": [1, 2]}, keys[1]: {"v": "x"}}
    assert ours.get(keys) == theirs.get(keys) == expected


# -- safety --------------------------------------------------------------------


def test_the_pickle_payload_is_live() -> None:
    # Guards the tests below: unpickling this payload really runs code.
    pickle.loads(pickle.dumps(Evil()))
    assert EXECUTED == ["pwned"]
    EXECUTED.clear()


@pytest.mark.parametrize(
    ("stored", "match"),
    [
        (b"pickle:" + pickle.dumps(Evil()), "pickle"),
        (b"no type tag at all", "type tag"),
        (b"\xff\xfe:payload", "type tag"),
        (b"msgpack:\xc1", "corrupt"),
        (b"shell:rm -rf /", "unknown serialization type tag 'shell'"),
        (
            b"msgpack:"
            + ormsgpack.packb(
                ormsgpack.Ext(0, ormsgpack.packb(["os", "system", "echo pwned"]))
            ),
            "refusing to load type 'os.system'",
        ),
    ],
    ids=["pickle", "untagged", "binary-tag", "corrupt", "unknown-tag", "ext-type"],
)
def test_bad_stored_bytes_raise_without_running_code(
    cache: RedisCache[Any], client: redis.Redis, prefix: str, stored: bytes, match: str
) -> None:
    client.set(f"{prefix}n:evil", stored)
    with pytest.raises(DeserializationError, match=match) as caught:
        cache.get([(("n",), "evil")])
    assert f"{prefix}n:evil" in str(caught.value)
    assert EXECUTED == []


@pytest.mark.asyncio
async def test_bad_stored_bytes_raise_in_async_get(server: str, prefix: str) -> None:
    async with async_client(server) as aclient:
        await aclient.set(f"{prefix}n:evil", b"pickle:" + pickle.dumps(Evil()))
        cache: RedisCache[Any] = RedisCache(aclient, prefix=prefix)
        with pytest.raises(DeserializationError, match="pickle"):
            await cache.aget([(("n",), "evil")])
    assert EXECUTED == []


def test_unserializable_values_store_nothing(
    cache: RedisCache[Any], client: redis.Redis, prefix: str
) -> None:
    with pytest.raises(UnserializableValueError):
        cache.set({(("n",), "ok"): (1, None), (("n",), "bad"): (object(), None)})
    assert keys_under(client, prefix) == set()


def test_rejects_clients_that_decode_responses(server: str) -> None:
    decoding = redis.Redis.from_url(server, decode_responses=True)
    try:
        with pytest.raises(ValueError, match="decode_responses=False"):
            RedisCache(decoding)
    finally:
        decoding.close()


def test_outage_is_a_miss_but_clear_raises(caplog: pytest.LogCaptureFixture) -> None:
    down = redis.Redis(
        host="127.0.0.1",
        port=1,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
    )
    cache: RedisCache[Any] = RedisCache(down, prefix="sgtest:down:")
    try:
        with caplog.at_level(logging.WARNING, logger="stategraph"):
            assert cache.get([(("n",), "k")]) == {}
            cache.set({(("n",), "k"): ("v", None)})
        assert [r.getMessage() for r in caplog.records] == [
            "RedisCache.get failed; treated as a miss",
            "RedisCache.set failed; nothing cached",
        ]
        with pytest.raises(redis.ConnectionError):
            cache.clear()
    finally:
        down.close()


# -- graphs --------------------------------------------------------------------


class Count(TypedDict):
    n: int


def _builder(calls: list[int]) -> StateGraph[Count]:
    def slow(state: Count) -> dict[str, int]:
        calls.append(state["n"])
        return {"n": state["n"] * 10}

    builder: StateGraph[Count] = StateGraph(Count)
    builder.add_node("slow", slow, cache_policy=CachePolicy(ttl=60))
    builder.add_edge(START, "slow")
    return builder


def test_graph_node_results_are_cached(cache: RedisCache[Any]) -> None:
    calls: list[int] = []
    graph = _builder(calls).compile(cache=cache)
    first = list(graph.stream({"n": 2}, stream_mode="updates"))
    second = list(graph.stream({"n": 2}, stream_mode="updates"))
    assert first == [{"slow": {"n": 20}}]
    assert second == [{"slow": {"n": 20}, "__metadata__": {"cached": True}}]
    assert graph.invoke({"n": 3}) == {"n": 30}
    assert calls == [2, 3]
    graph.clear_cache()
    assert list(graph.stream({"n": 2}, stream_mode="updates")) == first
    assert calls == [2, 3, 2]


@pytest.mark.asyncio
async def test_graph_node_results_are_cached_with_async_client(
    server: str, prefix: str
) -> None:
    calls: list[int] = []
    async with async_client(server) as aclient:
        graph = _builder(calls).compile(cache=RedisCache(aclient, prefix=prefix))
        first = [c async for c in graph.astream({"n": 2}, stream_mode="updates")]
        second = [c async for c in graph.astream({"n": 2}, stream_mode="updates")]
        await graph.aclear_cache()
        assert await graph.ainvoke({"n": 2}) == {"n": 20}
    assert first == [{"slow": {"n": 20}}]
    assert second == [{"slow": {"n": 20}, "__metadata__": {"cached": True}}]
    assert calls == [2, 2]
