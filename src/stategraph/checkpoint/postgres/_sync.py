"""``PostgresSaver``: runs the statements of ``_base`` over a sync psycopg connection.

Each call takes the connection (or one from the pool), runs its statements and
gives it back: reads are one query, ``put``/``put_writes`` one statement (or
one transaction when retention is on), maintenance one transaction.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, cast

from psycopg import Capabilities, Connection, Pipeline
from psycopg.rows import dict_row, tuple_row

from stategraph._config import RunnableConfig
from stategraph.checkpoint._delta_history import delta_prune_error
from stategraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    SerializerProtocol,
)
from stategraph.checkpoint.postgres import _base
from stategraph.checkpoint.postgres._delta import delta_history_plan

if TYPE_CHECKING:
    from typing import TypeAlias

    from psycopg_pool import ConnectionPool
    from typing_extensions import Self

    Conn: TypeAlias = "Connection[Any] | ConnectionPool[Any]"

Row = tuple[Any, ...]
Rows = list[Row]


def _is_pool(conn: object) -> bool:
    # A pool can only come from an imported psycopg_pool: never import it here.
    module = sys.modules.get("psycopg_pool")
    return module is not None and isinstance(conn, module.ConnectionPool)


def _transaction(conn: Connection[Any], needed: bool) -> AbstractContextManager[Any]:
    return conn.transaction() if needed or not conn.autocommit else nullcontext()


class PostgresSaver(_base.BasePostgresSaver):
    """Checkpoint saver storing threads in PostgreSQL (sync API).

    A drop-in for LangGraph's ``PostgresSaver``: same constructor, same tables,
    same results. Call ``setup()`` once to create or migrate the tables.

    Concurrency: every write to a thread (``put``, ``put_writes``, deletes,
    copies, prunes) first takes the transaction-level advisory lock
    ``pg_advisory_xact_lock(THREAD_LOCK_CLASS, hashtext(thread_id))``, so
    writers of one thread, in any process, never interleave; other threads
    are not blocked. A single connection is shared under ``lock``; a pool
    serves concurrent calls on separate connections.

    Args:
        conn: A ``psycopg.Connection`` (preferably ``autocommit=True``) or a
            ``psycopg_pool.ConnectionPool``. Any row factory works.
        pipe: The connection's pipeline, when it is in pipeline mode.
        serde: Serializer of channel values and writes.
        keep_last: Retention: keep only the newest ``keep_last`` checkpoints
            of each thread and namespace. Older ones, their writes and the
            blobs only they used are deleted in the same transaction as each
            ``put``, and the oldest kept checkpoint loses its parent link.

    Raises:
        TypeError: If ``conn`` is neither a connection nor a pool.
        ValueError: If ``pipe`` is given with a pool, or ``keep_last`` < 1.

    Example:
        >>> with PostgresSaver.from_conn_string("postgresql://...") as saver:
        ...     saver.setup()
        ...     graph = builder.compile(checkpointer=saver)
    """

    lock: threading.Lock

    def __init__(
        self,
        conn: Conn,
        pipe: Pipeline | None = None,
        serde: SerializerProtocol | None = None,
        *,
        keep_last: int | None = None,
    ) -> None:
        super().__init__(serde=serde, keep_last=keep_last)
        self._pooled = _is_pool(conn)
        if not self._pooled and not isinstance(conn, Connection):
            raise TypeError(
                f"Invalid connection type: {type(conn)}; pass a psycopg.Connection "
                "or a psycopg_pool.ConnectionPool"
            )
        if self._pooled and pipe is not None:
            raise ValueError(
                "Pipeline should be used only with a single Connection, "
                "not ConnectionPool."
            )
        self.conn = conn
        self.pipe = pipe
        self.lock = threading.Lock()
        self.supports_pipeline = Capabilities().has_pipeline()

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        pipeline: bool = False,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
    ) -> Iterator[Self]:
        """Open a connection (autocommit, dict rows) and yield a saver using it.

        Args:
            conn_string: libpq connection string or URI.
            pipeline: Put the connection in pipeline mode.
            serde: Serializer of channel values and writes.
            keep_last: Retention, see the class docstring.

        Yields:
            The saver; the connection closes when the block exits.
        """
        extra = {} if keep_last is None else {"keep_last": keep_last}
        with Connection.connect(
            conn_string, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn:
            if pipeline:
                with conn.pipeline() as pipe:
                    yield cls(conn, pipe, serde, **extra)
            else:
                yield cls(conn, None, serde, **extra)

    def setup(self) -> None:
        """Create the tables or bring them to the latest migration.

        Idempotent, and safe when several processes call it at once: all of it
        runs in one transaction holding an advisory lock.
        """
        with (
            self._connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            cur.execute(_base.SETUP_LOCK_SQL, prepare=False)
            cur.execute(_base.MIGRATIONS[0], prepare=False)
            if self.pipe is not None:
                # In pipeline mode a cursor's results arrive in order; reading
                # the version must not pick up the lock statement's row.
                self.pipe.sync()
            with conn.cursor(row_factory=tuple_row) as version_cur:
                row = version_cur.execute(
                    _base.CURRENT_VERSION_SQL, prepare=False
                ).fetchone()
            current = -1 if row is None or row[0] is None else int(row[0])
            for sql, params in _base.migration_statements(current):
                cur.execute(sql, params, prepare=False)  # one-off statements
        if self.pipe is not None:
            self.pipe.sync()

    # -- reading -------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
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
        rows = self._fetch(_base.get_statement(config))
        return self._load_tuple(rows[0]) if rows else None

    def get_delta_channel_history(
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
                statement = plan.send(self._fetch(statement))
        except StopIteration as done:
            result: Mapping[str, DeltaChannelHistory] = done.value
            return result

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
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
        rows = self._fetch(_base.list_statement(config, filter, before, limit))
        for row in rows:
            yield self._load_tuple(row)

    def storage_size(self, thread_id: str) -> int:
        """Bytes the thread's rows take in the three tables (after compression)."""
        rows = self._fetch((_base.STORAGE_SIZE_SQL, {"thread_id": str(thread_id)}))
        return int(rows[0][0])

    # -- writing -------------------------------------------------------------

    def put(
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
        statements, stored = self._put_statements(
            config, checkpoint, metadata, new_versions
        )
        self._write(statements)
        return stored

    def put_writes(
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
        self._write(self._writes_statements(config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and write of a thread."""
        self._write(_base.delete_threads_statements([thread_id]))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints whose metadata ``run_id`` is in ``run_ids``.

        Their writes go too, and blobs no remaining checkpoint uses.
        """
        if run_ids:
            self._write(_base.delete_for_runs_statements(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and write of a thread under another id."""
        if str(source_thread_id) != str(target_thread_id):
            self._write(
                _base.copy_thread_statements(source_thread_id, target_thread_id)
            )

    def prune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Drop old checkpoints of threads, in one transaction.

        Args:
            thread_ids: Threads to prune.
            strategy: ``"keep_latest"`` keeps the newest checkpoint of each
                namespace with its writes and blobs (its parent link is
                cleared); ``"delete"`` deletes the threads.

        Raises:
            TypeError: If ``thread_ids`` is a single string.
            ValueError: For another strategy.
        """
        statements = _base.prune_statements(thread_ids, strategy)
        check = _base.delta_threads_statement(thread_ids)
        if strategy == "keep_latest" and statements and (found := self._fetch(check)):
            raise delta_prune_error(row[0] for row in found)
        self._write(statements)

    # -- I/O -----------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[Connection[Any]]:
        if self._pooled:
            pool = cast("ConnectionPool[Connection[Any]]", self.conn)
            with pool.connection() as conn:
                yield conn
        else:
            with self.lock:
                yield cast("Connection[Any]", self.conn)

    def _write(self, statements: Sequence[_base.Statement]) -> None:
        if not statements:
            return
        with self._connection() as conn:
            with (
                _transaction(conn, len(statements) > 1),
                conn.cursor(row_factory=tuple_row) as cur,
            ):
                for sql, params in statements:
                    cur.execute(sql, params)
            if self.pipe is not None:
                self.pipe.sync()

    def _fetch(self, statement: _base.Statement) -> Rows:
        with (
            self._connection() as conn,
            _transaction(conn, False),
            conn.cursor(binary=True, row_factory=tuple_row) as cur,
        ):
            cur.execute(*statement)
            return cur.fetchall()
