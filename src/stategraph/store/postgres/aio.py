"""Async PostgreSQL store, under LangGraph's import path.

``from stategraph.store.postgres.aio import AsyncPostgresStore`` works like the
same import from ``langgraph.store.postgres.aio``.
"""

from __future__ import annotations

from stategraph.store.postgres._async import AsyncPostgresStore as AsyncPostgresStore
from stategraph.store.postgres._base import (
    PoolConfig as PoolConfig,
    PostgresIndexConfig as PostgresIndexConfig,
)

__all__ = ("AsyncPostgresStore",)
