"""PostgreSQL checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.postgres import PostgresSaver`` works like
``from langgraph.checkpoint.postgres import PostgresSaver``, on the same tables:
stategraph reads what LangGraph wrote, and LangGraph reads what stategraph
wrote with ``splice_every=0`` (by default a list value that grew is stored as a
splice of its previous version, which only stategraph reads; see
``stategraph.checkpoint._splice``). Commits do not wait for the server's WAL
flush unless ``synchronous="FULL"`` (checkpoints) or ``"EXTRA"`` (every
commit, as LangGraph's saver) says so: see ``PostgresSaver``. The async saver
lives in ``stategraph.checkpoint.postgres.aio``; importing this module never
imports ``psycopg_pool``.

One process runs a thread at a time: a root run (not a subgraph, not a
state read or update) holds a session-level advisory lock on the thread
from start to end, on the saver's connection (with a pool, on one extra
connection the saver opens), which the server drops when that session ends, so a
killed process never blocks a thread. A run in another process waits for
it (``thread_lock="wait"``, default; ``thread_lock_timeout=S`` raises
``stategraph.errors.ThreadBusyError`` after ``S`` seconds), fails at once
(``"raise"``) or runs anyway as with LangGraph (``"off"``). Runs of one
process share the lock. Every write also takes a transaction-level lock on
its thread, so writers never interleave inside a checkpoint.

Example:
    >>> from stategraph.checkpoint.postgres import PostgresSaver
    >>> with PostgresSaver.from_conn_string("postgresql://...") as saver:
    ...     saver.setup()
    ...     graph = builder.compile(checkpointer=saver)
"""

from __future__ import annotations

from typing import Any

from stategraph.checkpoint.postgres._saver import BasePostgresSaver
from stategraph.checkpoint.postgres._sync import PostgresSaver

__all__ = ("BasePostgresSaver", "Conn", "PostgresSaver", "ShallowPostgresSaver")


def __getattr__(name: str) -> Any:
    # Loaded on first use: the shallow saver module, and psycopg_pool for Conn.
    if name == "ShallowPostgresSaver":
        from stategraph.checkpoint.postgres.shallow import ShallowPostgresSaver

        return ShallowPostgresSaver
    if name == "Conn":
        from psycopg import Connection
        from psycopg_pool import ConnectionPool

        return Connection[Any] | ConnectionPool[Any]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
