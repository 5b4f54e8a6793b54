"""The store suite's cases for TTLs, the sweeper, vector search and async batching.

TTL cases move the store's clock (``store._now``) instead of sleeping; the
sweeper case waits on an event set by the store's own sweep.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

from stategraph.testing._checkpointer import check
from stategraph.testing._store import StoreDriver, store_case
from stategraph.testing._store_cases import keys


@store_case("ttl.unsupported_raises", needs=["no_ttl"])
async def case_ttl_unsupported(d: StoreDriver) -> None:
    try:
        await d.put(("a",), "k", {"v": 1}, ttl=5)
    except NotImplementedError:
        check(await d.get(("a",), "k") is None, "nothing was stored")
        return
    raise AssertionError("put(ttl=...) on a store without TTLs did not raise")


@store_case("ttl.expiry_and_sweep", ttl={})
async def case_ttl_expiry(d: StoreDriver) -> None:
    await d.put(("t",), "short", {"v": 1}, ttl=1)
    await d.put(("t",), "long", {"v": 2}, ttl=10)
    await d.put(("t",), "forever", {"v": 3}, ttl=None)
    d.advance(2)
    check(await d.sweep() == 1, "one item expired")
    check(await d.get(("t",), "short") is None, "the expired item is gone")
    check(await d.get(("t",), "long") is not None, "unexpired items stay")
    d.advance(60 * 24 * 365)
    check(await d.sweep() == 1, "then the 10-minute item")
    check(keys(await d.search(("t",))) == ["forever"], "ttl=None never expires")


@store_case("ttl.default_ttl", ttl={"default_ttl": 5})
async def case_ttl_default(d: StoreDriver) -> None:
    await d.put(("t",), "default", {"v": 1})
    await d.put(("t",), "none", {"v": 2}, ttl=None)
    d.advance(6)
    check(await d.sweep() == 1, "the default TTL applies when none is given")
    check(await d.get(("t",), "none") is not None, "ttl=None overrides the default")


@store_case("ttl.refresh_on_read", ttl={"refresh_on_read": True})
async def case_ttl_refresh(d: StoreDriver) -> None:
    await d.put(("t",), "got", {"v": 1}, ttl=1)
    await d.put(("t",), "found", {"v": 2}, ttl=1)
    await d.put(("t",), "untouched", {"v": 3}, ttl=1)
    await d.put(("t",), "peeked", {"v": 4}, ttl=1)
    d.advance(0.75)
    await d.get(("t",), "got")
    await d.search(("t",), filter={"v": 2})
    await d.get(("t",), "peeked", refresh_ttl=False)
    d.advance(0.5)
    check(await d.sweep() == 2, "reads restarted two clocks")
    check(
        sorted(keys(await d.search(("t",), refresh_ttl=False))) == ["found", "got"], ""
    )
    d.advance(1.5)
    check(await d.sweep() == 2, "refreshed items still expire")


@store_case("ttl.no_refresh_by_config", ttl={"refresh_on_read": False})
async def case_ttl_no_refresh(d: StoreDriver) -> None:
    await d.put(("t",), "k", {"v": 1}, ttl=1)
    d.advance(0.75)
    await d.get(("t",), "k")
    d.advance(0.5)
    check(await d.sweep() == 1, "refresh_on_read=False: reads do not refresh")


@store_case("ttl.omit_expired", ttl={"omit_expired": True})
async def case_ttl_omit(d: StoreDriver) -> None:
    await d.put(("t", "x"), "k", {"v": 1}, ttl=1)
    await d.put(("t", "y"), "k", {"v": 2})
    d.advance(2)
    check(await d.get(("t", "x"), "k") is None, "expired items are hidden from get")
    check(keys(await d.search(("t",))) == ["k"], "and from search")
    check(await d.list_namespaces() == [("t", "y")], "and from list_namespaces")


@store_case("ttl.sweeper", ttl={"sweep_interval_minutes": 1})
async def case_ttl_sweeper(d: StoreDriver) -> None:
    store: Any = d.store
    swept = threading.Event()
    original = store.sweep_ttl

    def record(result: Any) -> Any:
        swept.set()
        return result

    if inspect.iscoroutinefunction(original):

        async def sweep() -> int:
            return int(record(await original()))

        store.sweep_ttl = sweep
    else:
        store.sweep_ttl = lambda: record(original())
    await d.put(("t",), "k", {"v": 1}, ttl=1)
    d.advance(2)
    started = store.start_ttl_sweeper(sweep_interval_minutes=0.0005)
    if inspect.isawaitable(started):
        await started
    check(await asyncio.to_thread(swept.wait, 10), "the sweeper swept")
    stopped = store.stop_ttl_sweeper(timeout=10)
    check(await stopped if inspect.isawaitable(stopped) else stopped, "sweeper stops")
    check(await d.get(("t",), "k") is None, "the sweeper deleted the expired item")


async def _fill_vectors(d: StoreDriver) -> None:
    await d.put(("v", "1"), "aaa", {"text": "aaa", "n": 1})
    await d.put(("v", "1"), "bbb", {"text": "bbb", "n": 2})
    await d.put(("v", "2"), "abc", {"text": "abc", "n": 3})
    await d.put(("v", "2"), "plain", {"text": "ccc", "n": 4}, index=False)


@store_case("vector.ranking", index=True)
async def case_vector_ranking(d: StoreDriver) -> None:
    await _fill_vectors(d)
    found = await d.search(("v",), query="a")
    check(
        keys(found)[:3] == ["aaa", "abc", "bbb"], f"ranked by similarity: {keys(found)}"
    )
    check(keys(found)[3:] == ["plain"], "items without vectors come last")
    scores = [item.score for item in found]
    check(
        all(isinstance(s, float) for s in scores[:3]) and scores[3] is None, f"{scores}"
    )
    expected = 4 / (2**0.5 * 10**0.5)  # ("a" -> [1,0,0,1]) . ("aaa" -> [3,0,0,1])
    check(scores[0] is not None and abs(scores[0] - expected) < 1e-5, "cosine score")
    ranked = [s for s in scores if s is not None]
    check(scores == [*sorted(ranked, reverse=True), None], "scores descend")


@store_case("vector.filters_and_paging", index=True)
async def case_vector_paging(d: StoreDriver) -> None:
    await _fill_vectors(d)
    found = await d.search(("v",), query="b", filter={"n": {"$lte": 3}})
    check(keys(found) == ["bbb", "abc", "aaa"], f"filter then rank: {keys(found)}")
    page = await d.search(("v",), query="b", limit=1, offset=1)
    check(keys(page) == ["abc"], f"offset/limit apply after ranking: {keys(page)}")
    found = await d.search(("v", "2"), query="a")
    check(keys(found) == ["abc", "plain"], "the namespace prefix applies")


@store_case("vector.reindex_and_delete", index=True)
async def case_vector_update(d: StoreDriver) -> None:
    await _fill_vectors(d)
    await d.put(("v", "1"), "aaa", {"text": "ccc", "n": 1})
    await d.put(("v", "1"), "bbb", {"text": "zzz", "title": "aa"}, index=["title"])
    await d.delete(("v", "2"), "abc")
    found = await d.search(("v",), query="a")
    check(keys(found)[0] == "bbb", f"re-embedded from the chosen field: {keys(found)}")
    check("abc" not in keys(found), "deleted items leave the index")
    check(found[1].key == "aaa" and (found[1].score or 0) < 0.6, "old vectors replaced")


@store_case("vector.query_without_index")
async def case_query_without_index(d: StoreDriver) -> None:
    await d.put(("q",), "k", {"text": "aaa"})
    found = await d.search(("q",), query="a")
    check(keys(found) == ["k"] and found[0].score is None, "no index: plain search")


@store_case("async.concurrent_calls")
async def case_concurrency(d: StoreDriver) -> None:
    await asyncio.gather(*(d.put(("c",), f"k{i}", {"i": i}) for i in range(10)))
    got = await asyncio.gather(*(d.get(("c",), f"k{i}") for i in range(10)))
    check([g.value["i"] if g else None for g in got] == list(range(10)), "all stored")
    check(len(await d.search(("c",), limit=20)) == 10, "and searchable")
