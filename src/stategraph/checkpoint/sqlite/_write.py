"""Writing side of the SQLite savers: setup, put, writes, maintenance and leases.

Each operation is a plan (see ``_base.Plan``): it yields statements and is
sent back their rows, and never touches a connection, so the sync and the
async saver run the same plans, each inside one transaction. Serializing
happens before a plan starts, so a value that cannot be serialized never
leaves a transaction half done.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from stategraph._config import RunnableConfig
from stategraph._constants import WRITES_IDX_MAP
from stategraph.checkpoint._delta_history import COUNTERS_KEY, delta_prune_error
from stategraph.checkpoint._splice import Splice, SpliceCache
from stategraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    get_checkpoint_metadata,
)
from stategraph.checkpoint.base._step import StepWrites
from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.serde.jsonplus import UnserializableValueError
from stategraph.checkpoint.sqlite import _base as sql
from stategraph.checkpoint.sqlite._base import Plan, Query, ThreadLeasedError
from stategraph.checkpoint.sqlite._read import filter_column, keys_of


def _dumps(serde: SerializerProtocol, value: Any, where: str) -> tuple[str, bytes]:
    try:
        return serde.dumps_typed(value)
    except UnserializableValueError as exc:
        raise exc.with_prefix(where) from None


# -- setup -------------------------------------------------------------------------


def setup_plan() -> Plan[int]:
    """Apply the migrations the file lacks; return the schema version."""
    yield Query(sql.CREATE_MIGRATIONS)
    current = (yield Query(sql.SELECT_MIGRATED))[0][0]
    if current > sql.SCHEMA_VERSION:
        raise RuntimeError(
            f"checkpoint database has schema version {current}; this stategraph "
            f"knows versions up to {sql.SCHEMA_VERSION}: upgrade stategraph"
        )
    now = datetime.now(timezone.utc).isoformat()
    for version, statements in sql.MIGRATIONS:
        if version > current:
            for statement in statements:
                yield Query(statement)
            yield Query(sql.INSERT_MIGRATION, (version, now))
    return sql.SCHEMA_VERSION


# -- writing -----------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedPut:
    """A checkpoint serialized into rows, ready for ``put_plan``."""

    thread_id: str
    ns: str
    checkpoint_id: str
    row: tuple[Any, ...]
    blobs: list[tuple[Any, ...]]
    spliced: list[Splice] = field(default_factory=list)


def prepare_put(
    serde: SerializerProtocol,
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    new_versions: ChannelVersions,
    splices: SpliceCache | None = None,
) -> PreparedPut:
    """Serialize a checkpoint; only channels in ``new_versions`` get value rows.

    With ``splices``, a list value is planned as a splice of the last value
    the saver stored for its channel when that is much smaller (``_splice``);
    the caller commits ``spliced`` to the cache once the put committed.

    Raises:
        UnserializableValueError: With a path starting at ``state[<channel>]``
            (or ``metadata``) when a value cannot be serialized.
    """
    thread_id, ns, parent_id = keys_of(config)
    values = checkpoint["channel_values"]
    blobs: list[tuple[Any, ...]] = []
    spliced: list[Splice] = []
    for channel, version in new_versions.items():
        tag, blob = (
            _dumps(serde, values[channel], f"state[{channel!r}]")
            if channel in values
            else ("empty", None)
        )
        splice: tuple[Any, ...] = (None, None, None)
        if splices is not None and blob is not None and type(values[channel]) is list:
            plan = splices.encode((thread_id, ns, channel), version, tag, blob)
            spliced.append(plan)
            splice = (plan.base, plan.spliced_tag, plan.payload)
        blobs.append((thread_id, ns, channel, version, tag, blob, *splice))
    header = {
        k: v
        for k, v in checkpoint.items()
        if k != "channel_values" and k != "channel_versions"
    }
    header_tag, header_blob = _dumps(serde, header, "checkpoint")
    versions = json.dumps(
        checkpoint["channel_versions"], separators=(",", ":"), allow_nan=False
    )
    meta: Mapping[str, Any] = get_checkpoint_metadata(config, metadata)
    meta_tag, meta_blob = _dumps(serde, meta, "metadata")
    run_id = meta.get("run_id")
    row = (
        thread_id, ns, checkpoint["id"], parent_id, header_tag, header_blob,
        versions, meta_tag, meta_blob, filter_column(meta.get("source")),
        filter_column(meta.get("step")), None if run_id is None else str(run_id),
    )  # fmt: skip
    return PreparedPut(thread_id, ns, checkpoint["id"], row, blobs, spliced)


def put_plan(
    prepared: PreparedPut,
    owner: str,
    now: float,
    keep_last: int | None,
    renew: float,
    writes: WriteRows | None = None,
) -> Plan[None]:
    """Store a prepared checkpoint, then apply retention to its namespace.

    Args:
        prepared: Rows from ``prepare_put``.
        owner: Lease owner id of the saver.
        now: Current time (seconds since the epoch).
        keep_last: Keep only this many newest checkpoints of the namespace.
        renew: New lease expiry when the saver holds the thread's lease, else 0.
        writes: Rows of pending writes stored in the same transaction
            (``prepare_step_writes``), before retention sees them.

    Raises:
        ThreadLeasedError: When another saver holds a live lease on the thread.
    """
    guard = (prepared.thread_id, owner, now)
    if not (yield Query(sql.INSERT_CHECKPOINT, prepared.row + guard)):
        raise ThreadLeasedError(
            f"thread {prepared.thread_id!r} is leased to another writer; "
            "checkpoint not saved"
        )
    if writes is not None:
        yield from writes_plan(writes)
    full = [row[:6] for row in prepared.blobs if row[6] is None]
    if full:
        yield Query(sql.UPSERT_BLOB, full, many=True)
    if len(full) < len(prepared.blobs):
        spliced = [row for row in prepared.blobs if row[6] is not None]
        yield Query(sql.UPSERT_SPLICE, spliced, many=True)
    if renew:
        yield Query(sql.RENEW_LEASE, (renew, prepared.thread_id, owner))
    if keep_last is not None:
        key = (prepared.thread_id, prepared.ns)
        cutoff = yield Query(sql.RETENTION_CUTOFF, (*key, keep_last))
        if cutoff:
            doomed = (*key, cutoff[0][0])
            yield Query(sql.RETENTION_BLOBS, doomed)
            for statement in sql.RETENTION_DELETE:
                yield Query(statement, doomed)


WriteRows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]
"""Rows of pending writes: ``(regular rows, special rows)``."""


def prepare_writes(
    serde: SerializerProtocol,
    config: RunnableConfig,
    writes: Sequence[tuple[str, Any]],
    task_id: str,
    task_path: str,
) -> WriteRows:
    """Serialize writes into ``(regular rows, special rows)``.

    Special channels (``WRITES_IDX_MAP``) get their fixed negative index and
    replace what is stored; regular writes never replace a stored one.
    """
    thread_id, ns, _ = keys_of(config)
    checkpoint_id = config["configurable"]["checkpoint_id"]
    keep: list[tuple[Any, ...]] = []
    replace: list[tuple[Any, ...]] = []
    for idx, (channel, value) in enumerate(writes):
        special = WRITES_IDX_MAP.get(channel)
        tag, blob = _dumps(serde, value, f"update[{channel!r}]")
        index = idx if special is None else special
        row = (thread_id, ns, str(checkpoint_id), task_id, index, task_path)
        (keep if special is None else replace).append((*row, channel, tag, blob))
    return keep, replace


def prepare_step_writes(
    serde: SerializerProtocol, writes: Sequence[StepWrites]
) -> WriteRows:
    """Serialize the writes of several tasks (``put_step``) into one pair of lists."""
    keep: list[tuple[Any, ...]] = []
    replace: list[tuple[Any, ...]] = []
    for entry in writes:
        rows = prepare_writes(serde, *entry)
        keep += rows[0]
        replace += rows[1]
    return keep, replace


def writes_plan(rows: WriteRows) -> Plan[None]:
    """Store rows from ``prepare_writes``."""
    keep, replace = rows
    if keep:
        yield Query(sql.INSERT_WRITE_KEEP, keep, many=True)
    if replace:
        yield Query(sql.INSERT_WRITE_REPLACE, replace, many=True)


# -- maintenance -------------------------------------------------------------------


def delete_thread_plan(thread_ids: Sequence[str]) -> Plan[None]:
    """Delete every checkpoint, value and write of the threads."""
    for thread_id in thread_ids:
        for statement in sql.DELETE_THREAD:
            yield Query(statement, (str(thread_id),))


def delete_for_runs_plan(run_ids: Sequence[str]) -> Plan[None]:
    """Delete the checkpoints of runs (metadata ``run_id``) and their writes."""
    wanted = json.dumps(sorted({str(run_id) for run_id in run_ids}))
    doomed = yield Query(sql.SELECT_RUN_CHECKPOINTS, (wanted,))
    if not doomed:
        return
    keys = [tuple(row) for row in doomed]
    yield Query(sql.DELETE_CHECKPOINT_WRITES, keys, many=True)
    yield Query(sql.DELETE_CHECKPOINT, keys, many=True)
    for thread_id in sorted({key[0] for key in keys}):
        yield Query(sql.COLLECT_THREAD_BLOBS, (thread_id,))


def copy_thread_plan(source: str, target: str) -> Plan[None]:
    """Copy checkpoints, values and writes of ``source`` under ``target``."""
    for statement in sql.COPY_THREAD:
        yield Query(statement, (str(source), str(target)))


def prune_plan(
    thread_ids: Sequence[str], strategy: str, serde: SerializerProtocol
) -> Plan[None]:
    """Keep the newest checkpoint of each namespace, or delete the threads.

    Raises:
        ValueError: For a strategy other than ``keep_latest`` and ``delete``.
        NotImplementedError: For ``keep_latest`` on threads with delta
            channels, which replay the writes of older checkpoints.
    """
    if strategy not in ("keep_latest", "delete"):
        raise ValueError(
            f"Unknown prune strategy {strategy!r}; use 'keep_latest' or 'delete'"
        )
    if strategy == "delete":
        yield from delete_thread_plan(thread_ids)
        return
    ids = json.dumps([str(t) for t in thread_ids])
    rows = yield Query(sql.SELECT_THREAD_METADATA, (ids,))
    delta = {
        row[0]
        for row in rows
        if COUNTERS_KEY in serde.loads_typed((row[1], row[2] or b""))
    }
    if delta:
        raise delta_prune_error(delta)
    for thread_id in thread_ids:
        for statement in (*sql.PRUNE_KEEP_LATEST, sql.COLLECT_THREAD_BLOBS):
            yield Query(statement, (str(thread_id),))


def storage_size_plan(thread_id: str) -> Plan[int]:
    """Return the bytes stored for a thread: keys, headers, values and writes."""
    rows = yield Query(sql.STORAGE_SIZE, (str(thread_id),))
    return int(rows[0][0])


# -- leases ------------------------------------------------------------------------


def acquire_plan(thread_id: str, owner: str, now: float, ttl: float) -> Plan[float]:
    """Take the writer lease of a thread; return its expiry time.

    Raises:
        ThreadLeasedError: When another owner holds a live lease.
    """
    held = yield Query(sql.SELECT_LEASE, (thread_id,))
    if held and held[0][0] != owner and held[0][1] > now:
        raise ThreadLeasedError(
            f"thread {thread_id!r} is leased to another writer for "
            f"{held[0][1] - now:.1f} more seconds"
        )
    yield Query(sql.UPSERT_LEASE, (thread_id, owner, now + ttl))
    return now + ttl


def release_plan(thread_id: str, owner: str) -> Plan[None]:
    """Give up the lease of a thread if ``owner`` still holds it."""
    yield Query(sql.RELEASE_LEASE, (thread_id, owner))
