"""Asyncio SQLite store, under LangGraph's import path.

``from stategraph.store.sqlite.aio import AsyncSqliteStore`` works like the
same import from ``langgraph.store.sqlite.aio``; it needs ``aiosqlite``.
"""

from __future__ import annotations

from stategraph.store.base._batch import AsyncBatchedBaseStore as AsyncBatchedBaseStore
from stategraph.store.base._records import (
    GetOp as GetOp,
    ListNamespacesOp as ListNamespacesOp,
    PutOp as PutOp,
    SearchOp as SearchOp,
    TTLConfig as TTLConfig,
)
from stategraph.store.sqlite._async import AsyncSqliteStore as AsyncSqliteStore
from stategraph.store.sqlite._base import (
    BaseSqliteStore as BaseSqliteStore,
    SqliteIndexConfig as SqliteIndexConfig,
)

__all__ = ("AsyncSqliteStore",)
