"""LangGraph's private sync connection helper, kept for code that imports it.

``get_connection`` yields the connection itself, or one checked out of a pool
for the duration of the block. It opens nothing and owns no state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

Conn = Connection[Any] | ConnectionPool[Any]


@contextmanager
def get_connection(conn: Conn) -> Iterator[Connection[Any]]:
    """Yield ``conn``, or a connection checked out of the pool ``conn``."""
    if isinstance(conn, Connection):
        yield conn
    elif isinstance(conn, ConnectionPool):
        with conn.connection() as checked_out:
            yield checked_out
    else:
        raise TypeError(f"Invalid connection type: {type(conn)!r}")
