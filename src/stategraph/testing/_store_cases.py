"""The store suite's cases for items, search, namespaces, batches and errors.

TTL and vector-search cases are in ``_store_cases_more``. Importing a cases
module registers its cases (``store_cases()`` imports both).
"""

from __future__ import annotations

import copy
import pickle
from datetime import datetime
from typing import Any

from stategraph.errors import GraphBubbleUp, InvalidNamespaceError
from stategraph.store.base import GetOp, ListNamespacesOp, PutOp, SearchOp
from stategraph.testing._checkpointer import check
from stategraph.testing._store import StoreDriver, store_case


async def must_raise(
    d: StoreDriver, error: type[Exception], name: str, *args: Any, **kw: Any
) -> None:
    """Check that ``d.<name>(...)`` raises ``error``."""
    try:
        await getattr(d, name)(*args, **kw)
    except error:
        return
    except Exception as exc:
        raise AssertionError(
            f"{name}{args} raised {exc!r}, expected {error.__name__}"
        ) from exc
    raise AssertionError(f"{name}{args} did not raise {error.__name__}")


def keys(items: Any) -> list[str]:
    """The keys of a list of items, in order."""
    return [item.key for item in items]


@store_case("item.roundtrip")
async def case_roundtrip(d: StoreDriver) -> None:
    value = {"text": "hello", "n": 1, "nested": {"a": [1, 2, None]}, "ok": True}
    await d.put(("users", "u1"), "k", value)
    item = await d.get(("users", "u1"), "k")
    check(item is not None, "a stored item is found")
    assert item is not None
    check(item.value == value, f"value round-trips: {item.value!r}")
    check(item.key == "k" and item.namespace == ("users", "u1"), "key and namespace")
    check(
        isinstance(item.created_at, datetime) and item.created_at.tzinfo, "aware times"
    )
    check(item.created_at <= item.updated_at, "created_at <= updated_at")
    check(item.dict()["namespace"] == ["users", "u1"], "dict() lists the namespace")


@store_case("item.times_read_alike")
async def case_times(d: StoreDriver) -> None:
    await d.put(("a",), "k", {"v": 1})
    await d.put(("a",), "k", {"v": 2})
    item = await d.get(("a",), "k")
    assert item is not None
    first = (item.created_at, item.updated_at)
    check((item.created_at, item.updated_at) == first, "times are stable")
    check(first[0] <= first[1], "created_at <= updated_at")
    (hit,) = await d.search(("a",))
    check((hit.created_at, hit.updated_at) == first, "search gives get's times")
    again = pickle.loads(pickle.dumps(item))
    check(again == item and again.updated_at == first[1], "items pickle")
    check(copy.copy(hit) == hit and copy.deepcopy(hit).score == hit.score, "copies")


@store_case("item.missing_is_none")
async def case_missing(d: StoreDriver) -> None:
    await d.put(("a",), "present", {"v": 1})
    check(await d.get(("a",), "absent") is None, "a missing key gives None")
    check(await d.get(("b",), "present") is None, "another namespace gives None")


@store_case("item.overwrite_keeps_created_at")
async def case_overwrite(d: StoreDriver) -> None:
    await d.put(("a",), "k", {"v": 1})
    first = await d.get(("a",), "k")
    await d.put(("a",), "k", {"v": 2})
    second = await d.get(("a",), "k")
    assert first is not None
    assert second is not None
    check(second.value == {"v": 2}, "the last put wins")
    check(second.created_at == first.created_at, "created_at survives updates")
    check(second.updated_at >= first.updated_at, "updated_at moves forward")


@store_case("item.delete")
async def case_delete(d: StoreDriver) -> None:
    await d.put(("a",), "k", {"v": 1})
    await d.put(("a",), "other", {"v": 2})
    await d.delete(("a",), "k")
    await d.delete(("a",), "never-stored")
    check(await d.get(("a",), "k") is None, "a deleted item is gone")
    check(await d.get(("a",), "other") is not None, "delete touches one key")
    check(keys(await d.search(("a",))) == ["other"], "search no longer sees it")


@store_case("item.stored_value_is_a_copy")
async def case_copy(d: StoreDriver) -> None:
    value: dict[str, Any] = {"list": [1]}
    await d.put(("a",), "k", value)
    value["extra"] = True
    item = await d.get(("a",), "k")
    assert item is not None
    check(
        item.value == {"list": [1]},
        f"a later change leaks into the store: {item.value}",
    )


async def _fill(d: StoreDriver) -> None:
    await d.put(("docs", "a"), "1", {"kind": "x", "n": 1, "s": "apple", "tags": ["p"]})
    await d.put(("docs", "a"), "2", {"kind": "y", "n": 5, "s": "banana", "m": {"k": 1}})
    await d.put(("docs", "b"), "3", {"kind": "x", "n": 10, "s": "cherry", "f": None})
    await d.put(("docs", "ab"), "4", {"kind": "z", "n": 2.5})
    await d.put(("other",), "5", {"kind": "x", "n": 7})


@store_case("search.namespace_prefix")
async def case_prefix(d: StoreDriver) -> None:
    await _fill(d)
    check(sorted(keys(await d.search(("docs",)))) == ["1", "2", "3", "4"], "prefix")
    check(
        sorted(keys(await d.search(("docs", "a")))) == ["1", "2"], "labels match whole"
    )
    check(len(await d.search((), limit=100)) == 5, "an empty prefix matches all")
    check(await d.search(("nope",)) == [], "no match, no items")
    found = await d.search(("docs", "b"))
    check(found[0].score is None, "no query, no score")


@store_case("search.namespace_neighbours")
async def case_neighbours(d: StoreDriver) -> None:
    # Labels sorting right next to "a" (as "a-b", "a/b", "ab" and "a!" do)
    # are not below ("n", "a"); a range scan must stop short of them.
    for label in ("a", "a-b", "a/b", "ab", "a!", "a0"):
        await d.put(("n", label), "k", {"label": label})
    await d.put(("n", "a", "b"), "k", {"label": "a.b"})
    found = sorted(it.value["label"] for it in await d.search(("n", "a")))
    check(found == ["a", "a.b"], f"the namespace and those below it: {found}")
    check(len(await d.search(("n",), limit=20)) == 7, "all of ('n',)")


FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({"kind": "x"}, ["1", "3"]),
    ({"kind": {"$eq": "y"}}, ["2"]),
    ({"kind": {"$ne": "x"}}, ["2", "4"]),
    ({"n": 5}, ["2"]),
    ({"n": {"$gt": 2}}, ["2", "3", "4"]),
    ({"n": {"$gte": 2.5}}, ["2", "3", "4"]),
    ({"n": {"$lt": 5}}, ["1", "4"]),
    ({"n": {"$lte": 5, "$gt": 1}}, ["2", "4"]),
    ({"s": {"$gt": "b"}}, ["2", "3"]),
    ({"f": None}, ["1", "2", "3", "4"]),
    ({"f": {"$ne": None}}, []),
    ({"kind": "x", "n": {"$gt": 5}}, ["3"]),
    ({"m": {"k": 1}}, ["2"]),
    ({"tags": ["p"]}, ["1"]),
    ({"missing": {"$gt": 0}}, []),
    ({"s": "apple"}, ["1"]),
    ({"s": "x"}, []),  # "x" is another field's value: no false match
    ({"s": {"$ne": "apple"}}, ["2", "3", "4"]),
    ({"s": "ch/rry"}, []),
    # Equal and same-hash in Python, different in JSON: compiled SQL is
    # cached per filter, so these must not share an entry.
    ({"n": 1}, ["1"]),
    ({"n": True}, []),
]


@store_case("search.filters")
async def case_filters(d: StoreDriver) -> None:
    await _fill(d)
    for flt, expected in FILTERS:
        found = sorted(keys(await d.search(("docs",), filter=flt)))
        check(found == expected, f"filter {flt!r}: got {found}, expected {expected}")


@store_case("search.limit_offset")
async def case_paging(d: StoreDriver) -> None:
    for i in range(7):
        await d.put(("p",), f"k{i}", {"i": i})
    pages = [keys(await d.search(("p",), limit=3, offset=o)) for o in (0, 3, 6, 9)]
    check([len(p) for p in pages] == [3, 3, 1, 0], f"page sizes {pages}")
    flat = [k for page in pages for k in page]
    check(sorted(flat) == [f"k{i}" for i in range(7)], "pages cover every item once")
    check(len(await d.search(("p",))) == 7, "default limit is 10")


@store_case("search.recency_order", needs=["recency", "clock"])
async def case_recency(d: StoreDriver) -> None:
    for key in ("old", "mid", "new"):
        await d.put(("r",), key, {"k": key})
        d.advance(1)
    await d.put(("r",), "old", {"k": "touched"})
    check(keys(await d.search(("r",))) == ["old", "new", "mid"], "newest update first")


@store_case("search.bad_operator")
async def case_bad_operator(d: StoreDriver) -> None:
    await d.put(("a",), "k", {"n": 1})
    await must_raise(d, ValueError, "search", ("a",), filter={"n": {"$in": [1]}})
    check(await d.get(("a",), "k") is not None, "nothing stored is lost on error")


BAD_WRITES: list[tuple[Any, ...]] = [
    (),
    ("a.b",),
    ("langgraph", "x"),
    ("",),
    ("ok", ""),
    (1,),
    ("nul\x00",),
]


@store_case("namespace.invalid")
async def case_invalid_namespaces(d: StoreDriver) -> None:
    await d.put(("keep",), "k", {"v": 1})
    for namespace in BAD_WRITES:
        await must_raise(d, InvalidNamespaceError, "put", namespace, "k", {"v": 2})
    for name, args in (
        ("get", (("a.b",), "k")),
        ("delete", (("a.b",), "k")),
        ("search", (("x", "a.b"),)),
    ):
        await must_raise(d, InvalidNamespaceError, name, *args)
    await must_raise(d, InvalidNamespaceError, "list_namespaces", prefix=("a.b",))
    await must_raise(d, InvalidNamespaceError, "list_namespaces", suffix=(3,))
    item = await d.get(("keep",), "k")
    check(item is not None and item.value == {"v": 1}, "nothing stored is lost")
    check(await d.list_namespaces() == [("keep",)], "nothing was written")


@store_case("namespace.list")
async def case_list(d: StoreDriver) -> None:
    for ns in [("a", "b", "c"), ("a", "b", "d"), ("a", "e"), ("f",), ("g", "b", "c")]:
        await d.put(ns, "k", {"v": 1})
    listed = await d.list_namespaces()
    check(listed == sorted(listed) and len(listed) == 5, f"all, sorted: {listed}")
    got = await d.list_namespaces(prefix=("a", "b"))
    check(got == [("a", "b", "c"), ("a", "b", "d")], f"prefix {got}")
    got = await d.list_namespaces(suffix=("b", "c"))
    check(got == [("a", "b", "c"), ("g", "b", "c")], f"suffix {got}")
    got = await d.list_namespaces(prefix=("*", "b"))
    check(got == [("a", "b", "c"), ("a", "b", "d"), ("g", "b", "c")], f"wildcard {got}")
    got = await d.list_namespaces(max_depth=1)
    check(got == [("a",), ("f",), ("g",)], f"max_depth {got}")
    got = await d.list_namespaces(prefix=("a",), max_depth=2)
    check(got == [("a", "b"), ("a", "e")], f"prefix and max_depth {got}")
    got = await d.list_namespaces(limit=2, offset=1)
    check(got == listed[1:3], f"limit/offset {got}")
    await d.delete(("f",), "k")
    check(("f",) not in await d.list_namespaces(), "an emptied namespace is not listed")


@store_case("batch.order_and_snapshot")
async def case_batch(d: StoreDriver) -> None:
    await d.put(("b",), "k", {"v": 0})
    results = await d.batch(
        [
            PutOp(("b",), "k", {"v": 1}),
            GetOp(("b",), "k"),
            PutOp(("b",), "new", {"v": 2}),
            SearchOp(("b",)),
            ListNamespacesOp(),
            PutOp(("b",), "new", {"v": 3}),
        ]
    )
    check(len(results) == 6, "one result per op")
    check(results[0] is None and results[2] is None, "puts return None")
    check(
        results[1] is not None and results[1].value == {"v": 0},
        "reads see the old state",
    )
    check(keys(results[3]) == ["k"], "search sees the old state")
    check(results[4] == [("b",)], "list_namespaces result in place")
    latest = await d.get(("b",), "new")
    check(latest is not None and latest.value == {"v": 3}, "the last put of a key wins")
    current = await d.get(("b",), "k")
    check(current is not None and current.value == {"v": 1}, "the batch's puts applied")


@store_case("batch.failure_is_atomic", needs=["json"])
async def case_batch_atomic(d: StoreDriver) -> None:
    await d.put(("b",), "k", {"v": 0})
    try:
        await d.batch(
            [
                PutOp(("b",), "k", {"v": 1}),
                PutOp(("b",), "new", {"v": 2}),
                PutOp(("b",), "bad", {"v": object()}),
            ]
        )
    except GraphBubbleUp:
        raise
    except Exception:  # any error will do: what matters is the state after
        pass
    else:
        raise AssertionError("a value JSON cannot hold was accepted")
    kept = await d.get(("b",), "k")
    check(kept is not None and kept.value == {"v": 0}, "earlier items are untouched")
    check(await d.get(("b",), "new") is None, "no put of a failed batch lands")
