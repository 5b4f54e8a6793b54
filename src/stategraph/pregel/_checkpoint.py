"""Checkpoint helpers under LangGraph's private ``langgraph.pregel._checkpoint`` path.

Re-exports the ones ``stategraph.checkpoint.base`` defines, for ported code.
"""

from stategraph.checkpoint.base import (
    copy_checkpoint as copy_checkpoint,
    create_checkpoint as create_checkpoint,
    empty_checkpoint as empty_checkpoint,
)

__all__ = ("copy_checkpoint", "create_checkpoint", "empty_checkpoint")
