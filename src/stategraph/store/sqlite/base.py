"""Sync SQLite store and its settings, under LangGraph's import path."""

from __future__ import annotations

from stategraph.store.sqlite._base import SqliteIndexConfig as SqliteIndexConfig
from stategraph.store.sqlite._sync import SqliteStore as SqliteStore

__all__ = ("SqliteIndexConfig", "SqliteStore")
