"""Checkpoint helpers under LangGraph's private ``langgraph.pregel._checkpoint`` path.

They differ from ``stategraph.checkpoint.base``'s helpers of the same names as
LangGraph's do: they build only the keys of the current format (no
``pending_sends``), which is what the engine keeps in memory.
"""

from __future__ import annotations

from typing import Any

from stategraph.checkpoint.base import Checkpoint, empty_checkpoint as _empty

__all__ = ("copy_checkpoint", "empty_checkpoint")


def copy_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """Copy a checkpoint, its three dicts included (values are shared).

    Args:
        checkpoint: The checkpoint to copy.

    Returns:
        The copy, with the current format's keys only.
    """
    copied: dict[str, Any] = {
        "v": checkpoint["v"],
        "ts": checkpoint["ts"],
        "id": checkpoint["id"],
        "channel_values": checkpoint["channel_values"].copy(),
        "channel_versions": checkpoint["channel_versions"].copy(),
        "versions_seen": {k: v.copy() for k, v in checkpoint["versions_seen"].items()},
        "updated_channels": checkpoint.get("updated_channels"),
    }
    return copied  # type: ignore[return-value]


def empty_checkpoint() -> Checkpoint:
    """Return a new empty checkpoint of the current format.

    Returns:
        A checkpoint with a fresh id and no channels.
    """
    fresh: dict[str, Any] = dict(_empty())
    fresh.pop("pending_sends", None)
    fresh.pop("updated_channels", None)
    return fresh  # type: ignore[return-value]
