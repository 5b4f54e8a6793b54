"""The rows of a step, and the statements storing one step or a batch of them.

``put_step`` turns its arguments into a ``StepRows`` (values encoded, nothing
of the caller's kept). Stored at once, a step is the one statement of
``step_statements``. Steps stored in the background (``_queue``) arrive in
batches of one thread's consecutive steps: ``batch_statements`` stores such a
batch with one statement per chunk of steps (one plan, one lock, three
multi-row inserts) instead of one statement per step. Pure SQL building: no
I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stategraph.checkpoint.postgres._base import (
    _BASED,
    PUT_CHECKPOINT,
    STEP_WRITE_TYPES,
    STEP_WRITES,
    Statement,
    blobs_sql,
    rows_params,
    values_sql,
)
from stategraph.checkpoint.postgres._schema import _KEY, _WRITE_COLUMNS


@dataclass(frozen=True, slots=True)
class StepRows:
    """What storing one step writes, encoded.

    Attributes:
        thread_id: The thread.
        ns: The checkpoint's namespace.
        blobs: ``(channel, version, type, blob, base version, spliced type,
            splice payload)`` rows of new channel values.
        writes: ``(checkpoint id, task id, task path, idx, channel, type,
            blob)`` rows of the tasks' writes, in the same namespace.
        checkpoint: ``(checkpoint id, parent id, checkpoint, metadata)``,
            the last two as ``Jsonb``.
        lock: The ``WITH lock`` clause its statement starts with (which
            says whether the commit waits for the WAL flush).
        before: Statements run first (writes to another namespace).
        retain: The retention statement run after, if any.
    """

    thread_id: str
    ns: str
    blobs: list[tuple[Any, ...]]
    writes: list[tuple[Any, ...]]
    checkpoint: tuple[Any, ...]
    lock: str
    before: list[Statement]
    retain: Statement | None


def step_statements(step: StepRows) -> list[Statement]:
    """The statements storing one step: its rows in a single statement."""
    params = rows_params(step.blobs)
    writes_sql = ""
    if step.writes:
        params.update(rows_params(step.writes, "w"))
        rows = values_sql(STEP_WRITE_TYPES, len(step.writes), "w")
        writes_sql = STEP_WRITES.format(rows=rows)
    checkpoint_id, parent_id, checkpoint, metadata = step.checkpoint
    params.update(
        thread_id=step.thread_id, ns=step.ns, checkpoint_id=checkpoint_id,
        parent_id=parent_id, checkpoint=checkpoint, metadata=metadata,
    )  # fmt: skip
    sql = step.lock + blobs_sql(len(step.blobs)) + writes_sql + PUT_CHECKPOINT
    retain = [step.retain] if step.retain is not None else []
    return [*step.before, (sql, params), *retain]


# A batch's statement is long and used once: it takes PostgreSQL's ``$n``
# placeholders (run by a raw cursor, ``RAW``), which psycopg does not parse.
# Its rows carry their namespace. A value is spliced onto a base stored earlier
# or in the same batch (a statement does not see its own inserts).
_BATCH_BLOBS = f""", blob_rows (n, c, v, t, d, base, st, sd) AS ({{rows}}),
blobs AS (INSERT INTO checkpoint_blobs
 SELECT $1::text, b.n, b.c, b.v, CASE WHEN {{based}} THEN b.st
 ELSE b.t END, CASE WHEN {{based}} THEN b.sd ELSE b.d END
 FROM lock, blob_rows AS b ON CONFLICT ({_KEY}, channel, version) DO NOTHING)"""
_BATCH_BASED = (
    _BASED.replace("%(ns)s", "b.n")
    .replace(
        "x.version = b.base)",
        "x.version = b.base) OR EXISTS (SELECT 1 FROM blob_rows AS y\n"
        " WHERE y.n = b.n AND y.c = b.c AND y.v = b.base)",
    )
    .replace("b.base IS NOT NULL AND EXISTS", "b.base IS NOT NULL AND (EXISTS")
    + ")"
)
_BATCH_WRITES = f""", writes AS (INSERT INTO checkpoint_writes ({_KEY}, checkpoint_id,
 task_id, task_path, idx, channel, type, blob) SELECT $1::text, w.*
 FROM lock, ({{rows}}) AS w
ON CONFLICT ({_KEY}, checkpoint_id, task_id, idx) DO UPDATE SET {_WRITE_COLUMNS},
 task_path = excluded.task_path WHERE excluded.idx < 0)"""
_BATCH_CHECKPOINTS = f"""
INSERT INTO checkpoints ({_KEY}, checkpoint_id, parent_checkpoint_id, checkpoint,
 metadata) SELECT $1::text, c.* FROM lock, ({{rows}}) AS c
ON CONFLICT ({_KEY}, checkpoint_id) DO UPDATE SET checkpoint = excluded.checkpoint,
 parent_checkpoint_id = excluded.parent_checkpoint_id, metadata = excluded.metadata"""
_BLOB_TYPES = ("text", "text", "text", "text", "bytea", "text", "text", "bytea")
_WRITE_TYPES = ("text", *STEP_WRITE_TYPES)
_CHECKPOINT_TYPES = ("text", "text", "text", "jsonb", "jsonb")
_DOLLAR_ONE = "%(thread_id)s"
# Parameters of one merged statement: far below the protocol's 65535.
MAX_PARAMS = 20_000


class RawParams(list[Any]):
    """Positional parameters of a statement with ``$n`` placeholders."""


def batch_statements(steps: Sequence[StepRows]) -> list[Statement]:
    """The statements storing consecutive steps of one thread, in order.

    Steps merge into one statement per chunk unless a step needs statements
    of its own (writes elsewhere) or the same row comes twice (a statement
    cannot update a row twice); those batches go step by step. A merged
    statement's parameters are ``RawParams``.
    """
    if len(steps) == 1 or not _mergeable(steps):
        return [statement for step in steps for statement in step_statements(step)]
    statements: list[Statement] = []
    chunk: list[StepRows] = []
    size = 0
    for step in steps:
        params = 8 * len(step.blobs) + 8 * len(step.writes) + 5
        if chunk and size + params > MAX_PARAMS:
            statements.append(_merged(chunk))
            chunk, size = [], 0
        chunk.append(step)
        size += params
    statements.append(_merged(chunk))
    retained = {step.ns: step.retain for step in steps if step.retain is not None}
    return statements + list(retained.values())


def _mergeable(steps: Sequence[StepRows]) -> bool:
    checkpoints = {(step.ns, step.checkpoint[0]) for step in steps}
    writes = {(step.ns, *row[:2], row[3]) for step in steps for row in step.writes}
    count = sum(len(step.writes) for step in steps)
    return (
        len(checkpoints) == len(steps)
        and len(writes) == count
        and not any(step.before for step in steps)
        and len({step.lock for step in steps}) == 1
    )


def _values(
    types: tuple[str, ...], rows: list[tuple[Any, ...]], params: RawParams
) -> str:
    """``VALUES`` of ``rows``, whose values are appended to ``params``."""
    out = []
    for row in rows:
        start = len(params) + 1
        params.extend(row)
        cells = (f"${start + k}::{kind}" for k, kind in enumerate(types))
        out.append(f"({', '.join(cells)})")
    return "VALUES " + ", ".join(out)


def _merged(steps: Sequence[StepRows]) -> Statement:
    params = RawParams([steps[0].thread_id])
    sql = steps[0].lock.replace(_DOLLAR_ONE, "$1")
    blobs = [(step.ns, *row) for step in steps for row in step.blobs]
    if blobs:
        based = _BATCH_BASED.replace(_DOLLAR_ONE, "$1")
        rows = _values(_BLOB_TYPES, blobs, params)
        sql += _BATCH_BLOBS.format(rows=rows, based=based)
    writes = [(step.ns, *row) for step in steps for row in step.writes]
    if writes:
        sql += _BATCH_WRITES.format(rows=_values(_WRITE_TYPES, writes, params))
    checkpoints = [(step.ns, *step.checkpoint) for step in steps]
    rows = _values(_CHECKPOINT_TYPES, checkpoints, params)
    return sql + _BATCH_CHECKPOINTS.format(rows=rows), params
