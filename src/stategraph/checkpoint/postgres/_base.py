"""Pure core of the Postgres savers: migrations, every SQL statement, row mapping.

Nothing here touches the network: methods turn calls into statements
(``(sql, params)`` pairs) and rows into ``CheckpointTuple``s, and the I/O
wrappers in ``_sync``/``_async`` only run them, so both savers write and read
the very same rows. Every value reaches SQL as a bound parameter.

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
"""

from __future__ import annotations

import functools
import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from psycopg.types.json import Jsonb

from stategraph._config import RunnableConfig
from stategraph._constants import TASKS
from stategraph.checkpoint._delta_history import COUNTERS_KEY
from stategraph.checkpoint._splice import (
    base_of,
    is_spliced,
)
from stategraph.checkpoint.base import (
    get_checkpoint_id,
)

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
INLINE_STR_MAX = 256
"""Longest string value kept inline in the checkpoint row instead of a blob."""


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
_UTF8 = "convert_to({}, 'UTF8')"
_ROWS = "ARRAY[{}]".format(
    ", ".join(_UTF8.format(f"w.{c}") for c in ("task_id", "channel", "type"))
    + ", w.blob, "
    + ", ".join(_UTF8.format(f"w.{c}") for c in ("task_path", "idx::text"))
)
_SELECT = f"""SELECT c.thread_id, c.checkpoint_ns, c.checkpoint_id,
 c.parent_checkpoint_id, c.checkpoint::text, c.metadata::text,
 (SELECT array_agg(ARRAY[{_UTF8.format("b.channel")}, {_UTF8.format("b.type")}, b.blob])
  FROM jsonb_each_text(c.checkpoint -> 'channel_versions') AS v
  CROSS JOIN LATERAL (SELECT * FROM checkpoint_blobs AS b
   WHERE {_SAME.format("b", "c")} AND b.channel = v.key AND b.version = v.value
   LIMIT 1) AS b),
 (SELECT array_agg({_ROWS}) FROM checkpoint_writes AS w
  WHERE {_SAME.format("w", "c")} AND w.checkpoint_id = c.checkpoint_id),
 CASE WHEN c.checkpoint -> 'v' < '4'::jsonb AND c.parent_checkpoint_id IS NOT NULL
 THEN (SELECT array_agg({_ROWS}) FROM checkpoint_writes AS w
  WHERE {_SAME.format("w", "c")} AND w.checkpoint_id = c.parent_checkpoint_id
   AND w.channel = '{TASKS}') END
FROM checkpoints AS c"""
_WHERE = {
    "thread_id": "c.thread_id = %(thread_id)s",
    "ns": "c.checkpoint_ns = %(ns)s",
    "id": "c.checkpoint_id = %(id)s",
    "filter": "c.metadata @> %(filter)s::jsonb",
    "before": "c.checkpoint_id < %(before)s",
}

PUT_LOCK = f"WITH lock AS (SELECT {_LOCK} FROM hashtext(%(thread_id)s::text) AS k)"
# The same lock, and commit without waiting for the WAL flush (see
# ``synchronous``): set_config(..., true) lasts until the transaction ends.
PUT_LOCK_ASYNC = PUT_LOCK.replace(
    " FROM", ", set_config('synchronous_commit', 'off', true) FROM", 1
)
# Where the server has it, a write compresses the values it stores out of line
# (large checkpoints and blobs) with lz4: several times faster than the
# default pglz, for a few percent more bytes; reads need nothing.
LZ4 = {
    lock: lock.replace(
        " FROM", ", set_config('default_toast_compression', 'lz4', true) FROM", 1
    )
    for lock in (PUT_LOCK, PUT_LOCK_ASYNC)
}
# A value goes in spliced onto its base version (``_splice``) only while that
# base row exists; otherwise in full. Rows: (channel, version, type, blob,
# base version or NULL, spliced type, splice payload).
_PUT_BLOBS = f""", blobs AS (INSERT INTO checkpoint_blobs
 SELECT %(thread_id)s::text, %(ns)s::text, b.c, b.v, CASE WHEN {{based}} THEN b.st
 ELSE b.t END, CASE WHEN {{based}} THEN b.sd ELSE b.d END
 FROM lock, ({{rows}}) AS b (c, v, t, d, base, st, sd)
 ON CONFLICT ({_KEY}, channel, version) DO NOTHING)"""
_BASED = """b.base IS NOT NULL AND EXISTS (SELECT 1 FROM checkpoint_blobs AS x
 WHERE x.thread_id = %(thread_id)s AND x.checkpoint_ns = %(ns)s AND x.channel = b.c
  AND x.version = b.base)"""
BLOB_TYPES = ("text", "text", "text", "bytea", "text", "text", "bytea")
WRITE_TYPES = ("int", "text", "text", "bytea")
PUT_CHECKPOINT = f"""
INSERT INTO checkpoints ({_KEY}, checkpoint_id, parent_checkpoint_id, checkpoint,
 metadata) SELECT %(thread_id)s::text, %(ns)s::text, %(checkpoint_id)s::text,
 %(parent_id)s::text, %(checkpoint)s, %(metadata)s FROM lock
ON CONFLICT ({_KEY}, checkpoint_id) DO UPDATE SET checkpoint = excluded.checkpoint,
 parent_checkpoint_id = excluded.parent_checkpoint_id, metadata = excluded.metadata"""
# The writes of ``put_step``, in the statement that stores the checkpoint. Rows:
# (checkpoint id, task id, task path, idx, channel, type, blob).
STEP_WRITE_TYPES = ("text", "text", "text", "int", "text", "text", "bytea")
_STEP_WRITES = """, writes AS (INSERT INTO checkpoint_writes ({key}, checkpoint_id,
 task_id, task_path, idx, channel, type, blob) SELECT %(thread_id)s::text,
 %(ns)s::text, w.* FROM lock, ({{rows}}) AS w
ON CONFLICT ({key}, checkpoint_id, task_id, idx) DO UPDATE SET {columns},
 task_path = excluded.task_path WHERE excluded.idx < 0)"""
_WRITE_COLUMNS = (
    "channel = excluded.channel, type = excluded.type, blob = excluded.blob"
)
STEP_WRITES = _STEP_WRITES.format(key=_KEY, columns=_WRITE_COLUMNS)
PUT_WRITES = f"""{{lock}} INSERT INTO checkpoint_writes ({_KEY}, checkpoint_id,
 task_id, task_path, idx, channel, type, blob) SELECT %(thread_id)s::text,
 %(ns)s::text, %(checkpoint_id)s::text, %(task_id)s::text, %(task_path)s::text, w.*
 FROM lock, ({{rows}}) AS w
ON CONFLICT ({_KEY}, checkpoint_id, task_id, idx) DO UPDATE SET {_WRITE_COLUMNS},
 task_path = excluded.task_path WHERE excluded.idx < 0"""

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
_IN_NS = "thread_id = %(thread_id)s AND {0}checkpoint_ns = %(ns)s"
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
_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
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
# Rows of the requested (thread, namespace, channel, version)s and, recursively,
# the bases of those that are splices.
_CHAIN = """WITH RECURSIVE chain (thread_id, checkpoint_ns, channel, version, type,
 blob) AS (SELECT b.thread_id, b.checkpoint_ns, b.channel, b.version, b.type, b.blob
 FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS w (t, n, c, v)
 JOIN checkpoint_blobs AS b ON b.thread_id = w.t AND b.checkpoint_ns = w.n
  AND b.channel = w.c AND b.version = w.v
 UNION SELECT b.thread_id, b.checkpoint_ns, b.channel, b.version, b.type, b.blob
 FROM chain AS c JOIN checkpoint_blobs AS b ON b.thread_id = c.thread_id
  AND b.checkpoint_ns = c.checkpoint_ns AND b.channel = c.channel
  AND b.version = split_part(c.type, ':', 2) WHERE c.type LIKE 'sgd:%%')
SELECT * FROM chain"""
SYNCHRONOUS = ("EXTRA", "FULL", "NORMAL")
PRUNE_STRATEGIES = ("keep_latest", "delete")
_SIZE = "(SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {} AS t {})"
STORAGE_SIZE_SQL = "SELECT ({})::bigint".format(
    " + ".join(_SIZE.format(t, "WHERE t.thread_id = %(thread_id)s") for t in _TABLES)
)


def _raw(data: bytes) -> bytes:
    return data


def jsonb(obj: Any) -> Jsonb:
    """Encode now, so that no reference to a live object is kept, as JSONB."""
    return Jsonb(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS), dumps=_raw)


_LETTERS = "abcdefgh"


def rows_params(rows: Sequence[Sequence[Any]], prefix: str = "r") -> dict[str, Any]:
    """Parameters of the ``VALUES`` list made by ``values_sql``."""
    return {
        f"{prefix}{n}{_LETTERS[k]}": v
        for n, row in enumerate(rows)
        for k, v in enumerate(row)
    }


def blobs_sql(count: int) -> str:
    if not count:
        return ""
    return _PUT_BLOBS.format(rows=values_sql(BLOB_TYPES, count), based=_BASED)


@functools.lru_cache(maxsize=64)
def values_sql(types: tuple[str, ...], count: int, prefix: str = "r") -> str:
    # Scalar parameters: much cheaper for psycopg to adapt than arrays.
    row = ", ".join(
        f"%({prefix}{{0}}{_LETTERS[k]})s::{kind}" for k, kind in enumerate(types)
    )
    return "VALUES " + ", ".join(f"({row.format(n)})" for n in range(count))


def inlinable(value: Any) -> bool:
    """Whether ``value`` survives a JSONB round trip exactly (type included)."""
    kind = type(value)
    if value is None or kind is bool:
        return True
    if kind is int:
        return bool(-(2**63) <= value < 2**63)
    if kind is float:  # JSONB numerics drop -0.0 and print big floats as ints
        negative_zero = value == 0 and math.copysign(1, value) < 0
        return math.isfinite(value) and abs(value) < 1e15 and not negative_zero
    if kind is str and len(value) <= INLINE_STR_MAX and "\x00" not in value:
        return value.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in value)
    return False


def config_of(thread_id: Any, ns: str, checkpoint_id: str) -> RunnableConfig:
    ids = {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}
    return {"configurable": ids}


def chain_statement(rows: Rows) -> Statement | None:
    """The query of the splice bases the rows of ``_SELECT`` need, if any."""
    wanted: list[tuple[str, str, str, str]] = []
    for row in rows:
        for channel, tag, _ in row[6] or ():
            kind = tag.decode()
            if is_spliced(kind):
                wanted.append((row[0], row[1], channel.decode(), base_of(kind)))
    return splice_bases_statement(wanted) if wanted else None


def splice_bases_statement(wanted: Sequence[tuple[str, str, str, str]]) -> Statement:
    """The rows of the given ``(thread, ns, channel, version)`` and their bases."""
    columns = [list(column) for column in zip(*wanted, strict=True)]
    return _CHAIN, columns


def flush_statement(config: RunnableConfig) -> Statement:
    """A write that commits with a WAL flush: the checkpoint row, unchanged."""
    conf = config["configurable"]
    sql = f"""UPDATE checkpoints SET checkpoint_ns = checkpoint_ns
 WHERE {_IN_NS.format("")} AND checkpoint_id = %(id)s"""
    params = {
        "thread_id": str(conf["thread_id"]),
        "ns": conf.get("checkpoint_ns", ""),
        "id": conf.get("checkpoint_id"),
    }
    return sql, params


def migration_statements(current: int) -> list[Statement]:
    """Statements bringing a schema at migration ``current`` to the latest one."""
    out: list[Statement] = []
    for version in range(current + 1, len(MIGRATIONS)):
        out += [(MIGRATIONS[version], None), (RECORD_VERSION_SQL, (version,))]
    return out


def get_statement(config: RunnableConfig) -> Statement:
    """The query of ``get_tuple``: one checkpoint by id, else the latest."""
    conf = config["configurable"]
    params = {"thread_id": str(conf["thread_id"]), "ns": conf.get("checkpoint_ns", "")}
    where = f" WHERE {_WHERE['thread_id']} AND {_WHERE['ns']}"
    if checkpoint_id := get_checkpoint_id(config):
        params["id"] = checkpoint_id
        return f"{_SELECT}{where} AND {_WHERE['id']}", params
    return _SELECT + where + " ORDER BY c.checkpoint_id DESC LIMIT 1", params


def list_statement(
    config: RunnableConfig | None,
    filter: Mapping[str, Any] | None,
    before: RunnableConfig | None,
    limit: int | None,
) -> Statement:
    """The query of ``list``, newest first; the metadata filter is a JSONB parameter."""
    conf = config["configurable"] if config is not None else {}
    before_id = get_checkpoint_id(before) if before is not None else None
    params: dict[str, Any] = {
        "thread_id": str(conf["thread_id"]) if config is not None else None,
        "ns": conf.get("checkpoint_ns"),
        "id": conf.get("checkpoint_id") or None,
        "filter": jsonb(dict(filter)) if filter else None,
        "before": before_id or None,
        "limit": max(int(limit), 0) if limit is not None else None,
    }
    clauses = [_WHERE[k] for k, v in params.items() if v is not None and k in _WHERE]
    sql = _SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
    sql += " ORDER BY c.checkpoint_id DESC" + (
        " LIMIT %(limit)s" if limit is not None else ""
    )
    return sql, {k: v for k, v in params.items() if v is not None}


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
