"""The SQLite stores' LangGraph-specific readings of filters, TTL refresh and index.

LangGraph's ``SqliteStore`` differs from its other stores in three ways we
follow: a dotted filter key is a path into nested objects and a key with other
characters than letters, digits, ``_``, ``.`` and ``-`` is refused; reads do
not refresh TTLs unless ``ttl={"refresh_on_read": True}``; the fields to embed
are read from ``text_fields``.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from stategraph.store.base import BaseStore
from stategraph.store.memory import InMemoryStore
from stategraph.store.sqlite import SqliteStore
from stategraph.store.sqlite.aio import AsyncSqliteStore

DOCS = {
    "hyphen": {"access-level": "public", "user": {"access-level": "nested"}},
    "digit": {"123abc": "ok", "user": {"123abc": "ok2"}, "a.b": 1},
    "big": {"price": 10, "a": {"b": 1}},
}


@asynccontextmanager
async def opened(mode: str, **kwargs: Any) -> AsyncIterator[Any]:
    if mode == "sync":
        with SqliteStore.from_conn_string(":memory:", **kwargs) as store:
            store.setup()
            yield store
    else:
        async with AsyncSqliteStore.from_conn_string(":memory:", **kwargs) as astore:
            await astore.setup()
            yield astore


async def call(store: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    if isinstance(store, AsyncSqliteStore):
        return await getattr(store, "a" + name)(*args, **kwargs)
    return getattr(store, name)(*args, **kwargs)


async def keys(store: Any, flt: dict[str, Any]) -> list[str]:
    found = await call(store, "search", ("docs",), filter=flt, limit=50)
    return sorted(item.key for item in found)


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_dotted_filter_keys_are_nested_paths(mode: str) -> None:
    async with opened(mode) as store:
        for key, value in DOCS.items():
            await call(store, "put", ("docs",), key, value)
        assert await keys(store, {"access-level": "public"}) == ["hyphen"]
        assert await keys(store, {"user.access-level": "nested"}) == ["hyphen"]
        assert await keys(store, {"123abc": "ok"}) == ["digit"]
        assert await keys(store, {"user.123abc": "ok2"}) == ["digit"]
        # "a.b" reads a -> b, never a top-level key spelled "a.b".
        assert await keys(store, {"a.b": 1}) == ["big"]
        assert await keys(store, {"a.b": {"$gte": 1, "$lt": 2}}) == ["big"]
        # A value SQL cannot compare is checked in Python, on the same path.
        assert await keys(store, {"user": {"123abc": "ok2"}}) == ["digit"]
        assert await keys(store, {"a": {"b": 1}}) == ["big"]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    "key", ["access') = 'public' OR '1'='1' OR json_extract(value, '$.", "a b", ""]
)
async def test_invalid_filter_keys_are_refused(mode: str, key: str) -> None:
    async with opened(mode) as store:
        await call(store, "put", ("docs",), "k", {"a": 1})
        expected = (
            f"Invalid filter key: '{key}'. Filter keys must contain only "
            "alphanumeric characters, underscores, dots, and hyphens."
        )
        with pytest.raises(ValueError, match=r"^Invalid filter key") as info:
            await keys(store, {key: 1})
        assert str(info.value) == expected


def test_memory_store_keeps_dotted_keys_literal() -> None:
    store = InMemoryStore()
    for key, value in DOCS.items():
        store.put(("docs",), key, value)
    found = store.search(("docs",), filter={"a.b": 1})
    assert [item.key for item in found] == ["digit"]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_numbers_beyond_64_bits_compare(mode: str) -> None:
    async with opened(mode) as store:
        await call(store, "put", ("docs",), "big", {"price": 10})
        assert await keys(store, {"price": {"$lt": 10**100}}) == ["big"]
        assert await keys(store, {"price": {"$gt": -(10**100)}}) == ["big"]
        assert await keys(store, {"price": 10**100}) == []
        assert await keys(store, {"price": {"$eq": math.nan}}) == []


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


async def _expiry_after_read(
    store: Any, clock: Clock, refresh_ttl: bool | None
) -> bool:
    """Whether an item read half-way through its 1-minute TTL is still there later."""
    store._now = clock
    await call(store, "put", ("t",), "k", {"v": 1}, ttl=1)
    clock.now += timedelta(seconds=40)
    assert await call(store, "get", ("t",), "k", refresh_ttl=refresh_ttl) is not None
    clock.now += timedelta(seconds=40)
    swept = store.sweep_ttl()  # the async store's sweep_ttl is a coroutine
    if not isinstance(swept, int):
        await swept
    return await call(store, "get", ("t",), "k", refresh_ttl=False) is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("ttl", "refresh_ttl", "kept"),
    [
        ({"default_ttl": 5}, None, False),  # LangGraph's SQLite default: no refresh
        ({"default_ttl": 5, "refresh_on_read": True}, None, True),
        ({"default_ttl": 5, "refresh_on_read": False}, None, False),
        ({"default_ttl": 5}, True, True),  # asked for by the read itself
    ],
)
async def test_reads_refresh_ttl_only_when_asked(
    mode: str, ttl: dict[str, Any], refresh_ttl: bool | None, kept: bool
) -> None:
    async with opened(mode, ttl=ttl) as store:
        assert await _expiry_after_read(store, Clock(), refresh_ttl) is kept
        assert store.ttl_config == ttl


def test_other_stores_refresh_on_read_by_default() -> None:
    assert BaseStore._refresh_on_read_default is True
    assert SqliteStore._refresh_on_read_default is False
    assert AsyncSqliteStore._refresh_on_read_default is False
    store = InMemoryStore()
    assert store._get_op(("t",), "k", None).refresh_ttl is True


class Letters:
    """Embeds a text as the counts of the letters a, b and c."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return [float(text.count(letter)) + 0.01 for letter in "abc"]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("text_fields", [["title"], "title"])
async def test_text_fields_choose_what_is_embedded(mode: str, text_fields: Any) -> None:
    index = {"dims": 3, "embed": Letters(), "text_fields": text_fields}
    async with opened(mode, index=index) as store:
        await call(store, "put", ("docs",), "x", {"title": "aaa", "body": "ccc"})
        found = await call(store, "search", ("docs",), query="aaa")
        assert found[0].score == pytest.approx(1.0, abs=1e-3)
        found = await call(store, "search", ("docs",), query="ccc")
        assert found[0].score < 0.1  # the body was not embedded
        assert store.index_config["__tokenized_fields"] == [("title", ["title"])]
