"""``AsyncSqliteSaver``: the SQLite checkpoint saver for asyncio, over aiosqlite.

This file is the source of ``_sync.py`` (``scripts/unasync.py`` rewrites it):
keep every difference between the two in names the rewrite rules map. Each
method serializes first, then runs one plan of ``_read``/``_write`` inside
one SQLite transaction while holding the saver's lock. Setup and the
maintenance methods (deletes, copies, pruning, leases, run locks) are the
mixin's of ``_async_maintenance``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import uuid4

import aiosqlite

from stategraph._config import RunnableConfig
from stategraph.checkpoint._delta_history import uses_delta
from stategraph.checkpoint._splice import SPLICE_EVERY, SpliceCache
from stategraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    SerializerProtocol,
    _runlock,
)
from stategraph.checkpoint.base._records import next_version
from stategraph.checkpoint.base._runlock import ThreadLock
from stategraph.checkpoint.base._step import StepWrites
from stategraph.checkpoint.sqlite import _aio, _read, _write
from stategraph.checkpoint.sqlite._aio import AsyncBridge
from stategraph.checkpoint.sqlite._async_maintenance import AsyncSqliteMaintenance
from stategraph.checkpoint.sqlite._base import (
    Plan,
    T,
    check_keep_last,
    connection_pragmas,
)
from stategraph.checkpoint.sqlite._delta import delta_history_plan
from stategraph.checkpoint.sqlite._read import config_of


class AsyncSqliteSaver(AsyncSqliteMaintenance, AsyncBridge):
    """Checkpoint saver storing threads in a SQLite database.

    Channel values are stored once per version and shared by the checkpoints
    that have that version, so a step that changes one channel writes one
    value; a list that grew is stored as a splice of its previous version.
    Every method runs in one transaction; writes use ``BEGIN IMMEDIATE``, so
    puts from several processes on one file queue up instead of
    interleaving (the connection's busy timeout bounds the wait; Python's
    default is 5 s). As in LangGraph, the sync saver's async methods raise
    (use the asyncio saver, from ``stategraph.checkpoint.sqlite.aio``, with
    ``ainvoke``/``astream``), and the asyncio saver's blocking methods run
    on its event loop, from other threads only (on the loop's thread they
    raise ``asyncio.InvalidStateError``).

    Args:
        conn: The connection: a ``sqlite3`` one for the sync saver (pass
            ``check_same_thread=False`` to share it between threads; the
            saver locks around every use), an ``aiosqlite`` one (started or
            not) for the asyncio saver.
        serde: Serializer; defaults to the safe ``JsonPlusSerializer``.
        keep_last: Retention: after each ``put``, keep only the newest
            ``keep_last`` checkpoints of that thread and namespace (older
            ones, their writes and values no longer used are deleted in the
            same transaction). ``None`` (default) keeps everything.
        synchronous: ``PRAGMA synchronous`` set on the connection at setup.
            ``"NORMAL"`` (default; applied only in WAL mode) survives process
            crashes, including ``SIGKILL``, and never corrupts the file, but
            an OS crash or power loss may drop the last commits (a resumed
            run then repeats those steps). ``"FULL"``/``"EXTRA"`` also
            survive power loss at the cost of an fsync per commit; ``None``
            leaves the connection as it is.
        splice_every: A list value (``add_messages`` and the like) that
            shares a prefix with the channel's previous value is stored as
            a splice of it (``stategraph.checkpoint._splice``), with a full
            value at least every ``splice_every`` versions; reads and
            maintenance are unchanged. ``0`` stores every value in full.
        thread_lock: What a root run (``invoke``, ``stream``...; not a
            subgraph, not a state read or update) does when another process
            is running its thread on the same database file: ``"wait"``
            (default) until that run ends, ``"raise"`` ``ThreadBusyError``
            at once, or ``"off"`` (run anyway, as LangGraph does: the two
            runs' checkpoints interleave). Runs of one process share the
            lock, so they never wait for each other. The lock is a
            ``flock`` on ``<db file>.locks/<hash of thread id>.lock``,
            dropped by the OS when its holder exits or is killed, and
            deleted by the run when it ends; in-memory databases need none.
        thread_lock_timeout: Seconds ``"wait"`` waits before raising
            ``ThreadBusyError``; ``None`` (default) waits as long as it takes.

    Example:
        >>> async with AsyncSqliteSaver.from_conn_string("ck.db") as saver:
        ...     graph = builder.compile(checkpointer=saver)
    """

    lock: asyncio.Lock
    is_setup: bool

    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str | None = "NORMAL",
        splice_every: int = SPLICE_EVERY,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> None:
        super().__init__(serde=serde)
        _runlock.check_thread_lock(thread_lock, thread_lock_timeout)
        self.thread_lock: ThreadLock = thread_lock
        self.thread_lock_timeout = thread_lock_timeout
        self._db_file: str | None = None
        self.conn = conn
        self.keep_last = check_keep_last(keep_last)
        connection_pragmas(synchronous, "wal")  # validates
        self.synchronous = synchronous
        self.lock = asyncio.Lock()
        self.is_setup = False
        self._whole_plans = True
        self.owner = uuid4().hex
        self._leases: dict[str, float] = {}
        self._splices = SpliceCache(splice_every)

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str | None = "NORMAL",
        splice_every: int = SPLICE_EVERY,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> AsyncIterator[AsyncSqliteSaver]:
        """Open a saver on a database path (or ``":memory:"``), closed on exit.

        Args:
            conn_string: Path of the database file, or ``":memory:"``.
            serde: Serializer (see the class).
            keep_last: Retention (see the class).
            synchronous: Durability (see the class).
            splice_every: Storage of list values (see the class).
            thread_lock: Run lock policy (see the class).
            thread_lock_timeout: Longest wait for the run lock (see the class).
        """
        async with _aio.connect(conn_string) as conn:
            yield cls(
                conn,
                serde=serde,
                keep_last=keep_last,
                synchronous=synchronous,
                splice_every=splice_every,
                thread_lock=thread_lock,
                thread_lock_timeout=thread_lock_timeout,
            )

    async def _run(self, plan: Plan[T], *, write: bool = True) -> T:
        async with self.lock:
            if not self.is_setup:
                await self._setup()
            return await _aio.transact(self.conn, plan, write, self._whole_plans)

    # -- reading -------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch the checkpoint in ``config`` (latest when it names no id).

        Returns:
            The tuple with values, metadata, parent config and pending writes
            (ordered by task path, task id, index), or ``None``.
        """
        found: CheckpointTuple | None = await self._run(
            _read.get_plan(self.serde, config), write=False
        )
        return found

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel writes and seeds along the ancestors of a checkpoint.

        Same contract as ``BaseCheckpointSaver.get_delta_channel_history``,
        read with a few queries instead of one ``get_tuple`` per ancestor.
        """
        found: Mapping[str, DeltaChannelHistory] = await self._run(
            delta_history_plan(self.serde, config, channels), write=False
        )
        return found

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """List checkpoints, newest id first (over all threads when ``config`` is None).

        Rows are read in batches, each in its own transaction; the saver is
        not locked while the caller consumes them.

        Args:
            config: Thread, and optionally namespace and checkpoint id.
            filter: Metadata key/values to match (``==``); keys must be strings.
            before: Only checkpoints with an id below this config's.
            limit: Maximum number of checkpoints.

        Raises:
            TypeError: When a filter key is not a string.
        """
        cursor = _read.list_cursor(config, filter, before, limit)
        while not cursor.done:
            plan = _read.list_plan(self.serde, cursor)
            for item in await self._run(plan, write=False):
                yield item

    # -- writing -------------------------------------------------------------

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint; only channels in ``new_versions`` get new values.

        Returns:
            Config of the stored checkpoint.

        Raises:
            UnserializableValueError: Path starts at ``state[<channel>]``.
            ThreadLeasedError: Another saver holds the thread's lease.
        """
        return await self._put(config, checkpoint, metadata, new_versions, None)

    async def aput_step(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: Sequence[StepWrites],
        durable: bool = True,
    ) -> RunnableConfig:
        """Store tasks' writes and a checkpoint in one transaction.

        The same rows as ``aput_writes`` for each entry of ``writes`` and then
        ``aput``, committed together: a crash keeps all of them or none.
        ``durable`` is ignored: every commit is as durable as ``synchronous``
        makes it.

        Returns:
            Config of the stored checkpoint.

        Raises:
            UnserializableValueError: Path starts at ``update[<channel>]`` or
                ``state[<channel>]``; nothing is stored.
            ThreadLeasedError: Another saver holds the thread's lease.
        """
        rows = _write.prepare_step_writes(self.serde, writes)
        return await self._put(config, checkpoint, metadata, new_versions, rows)

    async def _put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: _write.WriteRows | None,
    ) -> RunnableConfig:
        delta = uses_delta(checkpoint, metadata)
        splices = None if delta else self._splices
        prepared = _write.prepare_put(
            self.serde, config, checkpoint, metadata, new_versions, splices
        )
        now = time.time()
        ttl = self._leases.get(prepared.thread_id)
        renew = now + ttl if ttl else 0.0
        keep = None if delta else self.keep_last
        plan = _write.put_plan(prepared, self.owner, now, keep, renew, writes)
        await self._run(plan)
        self._splices.commit(prepared.spliced)
        thread_id = config["configurable"]["thread_id"]
        return config_of(thread_id, prepared.ns, prepared.checkpoint_id)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against the checkpoint in ``config``.

        Regular writes never replace stored ones; writes to special channels
        (errors, interrupts, resumes, scheduled) replace them.
        """
        rows = _write.prepare_writes(self.serde, config, writes, task_id, task_path)
        await self._run(_write.writes_plan(rows))

    # The engine may compute these versions itself (same format, no parsing).
    padded_versions = True

    def get_next_version(self, current: str | None, channel: None) -> str:
        """Return the version after ``current`` (same format as ``InMemorySaver``)."""
        return next_version(current)
