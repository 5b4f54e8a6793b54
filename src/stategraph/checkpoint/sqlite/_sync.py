"""``SqliteSaver``: the synchronous SQLite checkpoint saver.

Each method serializes in the calling thread, then runs one plan of ``_ops``
inside one SQLite transaction while holding the saver's lock.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from typing import Any, NoReturn
from uuid import uuid4

from stategraph._config import RunnableConfig
from stategraph.checkpoint._delta_history import uses_delta
from stategraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    SerializerProtocol,
)
from stategraph.checkpoint.sqlite import _read, _write
from stategraph.checkpoint.sqlite._base import (
    PRAGMA_WAL,
    WAL_RETRY_DELAYS,
    Plan,
    Rows,
    T,
    connection_pragmas,
    is_locked,
)
from stategraph.checkpoint.sqlite._delta import delta_history_plan
from stategraph.checkpoint.sqlite._read import config_of
from stategraph.checkpoint.sqlite._write import next_version

_AIO_ERROR = (
    "SqliteSaver has no async methods: use AsyncSqliteSaver "
    "(from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver; it needs "
    "the aiosqlite package: pip install 'stategraph[sqlite]')."
)


def check_keep_last(keep_last: int | None) -> int | None:
    """Validate the ``keep_last`` option of the savers.

    Raises:
        ValueError: Unless ``keep_last`` is ``None`` or an integer >= 1.
    """
    if keep_last is not None and (
        isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1
    ):
        raise ValueError(
            f"keep_last must be None or an integer >= 1, not {keep_last!r}"
        )
    return keep_last


def _drive(conn: sqlite3.Connection, plan: Plan[T]) -> T:
    rows: Rows = []
    try:
        query = next(plan)
        while True:
            if query.many:
                conn.executemany(query.sql, query.params)
                rows = []
            else:
                rows = conn.execute(query.sql, query.params).fetchall()
            query = plan.send(rows)
    except StopIteration as stop:
        result: T = stop.value
        return result


def transact(conn: sqlite3.Connection, plan: Plan[T], write: bool) -> T:
    """Run ``plan`` on ``conn`` in one transaction and return its result.

    Writes take the write lock up front (``BEGIN IMMEDIATE``), so concurrent
    writers queue on the busy timeout instead of failing mid-transaction;
    reads see one snapshot. When the caller already has a transaction open
    on ``conn``, the plan runs inside it and a write commits it, as
    LangGraph's saver does. Any error rolls back what the plan did.
    """
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        result = _drive(conn, plan)
        if own:
            conn.execute("COMMIT")
        elif write:
            conn.commit()
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


class SqliteSaver(BaseCheckpointSaver[str]):
    """Checkpoint saver storing threads in a SQLite database (sync API).

    Channel values are stored once per version and shared by the checkpoints
    that have that version, so a step that changes one channel writes one
    value. Every method runs in one transaction; writes use ``BEGIN
    IMMEDIATE``, so puts from several processes on one file queue up instead
    of interleaving (the connection's busy timeout bounds the wait; Python's
    default is 5 s). The async methods raise, as LangGraph's do: use
    ``AsyncSqliteSaver`` with ``ainvoke``/``astream``.

    Args:
        conn: The connection; pass ``check_same_thread=False`` to share it
            between threads (the saver locks around every use).
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

    Example:
        >>> with SqliteSaver.from_conn_string(":memory:") as saver:
        ...     saver.get_tuple({"configurable": {"thread_id": "1"}}) is None
        True
    """

    conn: sqlite3.Connection
    is_setup: bool

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str | None = "NORMAL",
    ) -> None:
        super().__init__(serde=serde)
        self.conn = conn
        self.keep_last = check_keep_last(keep_last)
        connection_pragmas(synchronous, "wal")  # validates
        self.synchronous = synchronous
        self.is_setup = False
        self.lock = threading.Lock()
        self.owner = uuid4().hex
        self._leases: dict[str, float] = {}

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str,
        *,
        serde: SerializerProtocol | None = None,
        keep_last: int | None = None,
        synchronous: str | None = "NORMAL",
    ) -> Iterator[SqliteSaver]:
        """Open a saver on a database path (or ``":memory:"``), closed on exit.

        Args:
            conn_string: Path of the database file, or ``":memory:"``.
            serde: Serializer (see the class).
            keep_last: Retention (see the class).
            synchronous: Durability (see the class).
        """
        with closing(sqlite3.connect(conn_string, check_same_thread=False)) as conn:
            yield cls(conn, serde=serde, keep_last=keep_last, synchronous=synchronous)

    def setup(self) -> None:
        """Create or migrate the tables (idempotent; runs on first use anyway)."""
        with self.lock:
            self._setup()

    def _setup(self) -> None:
        if self.is_setup:
            return
        if not self.conn.in_transaction:
            mode = self._journal_mode()
            for pragma in connection_pragmas(self.synchronous, mode):
                self.conn.execute(pragma)
        transact(self.conn, _write.setup_plan(), write=True)
        self.is_setup = True

    def _journal_mode(self) -> str:
        for delay in (*WAL_RETRY_DELAYS, None):
            try:
                return str(self.conn.execute(PRAGMA_WAL).fetchone()[0])
            except sqlite3.OperationalError as e:
                if delay is None or not is_locked(e):
                    raise
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, plan: Plan[T], *, write: bool = True) -> T:
        with self.lock:
            if not self.is_setup:
                self._setup()
            return transact(self.conn, plan, write)

    # -- reading -------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch the checkpoint in ``config`` (latest when it names no id).

        Returns:
            The tuple with values, metadata, parent config and pending writes
            (ordered by task path, task id, index), or ``None``.
        """
        found: CheckpointTuple | None = self._run(
            _read.get_plan(self.serde, config), write=False
        )
        return found

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel writes and seeds along the ancestors of a checkpoint.

        Same contract as ``BaseCheckpointSaver.get_delta_channel_history``,
        read with a few queries instead of one ``get_tuple`` per ancestor.
        """
        found: Mapping[str, DeltaChannelHistory] = self._run(
            delta_history_plan(self.serde, config, channels), write=False
        )
        return found

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
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
            yield from self._run(_read.list_plan(self.serde, cursor), write=False)

    # -- writing -------------------------------------------------------------

    def put(
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
        prepared = _write.prepare_put(
            self.serde, config, checkpoint, metadata, new_versions
        )
        now = time.time()
        ttl = self._leases.get(prepared.thread_id)
        renew = now + ttl if ttl else 0.0
        keep = None if uses_delta(checkpoint, metadata) else self.keep_last
        self._run(_write.put_plan(prepared, self.owner, now, keep, renew))
        thread_id = config["configurable"]["thread_id"]
        return config_of(thread_id, prepared.ns, prepared.checkpoint_id)

    def put_writes(
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
        self._run(_write.writes_plan(rows))

    # -- maintenance ---------------------------------------------------------

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, value and write of a thread."""
        self._run(_write.delete_thread_plan([thread_id]))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete checkpoints made by the given runs, their writes and unused values."""
        if run_ids:
            self._run(_write.delete_for_runs_plan(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, value and write of a thread to another id."""
        self._run(_write.copy_thread_plan(source_thread_id, target_thread_id))

    def prune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Keep the newest checkpoint per namespace (``"keep_latest"``) or delete.

        Values no remaining checkpoint uses are deleted too.

        Raises:
            ValueError: For an unknown strategy.
        """
        self._run(_write.prune_plan(thread_ids, strategy, self.serde))

    def storage_size(self, thread_id: str) -> int:
        """Return the bytes stored for a thread: keys, headers, values and writes.

        SQLite's own page and index overhead is not counted.
        """
        size: int = self._run(_write.storage_size_plan(thread_id), write=False)
        return size

    @contextmanager
    def lease(self, thread_id: str, *, ttl: float = 60.0) -> Iterator[None]:
        """Hold the writer lease of a thread for the duration of the block.

        While held (and not expired), ``put`` on that thread from any other
        saver raises ``ThreadLeasedError``; each ``put`` of this saver on the
        thread extends the lease by ``ttl`` seconds.

        Args:
            thread_id: The thread.
            ttl: Seconds the lease lasts without a put; a crashed holder
                blocks others for at most this long.

        Raises:
            ThreadLeasedError: When another saver holds a live lease.
        """
        thread = str(thread_id)
        self._run(_write.acquire_plan(thread, self.owner, time.time(), ttl))
        self._leases[thread] = ttl
        try:
            yield
        finally:
            self._leases.pop(thread, None)
            self._run(_write.release_plan(thread, self.owner))

    # The engine may compute these versions itself (same format, no parsing).
    padded_versions = True

    def get_next_version(self, current: str | None, channel: None) -> str:
        """Return the version after ``current`` (same format as ``InMemorySaver``)."""
        return next_version(current)

    # -- async (unsupported, as in LangGraph) ----------------------------------

    async def aget_tuple(self, config: RunnableConfig) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)

    async def alist(
        self, config: RunnableConfig | None, **kwargs: Any
    ) -> AsyncIterator[CheckpointTuple]:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)
        yield  # pragma: no cover - makes this an async generator

    async def aput(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Unsupported: raises ``NotImplementedError`` (use ``AsyncSqliteSaver``)."""
        raise NotImplementedError(_AIO_ERROR)
