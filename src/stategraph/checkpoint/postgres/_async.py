"""``AsyncPostgresSaver``: runs the statements of ``_base`` over an async connection.

This file is the source of ``_sync.py`` (``scripts/unasync.py`` rewrites it):
keep every difference between the two in names the rewrite rules map. Each
call takes the connection (or one from the pool), runs its statements and
gives it back: reads are one query (two when a value is stored as a delta),
``put``/``put_writes`` one statement (or one transaction with retention).
Steps saved with ``durable=False`` are written in the background
(``_async_io``); maintenance and run locks live there too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from psycopg import AsyncConnection, AsyncPipeline
from psycopg.rows import dict_row, tuple_row

from stategraph._config import RunnableConfig
from stategraph.checkpoint._splice import SPLICE_EVERY
from stategraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    SerializerProtocol,
)
from stategraph.checkpoint.base._runlock import ThreadLock
from stategraph.checkpoint.base._step import StepWrites
from stategraph.checkpoint.postgres import _base
from stategraph.checkpoint.postgres._async_io import AsyncPostgresIO
from stategraph.checkpoint.postgres._batch import step_statements
from stategraph.checkpoint.postgres._delta import delta_history_plan

if TYPE_CHECKING:
    from typing_extensions import Self

    from stategraph.checkpoint.postgres._async_io import Conn


class AsyncPostgresSaver(AsyncPostgresIO):
    """Checkpoint saver storing threads in PostgreSQL.

    A drop-in for LangGraph's saver of the same name: same constructor, same
    tables. Call ``setup()`` once to create or migrate the tables.

    Concurrency: every write to a thread (``put``, ``put_writes``, deletes,
    copies, prunes) first takes the transaction-level advisory lock
    ``pg_advisory_xact_lock(THREAD_LOCK_CLASS, hashtext(thread_id))``, so
    writers of one thread, in any process, never interleave; other threads
    are not blocked. A single connection is shared under ``lock``; a pool
    serves concurrent calls on separate connections. (The asyncio saver's
    blocking methods run on its event loop and raise
    ``asyncio.InvalidStateError`` when called from the loop's own thread.)

    Args:
        conn: A ``psycopg.AsyncConnection`` (preferably ``autocommit=True``)
            or a ``psycopg_pool.AsyncConnectionPool``. Any row factory works.
        pipe: The connection's pipeline, when it is in pipeline mode.
        serde: Serializer of channel values and writes.
        keep_last: Retention: keep only the newest ``keep_last`` checkpoints
            of each thread and namespace. Older ones, their writes and the
            blobs only they used are deleted in the same transaction as each
            ``put``, and the oldest kept checkpoint loses its parent link.
        synchronous: Which commits wait for the server's WAL flush, named
            after the ``SqliteSaver`` settings with the same guarantees.
            ``"NORMAL"``: none waits (``synchronous_commit=off``
            for the saver's transactions), as SQLite in WAL mode with
            ``synchronous=NORMAL``: a crash of the PostgreSQL server or of
            its machine may lose the last commits (under a second with the
            default ``wal_writer_delay``; the run resumes from an earlier
            checkpoint and repeats those steps) but never corrupts a
            thread. ``"FULL"`` (default): checkpoints wait, pending writes do not (a
            checkpoint's flush also makes every earlier write durable, so
            only writes made since the last checkpoint may be lost, and
            their tasks run again); with ``durability="async"`` steps do not
            wait either, and the run flushes once before it returns
            (``aflush_steps``). ``"EXTRA"``: every commit waits, as
            with LangGraph's saver. Client crashes, including ``SIGKILL``,
            lose nothing committed in any mode. With ``durability="async"``
            (any mode) steps are written in the background while the next
            ones run, as LangGraph's savers do: a killed process may lose
            the steps not yet written (the thread resumes from its last
            stored checkpoint); every other call, and the end of the run,
            waits for them, and a failed write fails the run.
        splice_every: A list value (``add_messages`` and the like) that
            shares a prefix with the channel's previous value is stored as
            a splice of it (``stategraph.checkpoint._splice``), with a full
            value at least every ``splice_every`` versions; reads and
            maintenance are unchanged. LangGraph cannot read spliced rows:
            pass ``0`` to store every value in full, as LangGraph does.
        thread_lock: What a root run (``invoke``, ``stream``...; not a
            subgraph, not a state read or update) does when another process
            is running its thread: ``"wait"`` (default) until that run
            ends, ``"raise"`` ``ThreadBusyError`` at once, or ``"off"`` (run
            anyway, as LangGraph does: the runs' checkpoints interleave).
            The lock is a session-level advisory lock, held by the saver's
            connection (with a pool: by one extra connection the saver
            opens on first use, outside the pool) and dropped by the server
            when that session ends, so a killed process never blocks a
            thread. Runs of one process share
            it and never wait for each other.
        thread_lock_timeout: Seconds ``"wait"`` waits before raising
            ``ThreadBusyError``; ``None`` (default) waits as long as it takes.

    Raises:
        TypeError: If ``conn`` is neither a connection nor a pool.
        ValueError: If ``pipe`` is given with a pool, ``keep_last`` < 1 or
            ``synchronous`` is not one of the values above.

    Example:
        >>> async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
        ...     await saver.setup()
        ...     graph = builder.compile(checkpointer=saver)
    """

    def __init__(
        self,
        conn: Conn,
        pipe: AsyncPipeline | None = None,
        serde: SerializerProtocol | None = None,
        *,
        keep_last: int | None = None,
        synchronous: str = "FULL",
        splice_every: int = SPLICE_EVERY,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> None:
        super().__init__(
            conn,
            pipe,
            serde=serde,
            keep_last=keep_last,
            synchronous=synchronous,
            splice_every=splice_every,
            thread_lock=thread_lock,
            thread_lock_timeout=thread_lock_timeout,
        )

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        pipeline: bool = False,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str = "FULL",
        splice_every: int = SPLICE_EVERY,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> AsyncIterator[Self]:
        """Open a connection (autocommit, dict rows) and yield a saver using it.

        Args:
            conn_string: libpq connection string or URI.
            pipeline: Put the connection in pipeline mode.
            serde: Serializer of channel values and writes.
            keep_last: Retention, see the class docstring.
            synchronous: Commit durability, see the class docstring.
            splice_every: Storage of list values, see the class docstring.
            thread_lock: Run lock policy, see the class docstring.
            thread_lock_timeout: Longest wait for the run lock, in seconds.

        Yields:
            The saver; the connection closes when the block exits.
        """
        extra: dict[str, Any] = {
            "synchronous": synchronous,
            "splice_every": splice_every,
            "thread_lock": thread_lock,
            "thread_lock_timeout": thread_lock_timeout,
        }
        if keep_last is not None:
            extra["keep_last"] = keep_last
        async with await AsyncConnection.connect(
            conn_string, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn:
            if pipeline:
                async with conn.pipeline() as pipe:
                    yield cls(conn, pipe, serde, **extra)
            else:
                yield cls(conn, None, serde, **extra)

    async def setup(self) -> None:
        """Create the tables or bring them to the latest migration.

        Idempotent, and safe when several processes call it at once: all of it
        runs in one transaction holding an advisory lock. Also learns whether
        the server compresses with lz4 (which runs otherwise learn when they
        first take a thread's run lock).
        """
        await self._settle()
        async with (
            self._connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            await cur.execute(_base.SETUP_LOCK_SQL, prepare=False)
            await cur.execute(_base.MIGRATIONS[0], prepare=False)
            if self.pipe is not None:
                # In pipeline mode a cursor's results arrive in order; reading
                # the version must not pick up the lock statement's row.
                await self.pipe.sync()
            async with conn.cursor(row_factory=tuple_row) as version_cur:
                row = await (
                    await version_cur.execute(_base.CURRENT_VERSION_SQL, prepare=False)
                ).fetchone()
            current = -1 if row is None or row[0] is None else int(row[0])
            for sql, params in _base.migration_statements(current):
                await cur.execute(sql, params, prepare=False)  # one-off statements
        if self.pipe is not None:
            await self.pipe.sync()
        if self._run_scope is None:  # what the server can do (lz4), as runs learn
            self._run_scope = tuple((await self._fetch((self._RUN_SCOPE_SQL, ())))[0])

    # -- reading -------------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch a checkpoint with its values, metadata, parent and pending writes.

        Args:
            config: ``thread_id``, ``checkpoint_ns`` and optionally
                ``checkpoint_id`` (the latest checkpoint when absent).

        Returns:
            The checkpoint tuple, or ``None``.

        Raises:
            DeserializationError: When a stored value cannot be loaded; the
                message names the thread, checkpoint and channel.
        """
        found = await self._tuples(_base.get_statement(config))
        return found[0] if found else None

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel writes and seeds along the ancestors of a checkpoint.

        Same contract as ``BaseCheckpointSaver.get_delta_channel_history``,
        read with a few queries instead of one ``get_tuple`` per ancestor.
        """
        plan = delta_history_plan(self, config, channels)
        try:
            statement = next(plan)
            while True:
                statement = plan.send(await self._fetch(statement))
        except StopIteration as done:
            result: Mapping[str, DeltaChannelHistory] = done.value
            return result

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """List checkpoints, newest (highest id) first.

        Args:
            config: Thread, and optionally namespace and checkpoint id, to
                list; ``None`` lists every thread.
            filter: Metadata the checkpoints contain (``metadata @> filter``).
            before: Only checkpoints with ids below this config's id.
            limit: Maximum number of checkpoints.

        Yields:
            Checkpoint tuples. The query runs on the first ``next()``; no
            connection is held while the caller iterates.
        """
        statement = _base.list_statement(config, filter, before, limit)
        for found in await self._tuples(statement):
            yield found

    # -- writing -------------------------------------------------------------

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint in one transaction; only new versions get blobs.

        Args:
            config: Thread, namespace and the parent's ``checkpoint_id``.
            checkpoint: The checkpoint; its dicts are encoded before returning
                and never referenced afterwards.
            metadata: Its metadata (merged with the config's scalars).
            new_versions: Channels whose version moved since the parent.

        Returns:
            Config of the stored checkpoint.

        Raises:
            UnserializableValueError: When a value cannot be serialized; the
                path starts at ``state[<channel>]``. Nothing is written.
        """
        await self._check_steps(str(config["configurable"]["thread_id"]))
        statements, stored, spliced = self._put_statements(
            config, checkpoint, metadata, new_versions
        )
        await self._write(statements)
        self._splices.commit(spliced)
        return stored

    async def aput_step(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: Sequence[StepWrites],
        durable: bool = True,
    ) -> RunnableConfig:
        """Store tasks' writes and a checkpoint with one statement (one transaction).

        The rows of ``aput_writes`` for each entry of ``writes`` and of
        ``aput``, in one round trip and at most one WAL flush. With
        ``durable=False`` the step is queued and written in the background,
        with the thread's other queued steps (one statement); the commit
        waits for the flush only with ``"EXTRA"``, and ``aflush_steps``
        waits for the queue and the flush. A failed background write is
        raised by the thread's next ``aput*`` or ``aflush_steps``.

        Returns:
            Config of the stored checkpoint.

        Raises:
            UnserializableValueError: Path starting at ``update[<channel>]``
                or ``state[<channel>]``. Nothing is written.
        """
        step, stored, spliced = self._step_rows(
            config, checkpoint, metadata, new_versions, writes, durable
        )
        if durable:
            await self._check_steps(step.thread_id)
            await self._write(step_statements(step))
        else:  # an earlier step's failure known by now stops the run
            self._steps.raise_failure(step.thread_id)
            await self._queue_step(step)
        self._splices.commit(spliced)
        return stored

    async def aflush_steps(self, config: RunnableConfig) -> None:
        """Wait until every step stored so far is durable (flushed to the WAL).

        Commits the checkpoint in ``config`` again, waiting for the flush,
        which covers every earlier commit of the server.
        """
        await self._check_steps(str(config["configurable"]["thread_id"]))
        if self.synchronous == "FULL":
            await self._write([_base.flush_statement(config)])

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against the checkpoint in ``config``, atomically.

        Regular writes are never replaced once stored; writes to the special
        channels (errors, interrupts, resumes, scheduled) replace earlier ones.

        Args:
            config: Config with ``thread_id``, ``checkpoint_ns``, ``checkpoint_id``.
            writes: ``(channel, value)`` pairs.
            task_id: Id of the writing task.
            task_path: Path of the task, which orders pending writes.

        Raises:
            UnserializableValueError: Path starting at ``update[<channel>]``.
        """
        await self._check_steps(str(config["configurable"]["thread_id"]))
        await self._write(self._writes_statements(config, writes, task_id, task_path))
