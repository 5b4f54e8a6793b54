"""In-memory checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.memory import InMemorySaver`` (or the older name
``MemorySaver``). The checkpoint records and helpers LangGraph's module
re-imports (``Checkpoint``, ``get_checkpoint_id``...) are importable from
here too.
"""

from __future__ import annotations

from stategraph.checkpoint.base import (
    BaseCheckpointSaver as BaseCheckpointSaver,
    Checkpoint as Checkpoint,
    CheckpointMetadata as CheckpointMetadata,
    CheckpointTuple as CheckpointTuple,
    DeltaChannelHistory as DeltaChannelHistory,
    SerializerProtocol as SerializerProtocol,
    get_checkpoint_id as get_checkpoint_id,
    get_checkpoint_metadata as get_checkpoint_metadata,
    writes_sort_key as writes_sort_key,
)
from stategraph.checkpoint.memory._persistent import PersistentDict as PersistentDict
from stategraph.checkpoint.memory._saver import (
    InMemorySaver as InMemorySaver,
    MemorySaver as MemorySaver,
)

__all__ = ("InMemorySaver", "MemorySaver", "PersistentDict")
