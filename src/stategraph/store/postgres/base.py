"""Sync PostgreSQL store and its settings, under LangGraph's import path."""

from __future__ import annotations

from stategraph.store.postgres._base import (
    ANNIndexConfig as ANNIndexConfig,
    HNSWConfig as HNSWConfig,
    IVFFlatConfig as IVFFlatConfig,
    PoolConfig as PoolConfig,
    PostgresIndexConfig as PostgresIndexConfig,
)
from stategraph.store.postgres._sync import PostgresStore as PostgresStore

__all__ = (
    "ANNIndexConfig",
    "HNSWConfig",
    "IVFFlatConfig",
    "PoolConfig",
    "PostgresIndexConfig",
    "PostgresStore",
)
