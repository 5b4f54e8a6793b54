"""``AsyncPostgresSaver``: runs the statements of ``_base`` over an async connection.

The async methods do the I/O; the sync ones hand the same coroutines to the
saver's event loop, and may only be called from another thread (as with
LangGraph's saver).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar, cast

from psycopg import AsyncConnection, AsyncPipeline, Capabilities
from psycopg.rows import dict_row, tuple_row

from stategraph._config import RunnableConfig
from stategraph.checkpoint._bridge import LoopBoundSaver
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

    from psycopg_pool import AsyncConnectionPool
    from typing_extensions import Self

    Conn: TypeAlias = "AsyncConnection[Any] | AsyncConnectionPool[Any]"

T = TypeVar("T")
Row = tuple[Any, ...]
Rows = list[Row]


def _is_pool(conn: object) -> bool:
    module = sys.modules.get("psycopg_pool")
    return module is not None and isinstance(conn, module.AsyncConnectionPool)


def _transaction(
    conn: AsyncConnection[Any], needed: bool
) -> AbstractAsyncContextManager[Any]:
    return conn.transaction() if needed or not conn.autocommit else nullcontext()


class AsyncPostgresSaver(LoopBoundSaver[str], _base.BasePostgresSaver):
    """Checkpoint saver storing threads in PostgreSQL (async API).

    The async twin of ``PostgresSaver``: same tables, statements, retention
    and per-thread advisory lock. Create it inside a running event loop; its
    sync methods (``get_tuple``, ``put``, ...) run on that loop and raise
    ``asyncio.InvalidStateError`` when called from the loop's own thread.

    Args:
        conn: A ``psycopg.AsyncConnection`` (preferably ``autocommit=True``)
            or a ``psycopg_pool.AsyncConnectionPool``.
        pipe: The connection's pipeline, when it is in pipeline mode.
        serde: Serializer of channel values and writes.
        keep_last: Keep only the newest ``keep_last`` checkpoints of each
            thread and namespace (see ``PostgresSaver``).

    Raises:
        TypeError: If ``conn`` is neither an async connection nor an async pool.
        ValueError: If ``pipe`` is given with a pool, or ``keep_last`` < 1.
    """

    lock: asyncio.Lock

    _SAVER_NAME = "AsyncPostgresSaver"

    def __init__(
        self,
        conn: Conn,
        pipe: AsyncPipeline | None = None,
        serde: SerializerProtocol | None = None,
        *,
        keep_last: int | None = None,
    ) -> None:
        super().__init__(serde=serde, keep_last=keep_last)
        self._pooled = _is_pool(conn)
        if not self._pooled and not isinstance(conn, AsyncConnection):
            raise TypeError(
                f"Invalid connection type: {type(conn)}; pass a psycopg."
                "AsyncConnection or a psycopg_pool.AsyncConnectionPool"
            )
        if self._pooled and pipe is not None:
            raise ValueError(
                "Pipeline should be used only with a single AsyncConnection, "
                "not AsyncConnectionPool."
            )
        self.conn = conn
        self.pipe = pipe
        self.lock = asyncio.Lock()
        self.loop = asyncio.get_running_loop()
        self.supports_pipeline = Capabilities().has_pipeline()

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str,
        *,
        pipeline: bool = False,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
    ) -> AsyncIterator[Self]:
        """Open an async connection (autocommit, dict rows) and yield a saver.

        Args:
            conn_string: libpq connection string or URI.
            pipeline: Put the connection in pipeline mode.
            serde: Serializer of channel values and writes.
            keep_last: Retention, see the class docstring.

        Yields:
            The saver; the connection closes when the block exits.
        """
        extra = {} if keep_last is None else {"keep_last": keep_last}
        async with await AsyncConnection.connect(
            conn_string, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn:
            if pipeline:
                async with conn.pipeline() as pipe:
                    yield cls(conn, pipe, serde, **extra)
            else:
                yield cls(conn, None, serde, **extra)

    async def setup(self) -> None:
        """Create the tables or migrate them (see ``PostgresSaver.setup``)."""
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

    # -- async API -----------------------------------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch a checkpoint tuple (see ``PostgresSaver.get_tuple``)."""
        rows = await self._fetch(_base.get_statement(config))
        return self._load_tuple(rows[0]) if rows else None

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel writes and seeds (see the sync saver's method)."""
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
        """List checkpoints newest first (see ``PostgresSaver.list``)."""
        rows = await self._fetch(_base.list_statement(config, filter, before, limit))
        for row in rows:
            yield self._load_tuple(row)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint (see ``PostgresSaver.put``)."""
        statements, stored = self._put_statements(
            config, checkpoint, metadata, new_versions
        )
        await self._write(statements)
        return stored

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes (see ``PostgresSaver.put_writes``)."""
        await self._write(self._writes_statements(config, writes, task_id, task_path))

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and write of a thread."""
        await self._write(_base.delete_threads_statements([thread_id]))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints of runs (see ``PostgresSaver.delete_for_runs``)."""
        if run_ids:
            await self._write(_base.delete_for_runs_statements(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every row of a thread under another thread id."""
        if str(source_thread_id) != str(target_thread_id):
            await self._write(
                _base.copy_thread_statements(source_thread_id, target_thread_id)
            )

    async def aprune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Drop old checkpoints of threads (see ``PostgresSaver.prune``)."""
        statements = _base.prune_statements(thread_ids, strategy)
        check = _base.delta_threads_statement(thread_ids)
        if (
            strategy == "keep_latest"
            and statements
            and (found := await self._fetch(check))
        ):
            raise delta_prune_error(row[0] for row in found)
        await self._write(statements)

    async def astorage_size(self, thread_id: str) -> int:
        """Bytes the thread's rows take in the three tables (after compression)."""
        statement = (_base.STORAGE_SIZE_SQL, {"thread_id": str(thread_id)})
        return int((await self._fetch(statement))[0][0])

    # -- sync API, run on the saver's loop from other threads -----------------

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Blocking ``alist``, for threads other than the loop's."""
        statement = _base.list_statement(config, filter, before, limit)
        for row in self._on_loop(self._fetch(statement)):
            yield self._load_tuple(row)

    def storage_size(self, thread_id: str) -> int:
        """Blocking ``astorage_size``, for threads other than the loop's."""
        return self._on_loop(self.astorage_size(thread_id))

    # -- I/O -----------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        if self._pooled:
            pool = cast("AsyncConnectionPool[AsyncConnection[Any]]", self.conn)
            async with pool.connection() as conn:
                yield conn
        else:
            async with self.lock:
                yield cast("AsyncConnection[Any]", self.conn)

    async def _write(self, statements: Sequence[_base.Statement]) -> None:
        if not statements:
            return
        async with self._connection() as conn:
            async with (
                _transaction(conn, len(statements) > 1),
                conn.cursor(row_factory=tuple_row) as cur,
            ):
                for sql, params in statements:
                    await cur.execute(sql, params)
            if self.pipe is not None:
                await self.pipe.sync()

    async def _fetch(self, statement: _base.Statement) -> Rows:
        async with (
            self._connection() as conn,
            _transaction(conn, False),
            conn.cursor(binary=True, row_factory=tuple_row) as cur,
        ):
            await cur.execute(*statement)
            return await cur.fetchall()
