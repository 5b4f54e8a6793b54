"""Maintenance statements of the Postgres savers: retention, delete, copy, prune.

Each function turns one maintenance call into statements (``(sql, params)``
pairs) that the I/O wrappers run in one transaction, the first of which takes
the advisory locks of the threads touched (see ``_schema``). Nothing here
touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence

from stategraph.checkpoint._delta_history import COUNTERS_KEY
from stategraph.checkpoint.postgres._schema import (
    _IN_NS,
    _KEY,
    _LOCK,
    _LOCK_MANY,
    _SAME,
    _TABLES,
    _WRITE_COLUMNS,
    Statement,
)

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
