"""Sync SQLite store and its settings, under LangGraph's import path."""

from __future__ import annotations

from stategraph.store._match import (
    namespace_match_pattern as _namespace_match_pattern,  # noqa: F401  # LangGraph's
)
from stategraph.store.sqlite._base import (
    NS_MATCH_FUNCTION as NS_MATCH_FUNCTION,
    BaseSqliteStore as BaseSqliteStore,
    SqliteIndexConfig as SqliteIndexConfig,
    escape_glob_literal as _escape_glob_literal,  # noqa: F401  # LangGraph's
)
from stategraph.store.sqlite._sync import SqliteStore as SqliteStore

__all__ = ("NS_MATCH_FUNCTION", "BaseSqliteStore", "SqliteIndexConfig", "SqliteStore")
