"""LangGraph's private async connection helper, kept for code that imports it.

``get_connection`` yields the connection itself, or one checked out of a pool
for the duration of the block. It opens nothing and owns no state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

Conn = AsyncConnection[Any] | AsyncConnectionPool[Any]


@asynccontextmanager
async def get_connection(conn: Conn) -> AsyncIterator[AsyncConnection[Any]]:
    """Yield ``conn``, or a connection checked out of the pool ``conn``."""
    if isinstance(conn, AsyncConnection):
        yield conn
    elif isinstance(conn, AsyncConnectionPool):
        async with conn.connection() as checked_out:
            yield checked_out
    else:
        raise TypeError(f"Invalid connection type: {type(conn)!r}")
