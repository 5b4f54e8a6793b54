"""Pure core of the Postgres savers: checkpoint statements and row mapping.

Nothing here touches the network: methods turn calls into statements
(``(sql, params)`` pairs) and rows into ``CheckpointTuple``s, and the I/O
wrappers in ``_sync``/``_async`` only run them, so both savers write and read
the very same rows. Every value reaches SQL as a bound parameter. The tables,
migrations, locks and maintenance statements live in ``_schema``; this
module re-exports them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from psycopg.types.json import Jsonb

from stategraph._config import RunnableConfig
from stategraph._constants import TASKS
from stategraph.checkpoint._splice import (
    base_of,
    is_spliced,
)
from stategraph.checkpoint.base import (
    get_checkpoint_id,
)
from stategraph.checkpoint.postgres._schema import (
    _IN_NS,
    _KEY,
    _LOCK,
    _SAME,
    _WRITE_COLUMNS,
    CURRENT_VERSION_SQL as CURRENT_VERSION_SQL,
    MIGRATIONS as MIGRATIONS,
    PRUNE_STRATEGIES as PRUNE_STRATEGIES,
    RECORD_VERSION_SQL as RECORD_VERSION_SQL,
    RETAIN as RETAIN,
    RUN_SCOPE_SQL as RUN_SCOPE_SQL,
    RUN_TRY_LOCK_SQL as RUN_TRY_LOCK_SQL,
    RUN_UNLOCK_SQL as RUN_UNLOCK_SQL,
    SETUP_LOCK_CLASS as SETUP_LOCK_CLASS,
    SETUP_LOCK_SQL as SETUP_LOCK_SQL,
    STORAGE_SIZE_SQL as STORAGE_SIZE_SQL,
    THREAD_LOCK_CLASS as THREAD_LOCK_CLASS,
    Rows as Rows,
    Statement as Statement,
    copy_thread_statements as copy_thread_statements,
    delete_for_runs_statements as delete_for_runs_statements,
    delete_threads_statements as delete_threads_statements,
    delta_threads_statement as delta_threads_statement,
    migration_statements as migration_statements,
    prune_statements as prune_statements,
    run_lock_keys as run_lock_keys,
)

INLINE_STR_MAX = 256
"""Longest string value kept inline in the checkpoint row instead of a blob."""
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
STEP_WRITES = _STEP_WRITES.format(key=_KEY, columns=_WRITE_COLUMNS)
PUT_WRITES = f"""{{lock}} INSERT INTO checkpoint_writes ({_KEY}, checkpoint_id,
 task_id, task_path, idx, channel, type, blob) SELECT %(thread_id)s::text,
 %(ns)s::text, %(checkpoint_id)s::text, %(task_id)s::text, %(task_path)s::text, w.*
 FROM lock, ({{rows}}) AS w
ON CONFLICT ({_KEY}, checkpoint_id, task_id, idx) DO UPDATE SET {_WRITE_COLUMNS},
 task_path = excluded.task_path WHERE excluded.idx < 0"""
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
