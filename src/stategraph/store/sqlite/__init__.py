"""SQLite stores, under LangGraph's import path.

``from stategraph.store.sqlite import SqliteStore`` works like the same import
from ``langgraph.store.sqlite``; ``AsyncSqliteStore`` needs ``aiosqlite``
(``stategraph[sqlite]``), imported only when that name is first used.

Example:
    >>> with SqliteStore.from_conn_string(":memory:") as store:
    ...     store.put(("docs",), "a", {"text": "hello"})
    ...     store.get(("docs",), "a").value
    {'text': 'hello'}
"""

from __future__ import annotations

from typing import Any

from stategraph.store.sqlite._base import SqliteIndexConfig as SqliteIndexConfig
from stategraph.store.sqlite._sync import SqliteStore as SqliteStore

__all__ = ("AsyncSqliteStore", "SqliteStore")


def __getattr__(name: str) -> Any:
    # aiosqlite is optional: load the async store on first use.
    if name == "AsyncSqliteStore":
        from stategraph.store.sqlite._async import AsyncSqliteStore

        return AsyncSqliteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
