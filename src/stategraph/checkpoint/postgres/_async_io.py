"""``AsyncPostgresIO``: how ``AsyncPostgresSaver`` talks to the server.

This file is the source of ``_sync_io.py`` (``scripts/unasync.py`` rewrites
it). It owns the connection (or pool), the queue of steps stored in the
background (``_queue``), the run locks and the maintenance calls; the saver
class on top of it holds the LangGraph API. Every call but the background
drain waits for the queue first (``_settle``), so none overtakes a step.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, cast

import psycopg
from psycopg import AsyncConnection, AsyncPipeline, AsyncRawCursor, Capabilities
from psycopg.conninfo import make_conninfo
from psycopg.rows import tuple_row

from stategraph.checkpoint import _fork
from stategraph.checkpoint._delta_history import delta_prune_error
from stategraph.checkpoint.base import CheckpointTuple, _runlock
from stategraph.checkpoint.postgres import _base
from stategraph.checkpoint.postgres._batch import (
    RawParams,
    StepRows,
    batch_statements,
)
from stategraph.checkpoint.postgres._bridge import AsyncBridge
from stategraph.checkpoint.postgres._queue import StepQueue, join_task, start_task
from stategraph.errors import GraphBubbleUp

if TYPE_CHECKING:
    from typing import TypeAlias

    from psycopg_pool import AsyncConnectionPool

    Conn: TypeAlias = "AsyncConnection[Any] | AsyncConnectionPool[Any]"


def _is_pool(conn: object) -> bool:
    # A pool can only come from an imported psycopg_pool: never import it here.
    module = sys.modules.get("psycopg_pool")
    return module is not None and isinstance(conn, module.AsyncConnectionPool)


def _transaction(
    conn: AsyncConnection[Any], needed: bool
) -> AbstractAsyncContextManager[Any]:
    return conn.transaction() if needed or not conn.autocommit else nullcontext()


class AsyncPostgresIO(AsyncBridge):
    """Connection, background steps, run locks and maintenance of the saver.

    Args:
        conn: A connection or a pool (see ``AsyncPostgresSaver``).
        pipe: The connection's pipeline, when it is in pipeline mode.
        **settings: The ``BasePostgresSaver`` settings.
    """

    lock: asyncio.Lock

    def __init__(self, conn: Conn, pipe: AsyncPipeline | None, **settings: Any) -> None:
        super().__init__(**settings)
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
        # With a pool, run locks live on a connection of their own (see
        # ``_take_run_lock``), opened on first use.
        self._lock_conn: AsyncConnection[Any] | None = None
        self._lock_guard = asyncio.Lock()
        # Runs using the extra lock connection (holding or trying a lock): it
        # is closed when the last one is done, so none outlives the pool.
        self._lock_users = 0
        self.supports_pipeline = Capabilities().has_pipeline()
        self._steps = StepQueue()

    # -- maintenance ---------------------------------------------------------

    async def astorage_size(self, thread_id: str) -> int:
        """Bytes the thread's rows take in the three tables (after compression)."""
        statement = (_base.STORAGE_SIZE_SQL, {"thread_id": str(thread_id)})
        return int((await self._fetch(statement))[0][0])

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, blob and write of a thread."""
        await self._write(_base.delete_threads_statements([thread_id]))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints whose metadata ``run_id`` is in ``run_ids``.

        Their writes go too, and blobs no remaining checkpoint uses.
        """
        if run_ids:
            await self._write(_base.delete_for_runs_statements(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, blob and write of a thread under another id."""
        if str(source_thread_id) != str(target_thread_id):
            await self._write(
                _base.copy_thread_statements(source_thread_id, target_thread_id)
            )

    async def aprune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Drop old checkpoints of threads, in one transaction.

        Args:
            thread_ids: The threads.
            strategy: ``"keep_latest"`` keeps the newest checkpoint of each
                namespace (its parent link is cleared); ``"delete"`` removes
                the threads entirely.

        Raises:
            ValueError: For an unknown strategy.
            NotImplementedError: For ``keep_latest`` on threads with delta
                channels, which replay the writes of older checkpoints.
        """
        statements = _base.prune_statements(thread_ids, strategy)
        check = _base.delta_threads_statement(thread_ids)
        if (
            strategy == "keep_latest"
            and statements
            and (found := await self._fetch(check))
        ):
            raise delta_prune_error(row[0] for row in found)
        await self._write(statements)

    # -- run locks -----------------------------------------------------------

    @asynccontextmanager
    async def arun_lock(self, thread_id: str) -> AsyncIterator[None]:
        """Hold the run lock of a thread for the block (the engine's hook).

        The engine enters it around each root run; see ``thread_lock``.

        Raises:
            ThreadBusyError: When another process runs the thread and the
                policy is ``"raise"`` or its timeout passed.
        """
        if self.thread_lock == "off":
            yield
            return
        if self._run_scope is None:
            self._run_scope = tuple((await self._fetch((self._RUN_SCOPE_SQL, ())))[0])
        lock, keys = self._run_lock(thread_id)
        async with _runlock.ahold(
            lock, lambda: self._take_run_lock(keys), self._release_run_lock
        ):
            yield

    async def _take_run_lock(self, keys: tuple[int, int]) -> Any:
        # The token: (connection holding the lock, keys); None when another
        # session has it. A single connection holds its saver's locks. A
        # pool's saver holds them on one extra connection (not a pooled one,
        # which a run would keep from its own writes: a pool of N would
        # stall with N runs): a try-lock never waits, so all the saver's
        # runs share it.
        if not self._pooled:
            rows = await self._fetch((_base.RUN_TRY_LOCK_SQL, keys))
            return (None, keys) if rows[0][0] else None
        conn = await self._lock_connection()
        try:
            taken = await self._lock_statement(conn, _base.RUN_TRY_LOCK_SQL, keys)
        except BaseException:
            await self._unuse_lock_connection()
            raise
        if taken:
            return (conn, keys)
        await self._unuse_lock_connection()
        return None

    async def _lock_connection(self) -> AsyncConnection[Any]:
        async with self._lock_guard:
            conn = self._lock_conn
            if conn is None or conn.closed or conn.broken:
                # Connect as the pool's connections do (its conninfo may be
                # a callable): the parameters one of them used.
                async with self._connection() as pooled:
                    info = pooled.info
                    dsn = make_conninfo(info.dsn, password=info.password)
                conn = await AsyncConnection.connect(dsn, autocommit=True)
                # Closed with the saver (or at exit), without waiting; never
                # by a forked child, whose copy shares the parent's socket.
                weakref.finalize(self, _fork.owned(conn.pgconn.finish))
                self._lock_conn = conn
            self._lock_users += 1
            return conn

    async def _unuse_lock_connection(self) -> None:
        # The last run done with the extra connection closes it: a database
        # must be droppable once the pool the saver was given is closed.
        async with self._lock_guard:
            self._lock_users -= 1
            conn = self._lock_conn
            if self._lock_users == 0 and conn is not None:
                self._lock_conn = None
                await conn.close()

    async def _release_run_lock(self, token: Any) -> None:
        # Steps still queued are the run's: another process may only run the
        # thread once they are stored.
        await self._settle()
        conn, keys = token
        try:
            if conn is None:
                await self._fetch((_base.RUN_UNLOCK_SQL, keys))
            else:
                await self._lock_statement(conn, _base.RUN_UNLOCK_SQL, keys)
        except psycopg.Error:
            pass  # a broken session holds no lock: the server dropped it
        if conn is not None:
            await self._unuse_lock_connection()

    @staticmethod
    async def _lock_statement(
        conn: AsyncConnection[Any], sql: str, keys: tuple[int, int]
    ) -> bool:
        async with (
            _transaction(conn, False),
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            await cur.execute(sql, keys)
            row = await cur.fetchone()
        return bool(row and row[0])

    # -- statements ----------------------------------------------------------

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
        await self._settle()
        async with self._connection() as conn:
            async with (
                _transaction(conn, len(statements) > 1),
                conn.cursor(row_factory=tuple_row) as cur,
            ):
                for sql, params in statements:
                    await cur.execute(sql, params)
            if self.pipe is not None:
                await self.pipe.sync()

    async def _fetch(self, statement: _base.Statement) -> _base.Rows:
        await self._settle()
        async with (
            self._connection() as conn,
            _transaction(conn, False),
            conn.cursor(binary=True, row_factory=tuple_row) as cur,
        ):
            await cur.execute(*statement)
            return await cur.fetchall()

    async def _tuples(self, statement: _base.Statement) -> Sequence[CheckpointTuple]:
        rows = await self._fetch(statement)
        bases = _base.chain_statement(rows)
        chains = await self._fetch(bases) if bases is not None else []
        return self._load_tuples(rows, chains)

    # -- steps stored in the background --------------------------------------

    async def _queue_step(self, step: StepRows) -> None:
        if self._steps.full():
            await self._settle()
        self._steps.push(step, start_task, self._drain)

    async def _check_steps(self, thread_id: str) -> None:
        """Wait for the queued steps; raise the thread's failed write, if any."""
        await self._settle()
        self._steps.raise_failure(thread_id)

    async def _settle(self) -> None:
        """Wait until every queued step is written (or has failed)."""
        while (draining := self._steps.draining) is not None:
            await join_task(draining)

    async def _drain(self) -> None:
        # The connection first, then the queue: steps queued while it waits
        # for the connection go in the same batch.
        groups: list[tuple[str, list[StepRows]]] = []
        try:
            while True:
                async with self._connection() as conn:
                    groups = self._steps.take()
                    if not groups:
                        return
                    await self._write_groups(conn, groups)
        except GraphBubbleUp:
            raise
        except BaseException as exc:  # no connection, or cancelled
            self._steps.abandon([thread_id for thread_id, _ in groups], exc)
            if not isinstance(exc, Exception):
                raise

    async def _write_groups(
        self, conn: AsyncConnection[Any], groups: list[tuple[str, list[StepRows]]]
    ) -> None:
        while groups:  # emptied as written: what is left is not stored
            thread_id, steps = groups[0]
            try:
                await self._write_steps(conn, steps)
            except GraphBubbleUp:
                raise
            except Exception as exc:  # raised by the thread's next call
                self._steps.fail(thread_id, exc)
            del groups[0]

    async def _write_steps(
        self, conn: AsyncConnection[Any], steps: list[StepRows]
    ) -> None:
        # In pipeline mode the statements travel in one round trip and, until
        # the pipeline's sync, make one transaction: a failed step leaves none
        # of the steps after it stored (their parent would be missing).
        statements = batch_statements(steps)
        pipelined = self.supports_pipeline or self.pipe is not None
        async with (
            conn.pipeline() if pipelined else nullcontext(),
            _transaction(conn, not pipelined),
            conn.cursor(row_factory=tuple_row) as cur,
            AsyncRawCursor(conn, row_factory=tuple_row) as raw,
        ):
            for sql, params in statements:
                if type(params) is RawParams:
                    # Used once: preparing it would only churn the
                    # connection's prepared statements.
                    await raw.execute(sql, params, prepare=False)
                else:
                    await cur.execute(sql, params)
        if self.pipe is not None:
            await self.pipe.sync()
