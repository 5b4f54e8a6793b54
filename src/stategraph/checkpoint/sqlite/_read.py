"""Reading side of the SQLite savers: row mapping and the ``get``/``list`` plans.

A checkpoint row is decoded into a ``CheckpointTuple`` together with the
value rows its ``channel_versions`` select and its pending writes; failures
name the part that could not be loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stategraph._config import RunnableConfig
from stategraph._sqlite_keys import at_path, check_filter_key
from stategraph.checkpoint._splice import base_of, is_spliced, materialize
from stategraph.checkpoint.base import CheckpointTuple, PendingWrite
from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.serde.jsonplus import DeserializationError
from stategraph.checkpoint.sqlite import _base as sql
from stategraph.checkpoint.sqlite._base import Plan, Query, Row, Rows

LIST_BATCH = 64
"""Checkpoint rows read per transaction while listing."""


def keys_of(config: RunnableConfig) -> tuple[str, str, str | None]:
    conf = config["configurable"]
    return (
        str(conf["thread_id"]),
        conf.get("checkpoint_ns", ""),
        conf.get("checkpoint_id"),
    )


def config_of(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    """Build the config naming one stored checkpoint."""
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def _load(serde: SerializerProtocol, typed: tuple[str, Any], what: str) -> Any:
    try:
        return serde.loads_typed((typed[0], typed[1] if typed[1] is not None else b""))
    except Exception as exc:
        raise DeserializationError(f"cannot load {what}: {exc}") from exc


def load_metadata(serde: SerializerProtocol, row: Row) -> Any:
    """Load the metadata of a checkpoint row (columns of ``LIST_SELECT``)."""
    where = f"metadata of checkpoint {row[3]!r} of thread {row[1]!r}"
    metadata = _load(serde, (row[8], row[9]), where)
    if not isinstance(metadata, dict):
        raise DeserializationError(f"cannot load {where}: not a mapping")
    return metadata


def load_checkpoint(serde: SerializerProtocol, row: Row, values: Rows) -> Any:
    """Rebuild a checkpoint from its row and its ``(channel, type, blob)`` rows.

    Raises:
        DeserializationError: When a stored part is corrupt or names a type
            the serializer refuses; the message says which part.
    """
    where = f"checkpoint {row[3]!r} of thread {row[1]!r}"
    checkpoint = _load(serde, (row[5], row[6]), where)
    try:
        versions = json.loads(row[7])
    except (TypeError, ValueError) as exc:
        raise DeserializationError(f"cannot load versions of {where}: {exc}") from exc
    if not isinstance(checkpoint, dict) or not isinstance(versions, dict):
        raise DeserializationError(f"cannot load {where}: not a mapping")
    checkpoint["channel_versions"] = versions
    checkpoint["channel_values"] = {
        channel: _load(serde, (tag, blob), f"channel {channel!r} of {where}")
        for channel, tag, blob in values
        if tag != "empty"
    }
    return checkpoint


def make_tuple(
    serde: SerializerProtocol,
    row: Row,
    values: Rows,
    writes: Rows,
    config: RunnableConfig | None = None,
    metadata: Any = None,
) -> CheckpointTuple:
    """Build the ``CheckpointTuple`` of a checkpoint row.

    Args:
        serde: Serializer that wrote the row.
        row: Columns of ``LIST_SELECT``.
        values: ``(channel, type, blob)`` rows of its channel values.
        writes: ``(task_id, channel, type, value)`` rows, already in order.
        config: Config to return as is (the caller's, when it named the id).
        metadata: Metadata already loaded from the row, if any.
    """
    thread_id, ns, checkpoint_id, parent_id = row[1], row[2], row[3], row[4]
    where = f"checkpoint {checkpoint_id!r} of thread {thread_id!r}"
    pending: list[PendingWrite] = [
        (
            task_id,
            channel,
            _load(serde, (tag, blob), f"write to {channel!r} of {where}"),
        )
        for task_id, channel, tag, blob in writes
    ]
    return CheckpointTuple(
        config=config or config_of(thread_id, ns, checkpoint_id),
        checkpoint=load_checkpoint(serde, row, values),
        metadata=load_metadata(serde, row) if metadata is None else metadata,
        parent_config=config_of(thread_id, ns, parent_id) if parent_id else None,
        pending_writes=pending,
    )


def unsplice(
    bases: Mapping[tuple[Any, ...], Any], key: tuple[str, str, str], tag: str, blob: Any
) -> tuple[str, Any]:
    """The full ``(type, blob)`` of a value row (see ``_splice``).

    Args:
        bases: ``(type, blob)`` of rows by ``(thread, ns, channel, version)``.
        key: ``(thread, ns, channel)`` of the row.
        tag: Its type.
        blob: Its bytes.

    Raises:
        DeserializationError: When a base is missing or a splice is corrupt.
    """
    if not is_spliced(tag):
        return tag, blob
    try:
        return materialize(tag, blob, lambda version: bases.get((*key, version)))
    except ValueError as exc:
        where = f"channel {key[2]!r} of thread {key[0]!r}, namespace {key[1]!r}"
        raise DeserializationError(f"cannot load {where}: {exc}") from exc


def filter_column(value: Any) -> Any:
    """Return ``value`` as stored in a filter column, or ``None`` if it cannot be."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) or (
        isinstance(value, int) and -(2**63) <= value < 2**63
    ):
        return value
    return None


def matches(metadata: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Say whether ``metadata`` has every key/value of ``wanted`` (Python ``==``).

    A dotted key is a path into nested objects, as in LangGraph's SqliteSaver.
    """
    return all(at_path(metadata, key) == value for key, value in wanted.items())


def _complete(
    serde: SerializerProtocol,
    rows: Rows,
    config: RunnableConfig | None = None,
    metadata: Sequence[Any] | None = None,
) -> Plan[list[CheckpointTuple]]:
    if not rows:
        return []
    rowids = json.dumps([row[0] for row in rows])
    values: dict[int, Rows] = {row[0]: [] for row in rows}
    writes: dict[int, Rows] = {row[0]: [] for row in rows}
    for rowid, *rest in (yield Query(sql.SELECT_BLOBS, (rowids,))):
        values[rowid].append(rest)
    keys = {row[0]: (row[1], row[2]) for row in rows}
    wanted = [
        [*keys[rowid], channel, base_of(tag)]
        for rowid, found in values.items()
        for channel, tag, _ in found
        if is_spliced(tag)
    ]
    if wanted:
        chain = yield Query(sql.SELECT_SPLICE_CHAIN, (json.dumps(wanted),))
        bases = {tuple(row[:4]): (row[4], row[5]) for row in chain}
        for rowid, found in values.items():
            values[rowid] = [
                [channel, *unsplice(bases, (*keys[rowid], channel), tag, blob)]
                for channel, tag, blob in found
            ]
    for rowid, *rest in (yield Query(sql.SELECT_WRITES, (rowids,))):
        writes[rowid].append(rest)
    return [
        make_tuple(
            serde,
            row,
            values[row[0]],
            writes[row[0]],
            config,
            None if metadata is None else metadata[i],
        )
        for i, row in enumerate(rows)
    ]


def get_plan(serde: SerializerProtocol, config: RunnableConfig) -> Plan[Any]:
    """Load the checkpoint named in ``config``, or the latest of its namespace."""
    thread_id, ns, checkpoint_id = keys_of(config)
    if checkpoint_id:
        rows = yield Query(sql.SELECT_BY_ID, (thread_id, ns, checkpoint_id))
    else:
        rows = yield Query(sql.SELECT_LATEST, (thread_id, ns))
    found = yield from _complete(serde, rows, config if checkpoint_id else None)
    return found[0] if found else None


@dataclass
class ListCursor:
    """Where a listing stands between batches.

    Attributes:
        sql: The listing statement (constant fragments only).
        params: Its bound values, before the keyset and limit ones.
        keyset_sql: The same statement continuing after a row.
        wanted: Metadata filter checked in Python on every row.
        remaining: Checkpoints still to return (``None``: no limit).
        after: ``(checkpoint_id, thread_id, checkpoint_ns)`` of the last row.
        done: No rows are left.
    """

    sql: str
    params: list[Any]
    keyset_sql: str
    wanted: dict[str, Any]
    remaining: int | None
    after: tuple[str, str, str] | None = None
    done: bool = False


def _prefilter(wanted: Mapping[str, Any], where: list[str], params: list[Any]) -> None:
    # Necessary conditions only; ``matches`` decides on the loaded metadata.
    for key in ("source", "step", "run_id"):
        value = wanted.get(key)
        if isinstance(value, bool) or filter_column(value) is None:
            continue
        if key == "run_id" and not isinstance(value, str):
            continue
        where.append(sql.LIST_PREDICATES[key])
        params.append(value)


def list_cursor(
    config: RunnableConfig | None,
    filter: Mapping[str, Any] | None,
    before: RunnableConfig | None,
    limit: int | None,
) -> ListCursor:
    """Build the listing of ``list(config, filter=..., before=..., limit=...)``.

    Raises:
        TypeError: When a filter key is not a string.
        ValueError: When a filter key has other characters than letters,
            digits, ``_``, ``.`` and ``-`` (as LangGraph's SqliteSaver).
    """
    wanted = dict(filter or {})
    bad = [key for key in wanted if not isinstance(key, str)]
    if bad:
        raise TypeError(f"metadata filter keys must be strings, got {bad[0]!r}")
    for key in wanted:
        check_filter_key(key)
    where: list[str] = []
    params: list[Any] = []
    if config is not None:
        conf = config["configurable"]
        fields = [("thread", str(conf["thread_id"])), ("ns", conf.get("checkpoint_ns"))]
        fields.append(("id", conf.get("checkpoint_id") or None))
        for name, value in fields:
            if value is not None:
                where.append(sql.LIST_PREDICATES[name])
                params.append(value)
    before_id = before["configurable"].get("checkpoint_id") if before else None
    if before_id:
        where.append(sql.LIST_PREDICATES["before"])
        params.append(before_id)
    _prefilter(wanted, where, params)
    text = sql.LIST_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    keyset = " AND ".join([*where, sql.LIST_PREDICATES["after"]])
    return ListCursor(
        text + sql.LIST_ORDER,
        params,
        sql.LIST_SELECT + " WHERE " + keyset + sql.LIST_ORDER,
        wanted,
        limit,
        done=limit is not None and limit <= 0,
    )


def list_plan(serde: SerializerProtocol, cursor: ListCursor) -> Plan[list[Any]]:
    """Read the next batch of a listing, advancing ``cursor``."""
    size = LIST_BATCH
    if cursor.remaining is not None and not cursor.wanted:
        size = min(size, cursor.remaining)
    if cursor.after is None:
        rows = yield Query(cursor.sql, [*cursor.params, size])
    else:
        rows = yield Query(cursor.keyset_sql, [*cursor.params, *cursor.after, size])
    cursor.done = len(rows) < size
    if rows:
        last = rows[-1]
        cursor.after = (last[3], last[1], last[2])
    metadata = None
    if cursor.wanted:
        loaded = [load_metadata(serde, row) for row in rows]
        kept = [i for i, meta in enumerate(loaded) if matches(meta, cursor.wanted)]
        rows, metadata = [rows[i] for i in kept], [loaded[i] for i in kept]
    if cursor.remaining is not None:
        rows = rows[: cursor.remaining]
        cursor.remaining -= len(rows)
        cursor.done = cursor.done or cursor.remaining <= 0
    found = yield from _complete(serde, rows, None, metadata)
    return found


def database_file_plan() -> Plan[str]:
    """The path of the connection's main database file (``""`` when in memory)."""
    rows = yield Query("PRAGMA database_list")
    return next((str(row[2] or "") for row in rows if row[1] == "main"), "")
