"""Sync PostgreSQL store and its settings, under LangGraph's import path."""

from __future__ import annotations

from stategraph.store._match import (
    namespace_match_pattern as _namespace_match_pattern,  # noqa: F401  # LangGraph's
)
from stategraph.store.postgres._base import (
    ANNIndexConfig as ANNIndexConfig,
    HNSWConfig as HNSWConfig,
    IVFFlatConfig as IVFFlatConfig,
    PoolConfig as PoolConfig,
    PostgresIndexConfig as PostgresIndexConfig,
    _escape_like as _escape_like_literal,  # noqa: F401  # LangGraph's private name
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
