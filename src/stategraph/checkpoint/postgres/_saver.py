"""``BasePostgresSaver``: what the sync and async Postgres savers share.

Turns calls into the statements of ``_base`` and rows into
``CheckpointTuple``s (materializing values stored as splices, see
``stategraph.checkpoint._splice``); the I/O lives in ``_sync``/``_async``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from stategraph._config import RunnableConfig
from stategraph._constants import TASKS, WRITES_IDX_MAP
from stategraph.checkpoint._delta_history import uses_delta
from stategraph.checkpoint._splice import (
    SPLICE_EVERY,
    Splice,
    SpliceCache,
    is_spliced,
    materialize,
)
from stategraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    SerializerProtocol,
    _runlock,
    get_serializable_checkpoint_metadata,
)
from stategraph.checkpoint.base._records import next_version
from stategraph.checkpoint.base._runlock import RunLock, ThreadLock
from stategraph.checkpoint.base._step import StepWrites
from stategraph.checkpoint.postgres._base import (
    LZ4,
    MIGRATIONS,
    PUT_LOCK,
    PUT_LOCK_ASYNC,
    PUT_WRITES,
    RETAIN,
    RUN_SCOPE_SQL,
    SYNCHRONOUS,
    WRITE_TYPES,
    Rows,
    Statement,
    config_of,
    inlinable,
    jsonb,
    rows_params,
    run_lock_keys,
    values_sql,
)
from stategraph.checkpoint.postgres._batch import StepRows, step_statements
from stategraph.checkpoint.serde.jsonplus import (
    DeserializationError,
    UnserializableValueError,
)


class BasePostgresSaver(BaseCheckpointSaver[str]):
    """What the sync and async Postgres savers share: statements and row mapping.

    Args:
        serde: Serializer of channel values and writes.
        keep_last: Keep only the newest ``keep_last`` checkpoints of each
            thread and namespace; ``None`` keeps all.
        synchronous: ``"EXTRA"``, ``"FULL"`` or ``"NORMAL"``: which commits
            wait for the WAL flush (see ``PostgresSaver``).
        splice_every: Longest chain of list values stored as splices (see
            ``PostgresSaver``); ``0`` stores every value in full.
        thread_lock: ``"wait"``, ``"raise"`` or ``"off"``: what a root run
            does while another process runs its thread (see
            ``PostgresSaver``).
        thread_lock_timeout: Longest wait for the run lock, in seconds.

    Attributes:
        keep_last: The retention in force.
        synchronous: The commit durability in force.
    """

    MIGRATIONS = MIGRATIONS

    def __init__(
        self,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str = "FULL",
        splice_every: int = SPLICE_EVERY,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> None:
        super().__init__(serde=serde)
        _runlock.check_thread_lock(thread_lock, thread_lock_timeout)
        self.thread_lock: ThreadLock = thread_lock
        self.thread_lock_timeout = thread_lock_timeout
        self._run_scope: tuple[Any, ...] | None = None
        if keep_last is not None and (type(keep_last) is not int or keep_last < 1):
            raise ValueError(f"keep_last must be a positive int, not {keep_last!r}")
        if synchronous not in SYNCHRONOUS:
            raise ValueError(
                f"synchronous must be 'EXTRA', 'FULL' or 'NORMAL', not {synchronous!r}"
            )
        self.keep_last = keep_last
        self.synchronous = synchronous
        self._splices = SpliceCache(splice_every)

    _RUN_SCOPE_SQL = RUN_SCOPE_SQL

    def _run_lock(self, thread_id: str) -> tuple[RunLock, tuple[int, int]]:
        # Once ``_run_scope`` holds the row of ``RUN_SCOPE_SQL``: the lock
        # (per process: server, database, schema, thread) and its keys.
        scope = self._run_scope or ("", "", None, None)
        database, schema, host, port = (str(part or "") for part in scope[:4])
        thread = str(thread_id)
        keys = run_lock_keys(schema, thread)
        where = f"advisory lock {keys} in database {database!r}"
        lock = RunLock(
            ("postgres", host, port, database, keys),
            thread,
            where,
            self.thread_lock,
            self.thread_lock_timeout,
        )
        return lock, keys

    def _lock_sql(self, lock: str) -> str:
        # The lz4 variant once the run scope said the server has it.
        scope = self._run_scope
        return LZ4[lock] if scope is not None and scope[4:5] == (True,) else lock

    # The engine may compute these versions itself (same format, no parsing).
    padded_versions = True

    def get_next_version(self, current: str | None, channel: None) -> str:
        """Return ``"<n+1 zero-padded to 32>.<random fraction>"``.

        Args:
            current: Current version (string or int), or ``None``.
            channel: Unused; kept for compatibility.
        """
        return next_version(current)

    def _put_statements(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: Sequence[StepWrites] = (),
        durable: bool = True,
    ) -> tuple[list[Statement], RunnableConfig, list[Splice]]:
        step, stored, spliced = self._step_rows(
            config, checkpoint, metadata, new_versions, writes, durable
        )
        return step_statements(step), stored, spliced

    def _step_rows(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: Sequence[StepWrites] = (),
        durable: bool = True,
    ) -> tuple[StepRows, RunnableConfig, list[Splice]]:
        conf = config["configurable"]
        thread_id, ns = str(conf["thread_id"]), conf.get("checkpoint_ns", "")
        values, versions = checkpoint["channel_values"], checkpoint["channel_versions"]
        inline = {k: v for k, v in values.items() if k in versions and inlinable(v)}
        splice = not uses_delta(checkpoint, metadata)
        # Writes first: an unserializable one fails as it would in put_writes.
        before: list[Statement] = []
        write_rows = self._step_writes(thread_id, ns, writes, before)
        rows, spliced = [], []
        for channel, version in new_versions.items():
            if channel in values and channel not in inline:
                try:
                    tag, data = self.serde.dumps_typed(values[channel])
                except UnserializableValueError as exc:
                    raise exc.with_prefix(f"state[{channel!r}]") from None
                if splice and type(values[channel]) is list:
                    key = (thread_id, ns, channel)
                    plan = self._splices.encode(key, version, tag, data)
                    spliced.append(plan)
                    rows.append((channel, plan.version, tag, data, plan.base,
                                 plan.spliced_tag, plan.payload))  # fmt: skip
                else:
                    rows.append((channel, str(version), tag, data, None, None, None))
        header = {k: v for k, v in checkpoint.items() if k != "channel_values"}
        header["channel_values"] = inline
        meta = jsonb(get_serializable_checkpoint_metadata(config, metadata))
        row = (checkpoint["id"], conf.get("checkpoint_id"), jsonb(header), meta)
        waits = self.synchronous == "EXTRA" or (durable and self.synchronous == "FULL")
        lock = self._lock_sql(PUT_LOCK if waits else PUT_LOCK_ASYNC)
        retain = None
        if self.keep_last is not None and not uses_delta(checkpoint, metadata):
            retain = (
                RETAIN,
                {"thread_id": thread_id, "ns": ns, "keep": self.keep_last},
            )
        step = StepRows(thread_id, ns, rows, write_rows, row, lock, before, retain)
        return step, config_of(conf["thread_id"], ns, checkpoint["id"]), spliced

    def _step_writes(
        self,
        thread_id: str,
        ns: str,
        writes: Sequence[StepWrites],
        before: list[Statement],
    ) -> list[tuple[Any, ...]]:
        """Rows of the tasks' writes for the checkpoint's statement (``put_step``).

        Writes to another thread or namespace (never made by the engine) get
        statements of their own in ``before``, run in the same transaction.
        """
        rows: dict[tuple[str, str, int], tuple[Any, ...]] = {}
        for entry in writes:
            conf = entry.config["configurable"]
            if (
                str(conf["thread_id"]) != thread_id
                or conf.get("checkpoint_ns", "") != ns
            ):
                before += self._writes_statements(*entry)
                continue
            checkpoint_id = str(conf["checkpoint_id"])
            for idx, channel, tag, data in self._write_rows(entry.writes).values():
                key = (checkpoint_id, entry.task_id, idx)
                if idx >= 0 and key in rows:
                    continue  # a stored regular write is never replaced
                row = (checkpoint_id, entry.task_id, entry.task_path, idx, channel)
                rows[key] = (*row, tag, data)
        return list(rows.values())

    def _write_rows(
        self, writes: Sequence[tuple[str, Any]]
    ) -> dict[int, tuple[int, str, str, bytes]]:
        rows: dict[int, tuple[int, str, str, bytes]] = {}
        for idx, (channel, value) in enumerate(writes):
            try:
                tag, data = self.serde.dumps_typed(value)
            except UnserializableValueError as exc:
                raise exc.with_prefix(f"update[{channel!r}]") from None
            key = WRITES_IDX_MAP.get(channel, idx)
            rows[key] = (key, channel, tag, data)  # a later special write wins
        return rows

    def _writes_statements(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> list[Statement]:
        rows = self._write_rows(writes)
        if not rows:
            return []
        conf = config["configurable"]
        params = rows_params(list(rows.values()))
        params.update(
            thread_id=str(conf["thread_id"]), ns=conf.get("checkpoint_ns", ""),
            checkpoint_id=conf["checkpoint_id"], task_id=task_id, task_path=task_path,
        )  # fmt: skip
        # Writes need not wait for the WAL flush: the next checkpoint's does.
        lock = self._lock_sql(
            PUT_LOCK if self.synchronous == "EXTRA" else PUT_LOCK_ASYNC
        )
        rows_sql = values_sql(WRITE_TYPES, len(rows))
        return [(PUT_WRITES.format(lock=lock, rows=rows_sql), params)]

    def _load_tuples(self, rows: Rows, chains: Rows) -> list[CheckpointTuple]:
        """Map rows of ``_SELECT`` to tuples; ``chains`` has their splice bases."""
        bases = {(t, n, c, v): (kind, data) for t, n, c, v, kind, data in chains}
        return [self._load_tuple(row, bases) for row in rows]

    def _load_tuple(
        self, row: Sequence[Any], bases: Mapping[tuple[Any, ...], Any]
    ) -> CheckpointTuple:
        thread_id, ns, checkpoint_id, parent_id, header, meta, blobs, writes, sends = (
            row
        )
        where = f"thread {thread_id!r}, namespace {ns!r}, checkpoint {checkpoint_id!r}"
        checkpoint = orjson.loads(header)
        values = checkpoint.get("channel_values") or {}
        for channel, tag, data in blobs or ():
            name, kind = channel.decode(), tag.decode()
            what = f"channel {name!r} of {where}"
            if is_spliced(kind):
                kind, data = self._materialize(bases, (thread_id, ns, name), kind, data)
            if kind != "empty":
                values[name] = self._loads(kind, data, what)
        if sends:  # LangGraph before v4 kept pending sends as the parent's writes
            versions = checkpoint["channel_versions"]
            values[TASKS] = [value for _, _, value in self._writes(sends, where)]
            latest = max(versions.values()) if versions else None
            versions[TASKS] = latest or self.get_next_version(None, None)
        checkpoint["channel_values"] = values
        return CheckpointTuple(
            config=config_of(thread_id, ns, checkpoint_id),
            checkpoint=checkpoint,
            metadata=orjson.loads(meta),
            parent_config=config_of(thread_id, ns, parent_id) if parent_id else None,
            pending_writes=self._writes(writes, where),
        )

    def _materialize(
        self,
        bases: Mapping[tuple[Any, ...], Any],
        key: tuple[str, str, str],
        kind: str,
        data: bytes,
    ) -> tuple[str, bytes]:
        try:
            return materialize(kind, data, lambda version: bases.get((*key, version)))
        except ValueError as exc:
            where = f"channel {key[2]!r} of thread {key[0]!r}, namespace {key[1]!r}"
            raise DeserializationError(f"cannot load {where}: {exc}") from exc

    def _writes(self, rows: Rows | None, where: str) -> list[PendingWrite]:
        ordered = sorted(
            (path.decode(), task.decode(), int(idx), channel.decode(), tag, data)
            for task, channel, tag, data, path, idx in rows or ()
        )
        what = "write {!r} of task {!r} in {}"
        return [
            (task, channel, self._loads(
                (tag or b"").decode(), data, what.format(channel, task, where)
            ))
            for _, task, _, channel, tag, data in ordered
        ]  # fmt: skip

    def _loads(self, tag: str, data: bytes | None, what: str) -> Any:
        try:
            return self.serde.loads_typed((tag, data if data is not None else b""))
        except DeserializationError as exc:
            raise DeserializationError(f"cannot load {what}: {exc}") from exc
