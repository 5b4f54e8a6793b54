"""Property tests: every backend answers random filters as the Python rules do.

The SQL stores push filters into SQL (``json_extract``/``jsonb``); Hypothesis
generates values and filters and checks each store's answer against
``_match.matches_filter`` applied to the same values (reading dotted keys as
nested paths for SQLite, as LangGraph's SQLite store does), and checks that the
compiled predicates of the in-memory store agree with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, example, given, settings, strategies as st

from stategraph._sqlite_keys import at_path
from stategraph.store._match import compile_filter, matches_filter
from stategraph.store.memory import InMemoryStore
from stategraph.store.postgres import PostgresStore
from stategraph.store.sqlite import SqliteStore

FIELDS = ["a", "b", "c.d"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(-3, 3, allow_nan=False),
    st.sampled_from(["", "x", "y", "xy", "Y"]),
)
values = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(
        scalars,
        st.lists(scalars, max_size=2),
        st.dictionaries(st.sampled_from("pq"), scalars, max_size=2),
    ),
    max_size=3,
)
operators = st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"])
conditions = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(operators, scalars, min_size=1, max_size=2),
)
filters = st.dictionaries(st.sampled_from(FIELDS), conditions, min_size=1, max_size=2)


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(values, max_size=6), flt=filters)
def test_compiled_filters_agree(
    docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    test = compile_filter(flt)
    assert [test(d) for d in docs] == [matches_filter(d, flt) for d in docs]


def _expected(
    docs: list[dict[str, Any]], flt: dict[str, Any], get: Any = None
) -> list[str]:
    return sorted(f"k{i}" for i, d in enumerate(docs) if matches_filter(d, flt, get))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(values, max_size=6), flt=filters)
@example(docs=[{"a": 1}, {"a": True}, {"a": 1.0}], flt={"a": True})
@example(docs=[{"a": 1}, {"a": True}, {"a": 1.0}], flt={"a": {"$ne": 1}})
@example(docs=[{"a": {"p": 1, "q": 2}}], flt={"a": {"$eq": {"p": 1}}})
@example(docs=[{"c.d": False}, {"c": {"d": False}}], flt={"c.d": None})
@example(docs=[{"c": {"d": [1]}}], flt={"c.d": [1]})
def test_sqlite_filters_match_python(
    docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    with SqliteStore.from_conn_string(":memory:") as store:
        for i, doc in enumerate(docs):
            store.put(("n",), f"k{i}", doc)
        got = sorted(it.key for it in store.search(("n",), filter=flt, limit=100))
    # Like LangGraph's SQLite store, a dotted key ("c.d") is a nested path.
    assert got == _expected(docs, flt, at_path)


@settings(max_examples=150, deadline=None)
@given(docs=st.lists(values, max_size=6), flt=filters)
@example(docs=[{"a": 1}, {"a": True}, {"a": 1.0}], flt={"a": True})
def test_memory_filters_match_python(
    docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    store = InMemoryStore()
    for i, doc in enumerate(docs):
        store.put(("n",), f"k{i}", doc)
    got = sorted(it.key for it in store.search(("n",), filter=flt, limit=100))
    assert got == _expected(docs, flt)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(docs=st.lists(values, max_size=6), flt=filters)
@example(docs=[{"a": 1}, {"a": True}, {"a": 1.0}], flt={"a": True})
def test_postgres_filters_match_python(
    schemas: Callable[[], str], docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    # One schema for all of this test's examples (kept on the fixture's
    # function object, which lives as long as the test), a namespace each.
    dsn = getattr(schemas, "dsn", None)
    if dsn is None:
        dsn = schemas.dsn = schemas()  # type: ignore[attr-defined]
        with PostgresStore.from_conn_string(dsn) as store:
            store.setup()
    namespace = ("n", uuid.uuid4().hex)
    with PostgresStore.from_conn_string(dsn) as store:
        for i, doc in enumerate(docs):
            store.put(namespace, f"k{i}", doc)
        found = store.search(namespace, filter=flt, limit=100)
    assert sorted(it.key for it in found) == _expected(docs, flt)
