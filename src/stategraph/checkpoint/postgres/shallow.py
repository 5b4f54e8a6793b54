"""Shallow Postgres savers: only the latest checkpoint of each thread is kept.

LangGraph deprecates its ``ShallowPostgresSaver`` in favour of running graphs
with ``durability="exit"``; these classes keep code written for it working.
They are the regular savers with ``keep_last=1``, on the regular tables (not
LangGraph's separate shallow table layout): every ``put`` deletes the previous
checkpoint of the namespace, its writes and the blobs only it used, in the same
transaction. So LangGraph's ``MIGRATIONS`` and ``*_SQL`` statements of that
layout have no counterpart here; ``setup()`` runs
``stategraph.checkpoint.postgres.base.MIGRATIONS``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from stategraph.checkpoint.base import (
    Checkpoint as Checkpoint,
    CheckpointMetadata as CheckpointMetadata,
    CheckpointTuple as CheckpointTuple,
    SerializerProtocol as SerializerProtocol,
    get_serializable_checkpoint_metadata as get_serializable_checkpoint_metadata,
)
from stategraph.checkpoint.postgres._async import AsyncPostgresSaver
from stategraph.checkpoint.postgres._saver import BasePostgresSaver as BasePostgresSaver
from stategraph.checkpoint.postgres._sync import PostgresSaver

if TYPE_CHECKING:
    from psycopg import AsyncPipeline, Pipeline

    from stategraph.checkpoint.base._runlock import ThreadLock
    from stategraph.checkpoint.postgres._async_io import Conn as AsyncConn
    from stategraph.checkpoint.postgres._sync_io import Conn

__all__ = ("AsyncShallowPostgresSaver", "ShallowPostgresSaver")

_ADVICE = (
    "{} is deprecated (as in LangGraph); use {} and invoke the graph with "
    "durability='exit', or pass keep_last=1 to keep one checkpoint per thread."
)


class ShallowPostgresSaver(PostgresSaver):
    """``PostgresSaver`` keeping only the latest checkpoint per thread and namespace.

    Args:
        conn: A ``psycopg.Connection`` or ``psycopg_pool.ConnectionPool``.
        pipe: The connection's pipeline, when it is in pipeline mode.
        serde: Serializer of channel values and writes.
        thread_lock: Run lock policy, as for the regular saver.
        thread_lock_timeout: Longest wait for the run lock, in seconds.

    Warns:
        DeprecationWarning: Always, as LangGraph's class does.
    """

    def __init__(
        self,
        conn: Conn,
        pipe: Pipeline | None = None,
        serde: SerializerProtocol | None = None,
        *,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> None:
        warnings.warn(
            _ADVICE.format("ShallowPostgresSaver", "PostgresSaver"),
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(
            conn,
            pipe,
            serde,
            keep_last=1,
            thread_lock=thread_lock,
            thread_lock_timeout=thread_lock_timeout,
        )


class AsyncShallowPostgresSaver(AsyncPostgresSaver):
    """``AsyncPostgresSaver`` keeping only the latest checkpoint per namespace.

    Args:
        conn: A ``psycopg.AsyncConnection`` or ``psycopg_pool.AsyncConnectionPool``.
        pipe: The connection's pipeline, when it is in pipeline mode.
        serde: Serializer of channel values and writes.
        thread_lock: Run lock policy, as for the regular saver.
        thread_lock_timeout: Longest wait for the run lock, in seconds.

    Warns:
        DeprecationWarning: Always, as LangGraph's class does.
    """

    def __init__(
        self,
        conn: AsyncConn,
        pipe: AsyncPipeline | None = None,
        serde: SerializerProtocol | None = None,
        *,
        thread_lock: ThreadLock = "wait",
        thread_lock_timeout: float | None = None,
    ) -> None:
        warnings.warn(
            _ADVICE.format("AsyncShallowPostgresSaver", "AsyncPostgresSaver"),
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(
            conn,
            pipe,
            serde,
            keep_last=1,
            thread_lock=thread_lock,
            thread_lock_timeout=thread_lock_timeout,
        )
