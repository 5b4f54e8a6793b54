"""PostgreSQL stores, under LangGraph's import path.

``from stategraph.store.postgres import PostgresStore`` works like the same
import from ``langgraph.store.postgres``. Call ``setup()`` once per database.

Example:
    >>> with PostgresStore.from_conn_string("postgresql://...") as store:
    ...     store.setup()
    ...     store.put(("docs",), "a", {"text": "hello"})
"""

from __future__ import annotations

from stategraph.store.postgres._async import AsyncPostgresStore as AsyncPostgresStore
from stategraph.store.postgres._base import (
    PoolConfig as PoolConfig,
    PostgresIndexConfig as PostgresIndexConfig,
)
from stategraph.store.postgres._sync import PostgresStore as PostgresStore

__all__ = ("AsyncPostgresStore", "PoolConfig", "PostgresStore")
