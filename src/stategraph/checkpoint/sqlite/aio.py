"""Asyncio SQLite checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver`` works like
LangGraph's; it needs the ``aiosqlite`` package (``stategraph[sqlite]``).
Storage, retention and leases are those of ``SqliteSaver``.
"""

from __future__ import annotations

from stategraph.checkpoint.sqlite._async import AsyncSqliteSaver
from stategraph.checkpoint.sqlite._base import ThreadLeasedError

__all__ = ("AsyncSqliteSaver", "ThreadLeasedError")
