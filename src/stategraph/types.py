"""Data types of the graph API (LangGraph's ``langgraph.types``)."""

from stategraph._interrupt import interrupt as interrupt
from stategraph._types import (
    All as All,
    CachePolicy as CachePolicy,
    CheckpointPayload as CheckpointPayload,
    CheckpointTask as CheckpointTask,
    Command as Command,
    Durability as Durability,
    GraphOutput as GraphOutput,
    Interrupt as Interrupt,
    Overwrite as Overwrite,
    PregelExecutableTask as PregelExecutableTask,
    PregelTask as PregelTask,
    RetryPolicy as RetryPolicy,
    Send as Send,
    StateSnapshot as StateSnapshot,
    StateUpdate as StateUpdate,
    StreamMode as StreamMode,
    StreamPart as StreamPart,
    StreamWriter as StreamWriter,
    TaskPayload as TaskPayload,
    TaskResultPayload as TaskResultPayload,
    default_retry_on as default_retry_on,
    ensure_valid_checkpointer as ensure_valid_checkpointer,
)

Checkpointer = object
"""A saver, or ``True``/``False``/``None`` for subgraphs."""

__all__ = (
    "All",
    "Checkpointer",
    "StreamMode",
    "StreamWriter",
    "StreamPart",
    "TaskPayload",
    "TaskResultPayload",
    "CheckpointTask",
    "CheckpointPayload",
    "RetryPolicy",
    "CachePolicy",
    "Interrupt",
    "StateUpdate",
    "PregelTask",
    "PregelExecutableTask",
    "StateSnapshot",
    "Send",
    "Command",
    "Durability",
    "interrupt",
    "Overwrite",
    "GraphOutput",
    "ensure_valid_checkpointer",
)
