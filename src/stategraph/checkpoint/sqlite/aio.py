"""Asyncio SQLite checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver`` works like
LangGraph's; it needs the ``aiosqlite`` package (``stategraph[sqlite]``).
Storage, retention and leases are those of ``SqliteSaver``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
from stategraph.checkpoint.sqlite._async import AsyncSqliteSaver
from stategraph.checkpoint.sqlite._base import ThreadLeasedError
from stategraph.checkpoint.sqlite._langgraph_delta import (
    build_delta_channels_writes_history as build_delta_channels_writes_history,
    build_delta_stage2_sql as build_delta_stage2_sql,
    step_walk_with_row as step_walk_with_row,
)
from stategraph.checkpoint.sqlite.utils import (
    load_pending_writes as load_pending_writes,
    pending_writes_sql as pending_writes_sql,
    search_where as search_where,
)

__all__ = ("AsyncSqliteSaver", "ThreadLeasedError")

T = TypeVar("T", bound=Callable[..., Any])
"""Type of a wrapped callable (LangGraph's name)."""
