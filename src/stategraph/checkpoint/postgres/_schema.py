"""The Postgres savers' tables as a whole: migrations, locks and maintenance.

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
thread at once.

Maintenance (retention, delete, copy, prune, storage size) turns each call
into statements run in one transaction, the first of which takes the
advisory locks of the threads touched. Nothing here touches the network.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

from stategraph.checkpoint._delta_history import COUNTERS_KEY

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


# Maintenance statements delete checkpoints in a ``gone`` CTE, then collect
# blobs: those of the namespaces touched (``scope``) that no remaining
# checkpoint refers to. One statement sees the rows it deletes, hence the
# explicit exclusion of ``gone`` from ``live``.
_GONE = "RETURNING c.thread_id, c.checkpoint_ns, c.checkpoint_id)"
_DROP_WRITES = f""", gone_writes AS (DELETE FROM checkpoint_writes AS w USING gone AS g
 WHERE {_SAME.format("w", "g")} AND w.checkpoint_id = g.checkpoint_id)"""
_COLLECT = f""", scope AS (SELECT DISTINCT {_KEY} FROM gone),
live (thread_id, checkpoint_ns, key, value) AS (
 SELECT c.thread_id, c.checkpoint_ns, v.key, v.value
 FROM scope AS s JOIN checkpoints AS c USING ({_KEY})
 CROSS JOIN LATERAL jsonb_each_text(c.checkpoint -> 'channel_versions') AS v
 WHERE NOT EXISTS (SELECT 1 FROM gone AS g
  WHERE {_SAME.format("g", "c")} AND g.checkpoint_id = c.checkpoint_id)
 UNION SELECT b.thread_id, b.checkpoint_ns, b.channel, split_part(b.type, ':', 2)
 FROM live AS l JOIN checkpoint_blobs AS b ON {_SAME.format("b", "l")}
  AND b.channel = l.key AND b.version = l.value WHERE b.type LIKE 'sgd:%%')
DELETE FROM checkpoint_blobs AS b USING scope AS s WHERE {_SAME.format("b", "s")}
 AND NOT EXISTS (SELECT 1 FROM live AS l WHERE {_SAME.format("l", "b")}
  AND l.key = b.channel AND l.value = b.version)"""
RETAIN = f"""WITH RECURSIVE cut AS (SELECT checkpoint_id FROM checkpoints
 WHERE {_IN_NS.format("")} ORDER BY checkpoint_id DESC OFFSET %(keep)s LIMIT 1),
gone AS (DELETE FROM checkpoints AS c USING cut WHERE c.{_IN_NS.format("c.")}
 AND c.checkpoint_id <= cut.checkpoint_id {_GONE},
orphans AS (UPDATE checkpoints AS c SET parent_checkpoint_id = NULL FROM cut
 WHERE c.{_IN_NS.format("c.")} AND c.checkpoint_id > cut.checkpoint_id
  AND c.parent_checkpoint_id <= cut.checkpoint_id),
old_writes AS (DELETE FROM checkpoint_writes AS w USING cut
 WHERE w.{_IN_NS.format("w.")} AND w.checkpoint_id <= cut.checkpoint_id){_COLLECT}"""
_HEAD = (
    "h.thread_id = c.thread_id AND h.checkpoint_ns = c.checkpoint_ns AND "
    "h.checkpoint_id = c.checkpoint_id"
)
_KEEP_LATEST = f"""WITH RECURSIVE heads AS (SELECT DISTINCT ON ({_KEY}) {_KEY},
 checkpoint_id FROM checkpoints WHERE thread_id = ANY(%(threads)s::text[])
 ORDER BY {_KEY}, checkpoint_id DESC),
gone AS (DELETE FROM checkpoints AS c WHERE c.thread_id = ANY(%(threads)s::text[])
 AND NOT EXISTS (SELECT 1 FROM heads AS h WHERE {_HEAD}) {_GONE},
orphans AS (UPDATE checkpoints AS c SET parent_checkpoint_id = NULL FROM heads AS h
 WHERE {_HEAD} AND c.parent_checkpoint_id IS NOT NULL){_DROP_WRITES}{_COLLECT}"""
_RUNS = "metadata ->> 'run_id' = ANY(%(runs)s::text[])"
_RUNS_LOCK = f"""SELECT {_LOCK} FROM (SELECT DISTINCT hashtext(thread_id) AS k
 FROM checkpoints WHERE {_RUNS} ORDER BY k) AS s"""
_DELETE_RUNS = f"""WITH RECURSIVE gone AS (DELETE FROM checkpoints AS c WHERE c.{_RUNS}
 {_GONE}{_DROP_WRITES}{_COLLECT}"""
_COPY = (
    f"""INSERT INTO checkpoints SELECT %(target)s, checkpoint_ns, checkpoint_id,
 parent_checkpoint_id, type, checkpoint, metadata FROM checkpoints
 WHERE thread_id = %(source)s ON CONFLICT ({_KEY}, checkpoint_id) DO UPDATE SET
 parent_checkpoint_id = excluded.parent_checkpoint_id, type = excluded.type,
 checkpoint = excluded.checkpoint, metadata = excluded.metadata""",
    """INSERT INTO checkpoint_blobs SELECT %(target)s, checkpoint_ns, channel,
 version, type, blob FROM checkpoint_blobs WHERE thread_id = %(source)s
 ON CONFLICT DO NOTHING""",
    f"""INSERT INTO checkpoint_writes ({_KEY}, checkpoint_id, task_id, idx, channel,
 type, blob, task_path) SELECT %(target)s, checkpoint_ns, checkpoint_id, task_id,
 idx, channel, type, blob, task_path FROM checkpoint_writes
 WHERE thread_id = %(source)s ON CONFLICT ({_KEY}, checkpoint_id, task_id, idx)
 DO UPDATE SET {_WRITE_COLUMNS}, task_path = excluded.task_path""",
)
PRUNE_STRATEGIES = ("keep_latest", "delete")
_SIZE = "(SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {} AS t {})"
STORAGE_SIZE_SQL = "SELECT ({})::bigint".format(
    " + ".join(_SIZE.format(t, "WHERE t.thread_id = %(thread_id)s") for t in _TABLES)
)


def delta_threads_statement(thread_ids: Sequence[str]) -> Statement:
    """The threads among ``thread_ids`` whose checkpoints show delta channels."""
    sql = """SELECT DISTINCT thread_id FROM checkpoints
 WHERE thread_id = ANY(%(threads)s::text[]) AND metadata ? %(key)s"""
    return sql, {"threads": [str(t) for t in thread_ids], "key": COUNTERS_KEY}


def delete_threads_statements(thread_ids: Sequence[str]) -> list[Statement]:
    """Lock the threads, then delete all their rows."""
    ids = [str(t) for t in thread_ids]
    delete = "DELETE FROM {} WHERE thread_id = ANY(%s::text[])"
    return [(_LOCK_MANY, (ids,))] + [(delete.format(t), (ids,)) for t in _TABLES]


def delete_for_runs_statements(run_ids: Sequence[str]) -> list[Statement]:
    """Lock the threads the runs wrote to, then delete their checkpoints."""
    params = {"runs": [str(r) for r in run_ids]}
    return [(_RUNS_LOCK, params), (_DELETE_RUNS, params)]


def copy_thread_statements(source: str, target: str) -> list[Statement]:
    """Lock both threads, then copy every row of ``source`` under ``target``."""
    params = {"source": str(source), "target": str(target)}
    lock = (_LOCK_MANY, ([params["source"], params["target"]],))
    return [lock, *((sql, params) for sql in _COPY)]


def prune_statements(thread_ids: Sequence[str], strategy: str) -> list[Statement]:
    """Statements of ``prune``; see ``PostgresSaver.prune``."""
    if isinstance(thread_ids, str):
        raise TypeError("thread_ids must be a sequence of thread ids, not a str")
    if strategy not in PRUNE_STRATEGIES:
        raise ValueError(
            f"Unknown prune strategy {strategy!r}; use 'keep_latest' or 'delete'"
        )
    ids = [str(t) for t in thread_ids]
    if not ids:
        return []
    if strategy == "delete":
        return delete_threads_statements(ids)
    return [(_LOCK_MANY, (ids,)), (_KEEP_LATEST, {"threads": ids})]
