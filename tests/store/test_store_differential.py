"""Differential tests: the same operations on LangGraph's stores and ours.

Seeded random scripts of puts, deletes, gets, searches and namespace listings
run on both libraries' stores of one backend; every result must match once
timestamps are dropped. Scripts stay inside the behaviour LangGraph's
backends agree on (see ``DIVERGENCES`` for where ours deliberately differ).
Bad input (invalid namespaces, unknown filter operators) must raise the same
error type in both, and leave both stores holding the same items.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from langgraph.store.memory import InMemoryStore as LGMemory
from langgraph.store.postgres import (
    AsyncPostgresStore as LGAsyncPostgres,
    PostgresStore as LGPostgres,
)
from langgraph.store.sqlite import (
    AsyncSqliteStore as LGAsyncSqlite,
    SqliteStore as LGSqlite,
)

from stategraph.store.memory import InMemoryStore
from stategraph.store.postgres import AsyncPostgresStore, PostgresStore
from stategraph.store.sqlite import AsyncSqliteStore, SqliteStore

DIVERGENCES = """
- list_namespaces: LangGraph's InMemoryStore also lists namespaces that were
  only read or whose items were all deleted; ours lists namespaces holding items.
- $gt/$gte/$lt/$lte: LangGraph's PostgresStore compares numbers as text
  ('10' < '9'); its InMemoryStore raises TypeError on items missing the field.
  Ours compare numbers as numbers and skip items missing the field.
- $ne on a missing field matches in LangGraph's InMemoryStore, not in its SQL
  stores; ours match it everywhere (as the in-memory store does).
- Equality is JSON's in ours: True matches neither 1 nor 1.0 (LangGraph's
  InMemoryStore uses Python's ==), and $eq on a dict is exact, not a subset.
- created_at survives an update in ours (LangGraph's SQLite and in-memory
  stores reset it); SQLite timestamps are aware and sub-second in ours.
"""

NAMESPACES = [("a",), ("a", "b"), ("a", "b", "c"), ("a", "d"), ("e", "b"), ("f",)]
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"kind": "x"},
    {"kind": {"$eq": "y"}},
    {"kind": {"$ne": "x"}},
    {"n": 3},
    {"n": {"$gt": 4}},
    {"n": {"$lte": 2}},
    {"n": {"$gte": 2, "$lt": 7}},
]


def script(seed: int, steps: int = 40) -> list[tuple[str, Any]]:
    """A random operation script; reads touch only namespaces holding items."""
    rng = random.Random(seed)
    live: dict[tuple[str, ...], set[str]] = {}
    ops: list[tuple[str, Any]] = []
    for _ in range(steps):
        roll = rng.random()
        if roll < 0.45 or not live:
            ns = rng.choice(NAMESPACES)
            key = f"k{rng.randrange(5)}"
            value = {"kind": rng.choice("xy"), "n": rng.randrange(1, 10)}
            live.setdefault(ns, set()).add(key)
            ops.append(("put", (ns, key, value)))
            continue
        ns = rng.choice(sorted(live))
        if roll < 0.55 and len(live[ns]) > 1:
            key = rng.choice(sorted(live[ns]))
            live[ns].discard(key)
            ops.append(("delete", (ns, key)))
        elif roll < 0.7:
            ops.append(("get", (ns, rng.choice([*sorted(live[ns]), "missing"]))))
        elif roll < 0.85:
            prefix = ns[: rng.randrange(len(ns) + 1)]
            ops.append(("search", (prefix, rng.choice(FILTERS))))
        else:
            ops.append(("list", _listing(rng)))
    return ops


def _listing(rng: random.Random) -> dict[str, Any]:
    kw: dict[str, Any] = {"limit": rng.choice([2, 100]), "offset": rng.choice([0, 1])}
    choice = rng.randrange(4)
    if choice == 1:
        kw["prefix"] = rng.choice([("a",), ("a", "b"), ("*", "b")])
    elif choice == 2:
        kw["suffix"] = rng.choice([("b",), ("c",), ("b", "*")])
    elif choice == 3:
        kw["max_depth"] = rng.choice([1, 2])
    return kw


def normal(result: Any, ordered: bool) -> Any:
    """Results without timestamps; unordered searches become sorted."""
    if result is None or isinstance(result, (str, int)):
        return result
    if isinstance(result, list):
        if result and isinstance(result[0], tuple):
            return result
        items = [(it.namespace, it.key, it.value) for it in result]
        return items if ordered else sorted(items)
    return (result.namespace, result.key, result.value)


class Runner:
    """Runs script steps on one store through its sync or async API."""

    def __init__(self, store: Any, mode: str) -> None:
        self.store = store
        self.mode = mode

    async def call(self, name: str, *args: Any, **kw: Any) -> Any:
        if self.mode == "async":
            return await getattr(self.store, "a" + name)(*args, **kw)
        return await asyncio.to_thread(getattr(self.store, name), *args, **kw)

    async def step(self, op: str, args: Any, paged: bool) -> Any:
        if op == "put":
            return await self.call("put", *args)
        if op == "delete":
            return await self.call("delete", *args)
        if op == "get":
            return await self.call("get", *args)
        if op == "search":
            prefix, flt = args
            page = {"limit": 3, "offset": 1} if paged else {"limit": 100}
            return await self.call("search", prefix, filter=flt, **page)
        return await self.call("list_namespaces", **args)


Pair = Callable[[AsyncExitStack], Any]


@asynccontextmanager
async def _pair(
    name: str, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Any, Any]]:
    async with AsyncExitStack() as stack:
        if name == "memory":
            yield LGMemory(), InMemoryStore()
            return
        if name == "sqlite":
            theirs = stack.enter_context(LGSqlite.from_conn_string(":memory:"))
            ours = stack.enter_context(SqliteStore.from_conn_string(":memory:"))
            yield theirs, ours
            return
        if name == "async_sqlite":
            theirs = await stack.enter_async_context(
                LGAsyncSqlite.from_conn_string(":memory:")
            )
            ours = await stack.enter_async_context(
                AsyncSqliteStore.from_conn_string(":memory:")
            )
            yield theirs, ours
            return
        schemas = request.getfixturevalue("schemas")
        if name == "postgres":
            theirs = stack.enter_context(LGPostgres.from_conn_string(schemas()))
            ours = stack.enter_context(PostgresStore.from_conn_string(schemas()))
            theirs.setup()
            ours.setup()
        else:
            theirs = await stack.enter_async_context(
                LGAsyncPostgres.from_conn_string(schemas())
            )
            ours = await stack.enter_async_context(
                AsyncPostgresStore.from_conn_string(schemas())
            )
            await theirs.setup()
            await ours.setup()
        yield theirs, ours


# name -> (API modes, whether search order is deterministic in LangGraph's store)
BACKENDS = {
    "memory": (("sync", "async"), True),
    "sqlite": (("sync",), False),  # LangGraph's timestamps have 1 s resolution
    "async_sqlite": (("sync", "async"), False),
    "postgres": (("sync", "async"), True),
    "async_postgres": (("sync", "async"), True),
}
RUNS = [
    pytest.param(name, mode, seed, id=f"{name}-{mode}-{seed}")
    for name, (modes, _) in BACKENDS.items()
    for mode in modes
    for seed in range(3)
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("backend", "mode", "seed"), RUNS)
async def test_same_results(
    backend: str, mode: str, seed: int, request: pytest.FixtureRequest
) -> None:
    ordered = BACKENDS[backend][1]
    async with _pair(backend, request) as (theirs, ours):
        a, b = Runner(theirs, mode), Runner(ours, mode)
        for i, (op, args) in enumerate(script(seed)):
            paged = ordered and op == "search"
            expected = normal(await a.step(op, args, paged), ordered)
            got = normal(await b.step(op, args, paged), ordered)
            assert got == expected, f"step {i}: {op}{args}"


BAD_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("put", ((), "k", {"v": 1}), {}),
    ("put", (("a.b",), "k", {"v": 1}), {}),
    ("put", (("langgraph", "x"), "k", {"v": 1}), {}),
    ("put", (("a", ""), "k", {"v": 1}), {}),
    ("put", (("a", 1), "k", {"v": 1}), {}),
    ("get", (("a.b",), "k"), {}),
    ("get", ((2,), "k"), {}),
    ("delete", (("x.y",), "k"), {}),
    ("search", (("a.b",),), {}),
    ("search", (("keep",),), {"filter": {"v": {"$regex": "x"}}}),
    ("list_namespaces", (), {"prefix": ("a.b",)}),
    ("list_namespaces", (), {"suffix": (3,)}),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", list(BACKENDS))
async def test_same_errors_and_nothing_lost(
    backend: str, request: pytest.FixtureRequest
) -> None:
    mode = BACKENDS[backend][0][-1]
    async with _pair(backend, request) as (theirs, ours):
        a, b = Runner(theirs, mode), Runner(ours, mode)
        for runner in (a, b):
            await runner.call("put", ("keep",), "k", {"v": 1})
        for name, args, kw in BAD_CALLS:
            errors = []
            for runner in (a, b):
                with pytest.raises(Exception) as info:  # noqa: PT011 - compared below
                    await runner.call(name, *args, **kw)
                # Same class name and builtin bases (each library has its own
                # InvalidNamespaceError, both ValueErrors).
                errors.append([c.__name__ for c in type(info.value).__mro__])
            assert errors[1] == errors[0], (name, args)
        kept = [normal(await r.call("get", ("keep",), "k"), True) for r in (a, b)]
        assert kept[0] == kept[1] == (("keep",), "k", {"v": 1})


def _embed(texts: Any) -> list[list[float]]:
    return [[float(t.count(c)) for c in "abc"] + [1.0] for t in texts]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("seed", range(3))
async def test_vector_search_matches_langgraph_memory(mode: str, seed: int) -> None:
    # LangGraph's SQL stores need pgvector / a loadable sqlite-vec, which this
    # machine lacks; its in-memory store is the vector-search reference.
    index: Any = {"dims": 4, "embed": _embed, "fields": ["text", "tags[*]"]}
    a, b = Runner(LGMemory(index=index), mode), Runner(InMemoryStore(index=index), mode)
    rng = random.Random(seed)
    words = ["a", "ab", "abc", "bb", "ccc", "cab", "ba"]
    for i in range(12):
        text = rng.choice(words)
        # Distinct texts per put: LangGraph's InMemoryStore raises ValueError
        # when one put repeats a text (it embeds each text once but stores
        # one vector per occurrence); ours does not.
        tags = rng.sample([w for w in words if w != text], 2)
        value = {"text": text, "tags": tags, "n": i}
        flag = rng.choice([None, None, False, ["text"]])
        for runner in (a, b):
            await runner.call("put", ("v", str(i % 3)), f"k{i}", value, flag)
    for query in words:
        for kw in ({}, {"limit": 3, "offset": 2}, {"filter": {"n": {"$gt": 5}}}):
            theirs = await a.call("search", ("v",), query=query, **kw)
            ours = await b.call("search", ("v",), query=query, **kw)
            assert [it.key for it in ours] == [it.key for it in theirs], (query, kw)
            for x, y in zip(ours, theirs, strict=True):
                assert (x.score is None) == (y.score is None)
                assert x.score is None or abs(x.score - y.score) < 1e-9
