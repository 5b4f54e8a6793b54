"""Checkpoint records and ``BaseCheckpointSaver``, under LangGraph's import path.

``from stategraph.checkpoint.base import BaseCheckpointSaver, Checkpoint`` works
like ``from langgraph.checkpoint.base import ...``.
"""

from __future__ import annotations

from stategraph._constants import ERROR, INTERRUPT, RESUME, SCHEDULED, WRITES_IDX_MAP
from stategraph.checkpoint.base._records import (
    EXCLUDED_METADATA_KEYS,
    LATEST_VERSION,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    PendingWrite,
    V,
    copy_checkpoint,
    create_checkpoint,
    empty_checkpoint,
    get_checkpoint_id,
    get_checkpoint_metadata,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from stategraph.checkpoint.base._saver import (
    BaseCheckpointSaver,
    _with_msgpack_allowlist as _with_msgpack_allowlist,  # LangGraph private helper
)
from stategraph.checkpoint.base._step import StepWrites, saves_steps
from stategraph.checkpoint.base.id import uuid6
from stategraph.checkpoint.serde.base import SerializerProtocol, maybe_add_typed_methods
from stategraph.checkpoint.serde.encrypted import EncryptedSerializer
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from stategraph.checkpoint.serde.types import ChannelProtocol
from stategraph.errors import EmptyChannelError

__all__ = (
    "BaseCheckpointSaver",
    "ChannelProtocol",
    "ChannelVersions",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "DeltaChannelHistory",
    "EmptyChannelError",
    "EncryptedSerializer",
    "ERROR",
    "EXCLUDED_METADATA_KEYS",
    "INTERRUPT",
    "JsonPlusSerializer",
    "LATEST_VERSION",
    "PendingWrite",
    "RESUME",
    "SCHEDULED",
    "SerializerProtocol",
    "StepWrites",
    "V",
    "WRITES_IDX_MAP",
    "copy_checkpoint",
    "create_checkpoint",
    "empty_checkpoint",
    "get_checkpoint_id",
    "get_checkpoint_metadata",
    "get_serializable_checkpoint_metadata",
    "maybe_add_typed_methods",
    "saves_steps",
    "uuid6",
    "writes_sort_key",
)
