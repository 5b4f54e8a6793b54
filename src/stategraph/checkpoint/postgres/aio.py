"""Async PostgreSQL checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver`` works like
``from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver``.

Example:
    >>> from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
    >>> async with AsyncPostgresSaver.from_conn_string("postgresql://...") as saver:
    ...     await saver.setup()
    ...     graph = builder.compile(checkpointer=saver)
"""

from __future__ import annotations

from typing import Any

from stategraph.checkpoint.postgres._async import AsyncPostgresSaver

# AsyncShallowPostgresSaver and Conn come from __getattr__, on first use.
__all__ = ("AsyncPostgresSaver", "AsyncShallowPostgresSaver", "Conn")  # noqa: F822


def __getattr__(name: str) -> Any:
    # Loaded on first use: the shallow saver module, and psycopg_pool for Conn.
    if name == "AsyncShallowPostgresSaver":
        from stategraph.checkpoint.postgres.shallow import AsyncShallowPostgresSaver

        return AsyncShallowPostgresSaver
    if name == "Conn":
        from psycopg import AsyncConnection
        from psycopg_pool import AsyncConnectionPool

        return AsyncConnection[Any] | AsyncConnectionPool[Any]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
