"""Classes the store modules name as LangGraph does have LangGraph's shape and role."""

from __future__ import annotations

import importlib
import typing
from typing import Any

import pytest

from stategraph.store.base import BaseStore
from stategraph.store.postgres.aio import AsyncPostgresStore
from stategraph.store.postgres.base import BasePostgresStore, PostgresStore


def _both(module: str, name: str) -> tuple[Any, Any]:
    return tuple(  # type: ignore[return-value]
        getattr(importlib.import_module(f"{lib}.{module}"), name)
        for lib in ("langgraph", "stategraph")
    )


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("store.postgres.base", "Migration"),
        ("store.sqlite.base", "PreparedGetQuery"),
    ],
)
def test_named_tuples_have_langgraph_fields(module: str, name: str) -> None:
    theirs, ours = _both(module, name)
    assert ours._fields == theirs._fields
    assert ours._field_defaults == theirs._field_defaults


def test_row_has_langgraph_keys() -> None:
    theirs, ours = _both("store.postgres.base", "Row")
    assert ours.__required_keys__ == theirs.__required_keys__
    assert set(typing.get_type_hints(ours)) == set(typing.get_type_hints(theirs))


@pytest.mark.parametrize("store", [PostgresStore, AsyncPostgresStore])
def test_both_postgres_stores_derive_from_the_base(store: type) -> None:
    assert issubclass(store, BasePostgresStore)
    assert issubclass(store, BaseStore)
    assert store.MIGRATIONS is BasePostgresStore.MIGRATIONS
    assert BasePostgresStore[Any] is not None  # generic over the connection


@pytest.mark.parametrize(
    ("module", "name"),
    [("store.sqlite.base", "MIGRATIONS"), ("store.sqlite.base", "VECTOR_MIGRATIONS")],
)
def test_sqlite_migrations_create_langgraph_tables(module: str, name: str) -> None:
    theirs, ours = _both(module, name)
    created = [
        {s.split("EXISTS")[1].split("(")[0].strip() for s in lst if "CREATE TABLE" in s}
        for lst in (theirs, ours)
    ]
    assert created[0]
    assert created[0] <= created[1]
