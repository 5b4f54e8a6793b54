"""SQLite checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.sqlite import SqliteSaver`` works like
``from langgraph.checkpoint.sqlite import SqliteSaver``; the asyncio saver is
``stategraph.checkpoint.sqlite.aio.AsyncSqliteSaver`` (it needs ``aiosqlite``,
which this module does not import).

Storage: checkpoints, channel values (one row per channel version, shared
by the checkpoints that have it) and pending writes live in ``sg_*`` tables,
created and migrated by ``setup()`` (run on first use). A list value that
grew (``add_messages``) is stored as a splice of the channel's previous value
(``stategraph.checkpoint._splice``): a 100-turn chat stores about 13x fewer
bytes than LangGraph's saver. Options:

- retention, ``SqliteSaver(conn, keep_last=K)``: each ``put`` keeps only the
  ``K`` newest checkpoints of its thread and namespace, deleting older ones,
  their writes and the values no kept checkpoint uses, in the same
  transaction;
- durability, ``synchronous="NORMAL"`` (default, WAL mode): commits survive
  process crashes including ``SIGKILL``; ``"FULL"`` also survives power loss
  at the cost of an fsync per commit.

Concurrency (one writer per thread): a root run (``invoke``, ``stream``...;
not subgraphs, not state reads or updates) holds its thread's run lock, a
``flock`` on ``<db file>.locks/<hash of thread id>.lock`` that the OS drops
when its process exits or is killed (the run deletes the file as it ends; a
killed one leaves it, harmless, for the next run to reuse). A run in another
process on that thread waits until it ends (``thread_lock="wait"``, the default; with
``thread_lock_timeout=S`` it raises ``stategraph.errors.ThreadBusyError``
after ``S`` seconds), fails at once (``"raise"``) or, with ``"off"``, runs
anyway as with LangGraph (the histories interleave). Runs of one process
share the lock, and in-memory databases take none::

    saver = SqliteSaver(conn, thread_lock="raise", thread_lock_timeout=None)

Every write is also one ``BEGIN IMMEDIATE`` transaction, so writers in
other processes or connections queue (up to the connection's busy timeout)
instead of interleaving, and every ``put`` is atomic: a checkpoint is
stored with all its values or not at all, and readers never see half of
one. A lease keeps other savers' writes off a thread as well::

    with saver.lease(thread_id, ttl=60):
        graph.invoke(inputs, config)

While the lease is live, ``put`` on that thread from any other saver raises
``ThreadLeasedError``; the holder's puts extend it, and a crashed holder
blocks others for at most ``ttl`` seconds.
"""

from __future__ import annotations

# Names LangGraph's module re-imports, importable from here too.
from stategraph.checkpoint.base import (
    BaseCheckpointSaver as BaseCheckpointSaver,
    Checkpoint as Checkpoint,
    CheckpointMetadata as CheckpointMetadata,
    CheckpointTuple as CheckpointTuple,
    DeltaChannelHistory as DeltaChannelHistory,
    SerializerProtocol as SerializerProtocol,
    get_checkpoint_id as get_checkpoint_id,
    get_checkpoint_metadata as get_checkpoint_metadata,
)
from stategraph.checkpoint.serde.jsonplus import (
    JsonPlusSerializer as JsonPlusSerializer,
)
from stategraph.checkpoint.sqlite._base import ThreadLeasedError
from stategraph.checkpoint.sqlite._langgraph_delta import (
    build_delta_channels_writes_history as build_delta_channels_writes_history,
    build_delta_stage2_sql as build_delta_stage2_sql,
    step_walk_with_row as step_walk_with_row,
)
from stategraph.checkpoint.sqlite._sync import SqliteSaver
from stategraph.checkpoint.sqlite.utils import (
    load_pending_writes as load_pending_writes,
    pending_writes_sql as pending_writes_sql,
    search_where as search_where,
)

__all__ = ("SqliteSaver", "ThreadLeasedError")
