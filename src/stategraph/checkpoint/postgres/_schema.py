"""The Postgres savers' tables and locks: migrations, lock keys, shared SQL parts.

The tables are LangGraph's, column for column, so either library reads what
the other wrote: ``checkpoints`` (JSONB header with small scalar channel
values inline, JSONB metadata), ``checkpoint_blobs`` (other channel values,
one row per thread, namespace, channel and version, written once) and
``checkpoint_writes`` (pending writes, with their task path).

Writers of a thread serialize on a transaction-level advisory lock keyed by
``(THREAD_LOCK_CLASS, hashtext(thread_id))``; ``setup`` serializes on
``(SETUP_LOCK_CLASS, 0)``. A root run holds the session-level advisory
lock ``run_lock_keys(schema, thread_id)`` on one connection from its start
to its end (the ``thread_lock`` option), so two processes never run one
thread at once. Nothing here touches the network.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

Rows = Sequence[Sequence[Any]]
Statement = tuple[str, Any]
"""A SQL string and its bound parameters (a sequence or a mapping)."""
THREAD_LOCK_CLASS = 0x5347_5450
"""First key of the per-thread advisory lock (``'SGTP'``); the second is the
``hashtext`` of the thread id."""
SETUP_LOCK_CLASS = 0x5347_5355
"""First key of the advisory lock ``setup`` holds while migrating (``'SGSU'``)."""
RUN_TRY_LOCK_SQL = "SELECT pg_try_advisory_lock(%s, %s)"
RUN_UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, %s)"
RUN_SCOPE_SQL = """SELECT current_database(), current_schema(),
 host(inet_server_addr()), inet_server_port(), EXISTS (SELECT 1 FROM pg_settings
 WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))"""
"""Names the saver's tables (the run lock of a thread is per schema), and
whether the server compresses with lz4 (see ``LZ4``)."""


def _int4(text: str) -> int:
    value = zlib.crc32(text.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def run_lock_keys(schema: str, thread_id: str) -> tuple[int, int]:
    """The two ``int4`` keys of a thread's run lock (same in every process).

    The first is a checksum of ``"sg_run:" + schema`` (tables in another
    schema are another thread), the second one of the thread id.
    """
    return _int4("sg_run:" + schema), _int4(thread_id)


_LOCK = f"pg_advisory_xact_lock({THREAD_LOCK_CLASS}, k)"
_LOCK_MANY = f"""SELECT {_LOCK} FROM (SELECT DISTINCT hashtext(t) AS k
 FROM unnest(%s::text[]) AS t ORDER BY k) AS s"""
_KEY = "thread_id, checkpoint_ns"
_NULL_VERSIONS = ["SELECT 1"] * 4  # LangGraph left version 5 empty, and its
# versions 6-8 add thread_id indexes, which the primary keys already provide.

# Position = version number, as LangGraph numbers them; same resulting tables.
MIGRATIONS: list[str] = [
    "CREATE TABLE IF NOT EXISTS checkpoint_migrations (v INTEGER PRIMARY KEY)",
    f"""CREATE TABLE IF NOT EXISTS checkpoints (thread_id TEXT NOT NULL,
 checkpoint_ns TEXT NOT NULL DEFAULT '', checkpoint_id TEXT NOT NULL,
 parent_checkpoint_id TEXT, type TEXT, checkpoint JSONB NOT NULL,
 metadata JSONB NOT NULL DEFAULT '{{}}', PRIMARY KEY ({_KEY}, checkpoint_id))""",
    f"""CREATE TABLE IF NOT EXISTS checkpoint_blobs (thread_id TEXT NOT NULL,
 checkpoint_ns TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL, version TEXT NOT NULL,
 type TEXT NOT NULL, blob BYTEA, PRIMARY KEY ({_KEY}, channel, version))""",
    f"""CREATE TABLE IF NOT EXISTS checkpoint_writes (thread_id TEXT NOT NULL,
 checkpoint_ns TEXT NOT NULL DEFAULT '', checkpoint_id TEXT NOT NULL,
 task_id TEXT NOT NULL, idx INTEGER NOT NULL, channel TEXT NOT NULL, type TEXT,
 blob BYTEA NOT NULL, task_path TEXT NOT NULL DEFAULT '',
 PRIMARY KEY ({_KEY}, checkpoint_id, task_id, idx))""",
    "ALTER TABLE checkpoint_blobs ALTER COLUMN blob DROP NOT NULL",
    *_NULL_VERSIONS,
    "ALTER TABLE checkpoint_writes ADD COLUMN IF NOT EXISTS task_path TEXT "
    "NOT NULL DEFAULT ''",
]
SETUP_LOCK_SQL = f"SELECT pg_advisory_xact_lock({SETUP_LOCK_CLASS}, 0)"
CURRENT_VERSION_SQL = "SELECT max(v) FROM checkpoint_migrations"
RECORD_VERSION_SQL = "INSERT INTO checkpoint_migrations (v) VALUES (%s)"
_SAME = "{0}.thread_id = {1}.thread_id AND {0}.checkpoint_ns = {1}.checkpoint_ns"
_IN_NS = "thread_id = %(thread_id)s AND {0}checkpoint_ns = %(ns)s"
_WRITE_COLUMNS = (
    "channel = excluded.channel, type = excluded.type, blob = excluded.blob"
)
_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


def migration_statements(current: int) -> list[Statement]:
    """Statements bringing a schema at migration ``current`` to the latest one."""
    out: list[Statement] = []
    for version in range(current + 1, len(MIGRATIONS)):
        out += [(MIGRATIONS[version], None), (RECORD_VERSION_SQL, (version,))]
    return out
