"""``SqliteCache``: node-result cache kept in a SQLite file, under LangGraph's path.

``from stategraph.cache.sqlite import SqliteCache`` works like LangGraph's:
``SqliteCache(path=...)`` with ``get``/``set``/``clear`` and async twins.
Values are written with the cache's serializer (the safe ``JsonPlusSerializer``
by default), so loading never unpickles. Entries live in table ``sg_cache``;
a namespace is stored as a JSON list, so namespaces whose parts contain
commas stay distinct. Expired entries are deleted when read.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from stategraph.cache.base import BaseCache, FullKey, Namespace, ValueT
from stategraph.checkpoint.serde.base import SerializerProtocol

__all__ = ("SqliteCache",)

_CREATE = """CREATE TABLE IF NOT EXISTS sg_cache (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    expiry REAL,
    type TEXT NOT NULL,
    value BLOB,
    PRIMARY KEY (ns, key))"""
_SELECT = """SELECT ns, key, expiry, type, value FROM sg_cache
    WHERE (ns, key) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')
        FROM json_each(?))"""
_DELETE_EXPIRED = """DELETE FROM sg_cache
    WHERE (ns, key) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')
        FROM json_each(?))
    AND expiry IS NOT NULL AND expiry <= ?"""
_UPSERT = """INSERT OR REPLACE INTO sg_cache (ns, key, expiry, type, value)
    VALUES (?, ?, ?, ?, ?)"""
_CLEAR_ALL = "DELETE FROM sg_cache"
_CLEAR_NS = "DELETE FROM sg_cache WHERE ns IN (SELECT value FROM json_each(?))"


def _ns(namespace: Sequence[str]) -> str:
    return json.dumps(list(namespace), separators=(",", ":"))


class SqliteCache(BaseCache[ValueT]):
    """Cache of node results in a SQLite database, safe to share between threads.

    Args:
        path: Database file (``":memory:"`` for a private in-memory one).
        serde: Serializer of cached values; defaults to ``JsonPlusSerializer``.

    Example:
        >>> cache = SqliteCache(path=":memory:")
        >>> cache.set({(("node",), "k"): ({"answer": 42}, 60)})
        >>> cache.get([(("node",), "k")])
        {(('node',), 'k'): {'answer': 42}}
    """

    def __init__(self, *, path: str, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL").fetchall()
            self._conn.execute(_CREATE)
            self._conn.commit()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Return the live values of ``keys``; expired entries are deleted.

        Args:
            keys: ``(namespace, key)`` pairs; missing ones are left out.
        """
        if not keys:
            return {}
        wanted = json.dumps([[_ns(ns), key] for ns, key in keys])
        now = time.time()
        with self._lock, self._conn:
            rows = self._conn.execute(_SELECT, (wanted,)).fetchall()
            self._conn.execute(_DELETE_EXPIRED, (wanted, now))
        found: dict[FullKey, ValueT] = {}
        for ns, key, expiry, tag, value in rows:
            if expiry is None or now < expiry:
                loaded = self.serde.loads_typed(
                    (tag, value if value is not None else b"")
                )
                found[(tuple(json.loads(ns)), key)] = loaded
        return found

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Async ``get`` (runs in a worker thread)."""
        return await asyncio.to_thread(self.get, keys)

    def set(self, mapping: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Store values with their time to live in seconds (``None``: forever).

        Raises:
            UnserializableValueError: When a value cannot be serialized
                (nothing is stored then).
        """
        now = time.time()
        rows: list[tuple[Any, ...]] = []
        for (ns, key), (value, ttl) in mapping.items():
            expiry = None if ttl is None else now + ttl
            rows.append((_ns(ns), key, expiry, *self.serde.dumps_typed(value)))
        if rows:
            with self._lock, self._conn:
                self._conn.executemany(_UPSERT, rows)

    async def aset(self, mapping: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Async ``set`` (runs in a worker thread)."""
        await asyncio.to_thread(self.set, mapping)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces``, or every entry when ``None``."""
        with self._lock, self._conn:
            if namespaces is None:
                self._conn.execute(_CLEAR_ALL)
            else:
                names = json.dumps([_ns(ns) for ns in namespaces])
                self._conn.execute(_CLEAR_NS, (names,))

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Async ``clear`` (runs in a worker thread)."""
        await asyncio.to_thread(self.clear, namespaces)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteCache[ValueT]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
