"""SQL text and schema migrations shared by the SQLite savers.

Nothing here touches a connection: the plans of ``_read`` and ``_write`` use
these statements, and the sync and async savers run the plans.

Storage layout (tables are prefixed ``sg_`` so a LangGraph database in the
same file is left alone):

- ``sg_checkpoints``: one row per checkpoint. ``header`` is the checkpoint
  serialized without ``channel_values`` and ``channel_versions``;
  ``channel_versions`` is a JSON object (so SQL can join it against
  ``sg_blobs``); ``metadata`` is serialized with the saver's serializer, and
  ``source``/``step``/``run_id`` are copied out of it for filtering.
- ``sg_blobs``: one row per ``(thread, namespace, channel, version)``: a
  channel value is written once, when its version changes, and shared by
  every checkpoint that has that version.
- ``sg_writes``: pending writes keyed by ``(thread, namespace, checkpoint,
  task_id, idx)``, with the ``task_path`` that orders them.
- ``sg_leases``: optional per-thread writer leases.
- ``sg_migrations``: the schema versions applied to the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Row = Sequence[Any]
Rows = list[Any]


@dataclass(frozen=True)
class Query:
    """One statement of a plan.

    Attributes:
        sql: Statement text (always one of the constants of this module).
        params: Bound parameters, or a sequence of them when ``many``.
        many: Run with ``executemany``; the plan is sent ``[]`` back.
    """

    sql: str
    params: Sequence[Any] = ()
    many: bool = False


Plan = Generator[Query, Rows, T]
"""A storage operation: yields queries, receives their rows, returns a result."""


class ThreadLeasedError(RuntimeError):
    """Another saver holds the writer lease of the thread this put targets."""


OperationalError = sqlite3.OperationalError
"""What SQLite raises for a locked file (among others); aiosqlite re-raises it."""


def check_keep_last(keep_last: int | None) -> int | None:
    """Validate the ``keep_last`` option of the savers.

    Raises:
        ValueError: Unless ``keep_last`` is ``None`` or an integer >= 1.
    """
    if keep_last is not None and (
        isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1
    ):
        raise ValueError(
            f"keep_last must be None or an integer >= 1, not {keep_last!r}"
        )
    return keep_last


# -- schema ----------------------------------------------------------------------

PRAGMA_WAL = "PRAGMA journal_mode=WAL"
SYNCHRONOUS = {
    "NORMAL": "PRAGMA synchronous=NORMAL",
    "FULL": "PRAGMA synchronous=FULL",
    "EXTRA": "PRAGMA synchronous=EXTRA",
}


# Switching a file to WAL needs an exclusive lock, and SQLite reports "database
# is locked" at once (without its busy handler) when another connection is
# opening the same file: savers retry after these delays (about 5 s in all).
WAL_RETRY_DELAYS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.0, 2.0)


def is_locked(exc: Exception) -> bool:
    """Say whether ``exc`` is SQLite's transient "database is locked"."""
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)


def connection_pragmas(synchronous: str | None, journal_mode: str) -> list[str]:
    """Return the per-connection pragmas to run once the journal mode is known.

    ``NORMAL`` is applied only in WAL mode, where it cannot corrupt the file.

    Raises:
        ValueError: For a ``synchronous`` value other than ``None`` or a key
            of ``SYNCHRONOUS``.
    """
    if synchronous is None:
        return []
    if synchronous not in SYNCHRONOUS:
        raise ValueError(
            f"synchronous must be None, 'NORMAL', 'FULL' or 'EXTRA', "
            f"not {synchronous!r}"
        )
    if synchronous == "NORMAL" and journal_mode.lower() != "wal":
        return []
    return [SYNCHRONOUS[synchronous]]


CREATE_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS sg_migrations "
    "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
)
SELECT_MIGRATED = "SELECT COALESCE(MAX(version), 0) FROM sg_migrations"
INSERT_MIGRATION = "INSERT INTO sg_migrations (version, applied_at) VALUES (?, ?)"

# Columns without a declared type (source, step, version) keep values exactly
# as bound, so ``1`` and ``'1'`` stay different, as they are in Python. Values
# and writes are clustered on their key (WITHOUT ROWID): no second index
# repeating the key; checkpoints keep a rowid, which batched reads join on.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE IF NOT EXISTS sg_checkpoints (
                thread_id TEXT NOT NULL,
                checkpoint_ns TEXT NOT NULL DEFAULT '',
                checkpoint_id TEXT NOT NULL,
                parent_checkpoint_id TEXT,
                header_type TEXT NOT NULL,
                header BLOB NOT NULL,
                channel_versions TEXT NOT NULL,
                metadata_type TEXT NOT NULL,
                metadata BLOB NOT NULL,
                source,
                step,
                run_id TEXT,
                PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))""",
            """CREATE INDEX IF NOT EXISTS sg_checkpoints_run_id
                ON sg_checkpoints (run_id) WHERE run_id IS NOT NULL""",
            """CREATE TABLE IF NOT EXISTS sg_blobs (
                thread_id TEXT NOT NULL,
                checkpoint_ns TEXT NOT NULL,
                channel TEXT NOT NULL,
                version NOT NULL,
                type TEXT NOT NULL,
                blob BLOB,
                PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
            ) WITHOUT ROWID""",
            """CREATE TABLE IF NOT EXISTS sg_writes (
                thread_id TEXT NOT NULL,
                checkpoint_ns TEXT NOT NULL,
                checkpoint_id TEXT NOT NULL,
                task_id TEXT NOT NULL,
                idx INTEGER NOT NULL,
                task_path TEXT NOT NULL DEFAULT '',
                channel TEXT NOT NULL,
                type TEXT NOT NULL,
                value BLOB,
                PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
            ) WITHOUT ROWID""",
        ),
    ),
    (
        2,
        (
            """CREATE TABLE IF NOT EXISTS sg_leases (
                thread_id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                expires_at REAL NOT NULL)""",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# -- writing -----------------------------------------------------------------------

# The checkpoint row goes in only while no other saver holds a live lease on
# the thread; RETURNING tells the plan whether it did.
INSERT_CHECKPOINT = """INSERT OR REPLACE INTO sg_checkpoints (thread_id, checkpoint_ns,
    checkpoint_id, parent_checkpoint_id, header_type, header, channel_versions,
    metadata_type, metadata, source, step, run_id)
    SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM sg_leases
        WHERE thread_id = ? AND owner <> ? AND expires_at > ?)
    RETURNING checkpoint_id"""
UPSERT_BLOB = """INSERT OR REPLACE INTO sg_blobs
    (thread_id, checkpoint_ns, channel, version, type, blob)
    VALUES (?, ?, ?, ?, ?, ?)"""
# Parameters: thread, namespace, channel, version, type, blob, then the base
# version, type and payload of a splice (``_splice``), stored instead only
# while the base row exists.
UPSERT_SPLICE = """INSERT OR REPLACE INTO sg_blobs
    (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT ?1, ?2, ?3, ?4, CASE WHEN ok THEN ?8 ELSE ?5 END,
        CASE WHEN ok THEN ?9 ELSE ?6 END
    FROM (SELECT ?7 IS NOT NULL AND EXISTS (SELECT 1 FROM sg_blobs
        WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND channel = ?3
            AND version = ?7) AS ok)"""
# The base version named by a splice's type ``sgd:<base>:<type>``.
_BASE_OF = "substr({0}.type, 5, instr(substr({0}.type, 5), ':') - 1)"
# Rows of the (thread, ns, channel, version)s in ?1 (a JSON list of lists)
# and, recursively, the bases of those that are splices.
SELECT_SPLICE_CHAIN = f"""WITH RECURSIVE chain(thread_id, checkpoint_ns, channel,
        version, type, blob) AS (
    SELECT b.thread_id, b.checkpoint_ns, b.channel, b.version, b.type, b.blob
    FROM json_each(?1) AS w JOIN sg_blobs AS b
        ON b.thread_id = json_extract(w.value, '$[0]')
        AND b.checkpoint_ns = json_extract(w.value, '$[1]')
        AND b.channel = json_extract(w.value, '$[2]')
        AND b.version = json_extract(w.value, '$[3]')
    UNION
    SELECT b.thread_id, b.checkpoint_ns, b.channel, b.version, b.type, b.blob
    FROM chain AS c JOIN sg_blobs AS b ON b.thread_id = c.thread_id
        AND b.checkpoint_ns = c.checkpoint_ns AND b.channel = c.channel
        AND b.version = {_BASE_OF.format("c")}
    WHERE c.type LIKE 'sgd:%')
SELECT * FROM chain"""
# (namespace, channel, version) of the values the checkpoints of thread ?1
# (with ``{where}``) use, and of the splice bases those need, recursively.
_LIVE = f"""WITH RECURSIVE live(ns, channel, version) AS (
        SELECT c.checkpoint_ns, j.key, j.value
        FROM sg_checkpoints AS c, json_each(c.channel_versions) AS j
        WHERE c.thread_id = ?1{{where}}
        UNION
        SELECT b.checkpoint_ns, b.channel, {_BASE_OF.format("b")}
        FROM live JOIN sg_blobs AS b ON b.thread_id = ?1
            AND b.checkpoint_ns = live.ns AND b.channel = live.channel
            AND b.version = live.version
        WHERE b.type LIKE 'sgd:%')
    SELECT ns, channel, version FROM live"""
_WRITE_COLUMNS = """INTO sg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id,
    idx, task_path, channel, type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
INSERT_WRITE_KEEP = "INSERT OR IGNORE " + _WRITE_COLUMNS
INSERT_WRITE_REPLACE = "INSERT OR REPLACE " + _WRITE_COLUMNS

# -- reading -----------------------------------------------------------------------

_CHECKPOINT_COLUMNS = """SELECT rowid, thread_id, checkpoint_ns, checkpoint_id,
    parent_checkpoint_id, header_type, header, channel_versions, metadata_type,
    metadata FROM sg_checkpoints"""
SELECT_BY_ID = (
    _CHECKPOINT_COLUMNS
    + " WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
)
SELECT_LATEST = (
    _CHECKPOINT_COLUMNS
    + " WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1"
)
# ``list`` joins a subset of these constant predicates; values are bound.
LIST_SELECT = _CHECKPOINT_COLUMNS
LIST_PREDICATES = {
    "thread": "thread_id = ?",
    "ns": "checkpoint_ns = ?",
    "id": "checkpoint_id = ?",
    "before": "checkpoint_id < ?",
    "source": "source = ?",
    "step": "step = ?",
    "run_id": "run_id = ?",
    "after": "(checkpoint_id, thread_id, checkpoint_ns) < (?, ?, ?)",
}
LIST_ORDER = " ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC LIMIT ?"
# Values and writes of a batch of checkpoint rows, named by a JSON list of rowids.
# (A corrupt version map selects no values here; decoding the row reports it.)
SELECT_BLOBS = """SELECT c.rowid, j.key, b.type, b.blob
    FROM sg_checkpoints AS c, json_each(CASE WHEN json_valid(c.channel_versions)
        THEN c.channel_versions ELSE '{}' END) AS j
    JOIN sg_blobs AS b ON b.thread_id = c.thread_id
        AND b.checkpoint_ns = c.checkpoint_ns AND b.channel = j.key
        AND b.version = j.value
    WHERE c.rowid IN (SELECT value FROM json_each(?))"""
SELECT_WRITES = """SELECT c.rowid, w.task_id, w.channel, w.type, w.value
    FROM sg_checkpoints AS c JOIN sg_writes AS w ON w.thread_id = c.thread_id
        AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id
    WHERE c.rowid IN (SELECT value FROM json_each(?))
    ORDER BY w.task_path, w.task_id, w.idx"""

# -- maintenance ---------------------------------------------------------------

DELETE_THREAD = (
    "DELETE FROM sg_checkpoints WHERE thread_id = ?",
    "DELETE FROM sg_writes WHERE thread_id = ?",
    "DELETE FROM sg_blobs WHERE thread_id = ?",
)
SELECT_RUN_CHECKPOINTS = """SELECT thread_id, checkpoint_ns, checkpoint_id
    FROM sg_checkpoints WHERE run_id IN (SELECT value FROM json_each(?))"""
DELETE_CHECKPOINT = """DELETE FROM sg_checkpoints
    WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"""
DELETE_CHECKPOINT_WRITES = """DELETE FROM sg_writes
    WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"""
# Blobs of a thread that no remaining checkpoint of it refers to.
COLLECT_THREAD_BLOBS = f"""DELETE FROM sg_blobs WHERE thread_id = ?1
    AND (checkpoint_ns, channel, version) NOT IN ({_LIVE.format(where="")})"""
COPY_THREAD = (
    """INSERT OR REPLACE INTO sg_checkpoints (thread_id, checkpoint_ns,
        checkpoint_id, parent_checkpoint_id, header_type, header, channel_versions,
        metadata_type, metadata, source, step, run_id)
    SELECT ?2, checkpoint_ns, checkpoint_id, parent_checkpoint_id, header_type,
        header, channel_versions, metadata_type, metadata, source, step, run_id
    FROM sg_checkpoints WHERE thread_id = ?1 ORDER BY checkpoint_id""",
    """INSERT OR REPLACE INTO sg_blobs
        (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT ?2, checkpoint_ns, channel, version, type, blob
    FROM sg_blobs WHERE thread_id = ?1""",
    """INSERT OR REPLACE INTO sg_writes (thread_id, checkpoint_ns, checkpoint_id,
        task_id, idx, task_path, channel, type, value)
    SELECT ?2, checkpoint_ns, checkpoint_id, task_id, idx, task_path, channel,
        type, value
    FROM sg_writes WHERE thread_id = ?1""",
)
# Prune to the newest checkpoint of each namespace of a thread.
PRUNE_KEEP_LATEST = tuple(
    f"""DELETE FROM {table} WHERE thread_id = ?1 AND checkpoint_id < (
        SELECT MAX(c.checkpoint_id) FROM sg_checkpoints AS c
        WHERE c.thread_id = ?1 AND c.checkpoint_ns = {table}.checkpoint_ns)"""
    for table in ("sg_writes", "sg_checkpoints")
)
SELECT_THREAD_METADATA = """SELECT thread_id, metadata_type, metadata
    FROM sg_checkpoints WHERE thread_id IN (SELECT value FROM json_each(?))"""
# Retention: id of the newest checkpoint *not* kept, then what is older goes.
RETENTION_CUTOFF = """SELECT checkpoint_id FROM sg_checkpoints
    WHERE thread_id = ? AND checkpoint_ns = ?
    ORDER BY checkpoint_id DESC LIMIT 1 OFFSET ?"""
_KEPT = " AND c.checkpoint_ns = ?2 AND c.checkpoint_id > ?3"
RETENTION_BLOBS = f"""DELETE FROM sg_blobs
    WHERE thread_id = ?1 AND checkpoint_ns = ?2
    AND (checkpoint_ns, channel, version) NOT IN ({_LIVE.format(where=_KEPT)})"""
RETENTION_DELETE = tuple(
    f"""DELETE FROM {table}
    WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id <= ?"""
    for table in ("sg_writes", "sg_checkpoints")
)
STORAGE_SIZE = """SELECT
    (SELECT COALESCE(SUM(length(CAST(thread_id AS BLOB))
        + length(CAST(checkpoint_ns AS BLOB)) + length(CAST(checkpoint_id AS BLOB))
        + COALESCE(length(CAST(parent_checkpoint_id AS BLOB)), 0)
        + length(header) + length(CAST(channel_versions AS BLOB))
        + length(metadata)), 0) FROM sg_checkpoints WHERE thread_id = ?1)
    + (SELECT COALESCE(SUM(length(CAST(thread_id AS BLOB))
        + length(CAST(checkpoint_ns AS BLOB)) + length(CAST(channel AS BLOB))
        + length(CAST(version AS BLOB)) + COALESCE(length(blob), 0)), 0)
        FROM sg_blobs WHERE thread_id = ?1)
    + (SELECT COALESCE(SUM(length(CAST(thread_id AS BLOB))
        + length(CAST(checkpoint_ns AS BLOB)) + length(CAST(checkpoint_id AS BLOB))
        + length(CAST(task_id AS BLOB)) + length(CAST(task_path AS BLOB))
        + length(CAST(channel AS BLOB)) + COALESCE(length(value), 0)), 0)
        FROM sg_writes WHERE thread_id = ?1)"""

# -- leases ------------------------------------------------------------------------

SELECT_LEASE = "SELECT owner, expires_at FROM sg_leases WHERE thread_id = ?"
UPSERT_LEASE = (
    "INSERT OR REPLACE INTO sg_leases (thread_id, owner, expires_at) VALUES (?, ?, ?)"
)
RENEW_LEASE = "UPDATE sg_leases SET expires_at = ? WHERE thread_id = ? AND owner = ?"
RELEASE_LEASE = "DELETE FROM sg_leases WHERE thread_id = ? AND owner = ?"
