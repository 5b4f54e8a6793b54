"""Asyncio SQLite store, under LangGraph's import path.

``from stategraph.store.sqlite.aio import AsyncSqliteStore`` works like the
same import from ``langgraph.store.sqlite.aio``; it needs ``aiosqlite``.
"""

from __future__ import annotations

from stategraph.store.sqlite._async import AsyncSqliteStore as AsyncSqliteStore
from stategraph.store.sqlite._base import SqliteIndexConfig as SqliteIndexConfig

__all__ = ("AsyncSqliteStore",)
