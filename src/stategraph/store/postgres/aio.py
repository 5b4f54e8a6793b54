"""Async PostgreSQL store, under LangGraph's import path.

``from stategraph.store.postgres.aio import AsyncPostgresStore`` works like the
same import from ``langgraph.store.postgres.aio``.
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
from stategraph.store.postgres._async import AsyncPostgresStore as AsyncPostgresStore
from stategraph.store.postgres._base import (
    BasePostgresStore as BasePostgresStore,
    PoolConfig as PoolConfig,
    PostgresIndexConfig as PostgresIndexConfig,
    Row as Row,
)

__all__ = ("AsyncPostgresStore",)
