"""Checkpoint helpers under LangGraph's private ``langgraph.pregel._checkpoint`` path.

They differ from ``stategraph.checkpoint.base``'s helpers of the same names as
LangGraph's do: they build only the keys of the current format (no
``pending_sends``), which is what the engine keeps in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stategraph._engine import _delta
from stategraph._engine._delta_run import replay_names
from stategraph.channels.base import MISSING, BaseChannel
from stategraph.checkpoint.base import Checkpoint, empty_checkpoint as _empty

__all__ = (
    "DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT",
    "achannels_from_checkpoint",
    "channels_from_checkpoint",
    "copy_checkpoint",
    "delta_channels_overwritten",
    "delta_channels_to_snapshot",
    "delta_channels_with_pending_writes",
    "empty_checkpoint",
    "exit_delta_late_task_id",
    "exit_delta_task_id",
    "versions_seen_without_bumps",
)

DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT = int(
    os.getenv("LANGGRAPH_DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT", "5000")
)
"""Supersteps after which a delta channel snapshots even when not written.

Bounds the ancestor walk of channels that stopped receiving writes. Read at
every run, so patching this module attribute takes effect.
"""

exit_delta_task_id = _delta.exit_task_id
exit_delta_late_task_id = _delta.exit_late_task_id
versions_seen_without_bumps = _delta.seen_without_bumps


def delta_channels_to_snapshot(
    channels: Mapping[str, Any],
    counters_since_delta_snapshot: Mapping[str, Sequence[int]],
    channel_versions: Mapping[str, Any] | None = None,
) -> set[str]:
    """Return the delta channels whose counters call for a snapshot now.

    Args:
        channels: Live channels by name (non-delta ones are ignored).
        counters_since_delta_snapshot: ``(updates, supersteps)`` per channel.
        channel_versions: When given, channels without a version (never
            written) are left out.

    Returns:
        The names due for a ``_DeltaSnapshot``.
    """
    return _delta.channels_due(
        channels,
        counters_since_delta_snapshot,
        channel_versions,
        DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT,
    )


def delta_channels_with_pending_writes(
    specs: Mapping[str, Any], pending_writes: Iterable[Sequence[Any]] | None
) -> set[str]:
    """Return the delta channels a checkpoint's pending writes touch.

    Args:
        specs: The graph's channels.
        pending_writes: ``(task_id, channel, value)`` writes.
    """
    return _delta.with_pending_writes(specs, pending_writes)


def delta_channels_overwritten(
    specs: Mapping[str, Any], writes: Iterable[tuple[str, Any]]
) -> set[str]:
    """Return the delta channels that ``writes`` replace with an ``Overwrite``.

    Args:
        specs: The graph's channels.
        writes: ``(channel, value)`` writes.
    """
    return _delta.overwritten(specs, writes)


def _split(specs: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    channels = {k: v for k, v in specs.items() if isinstance(v, BaseChannel)}
    return channels, {k: v for k, v in specs.items() if k not in channels}


def _hydrate(
    channels: Mapping[str, Any], checkpoint: Checkpoint, histories: Mapping[str, Any]
) -> dict[str, Any]:
    values = checkpoint["channel_values"]
    return {
        k: _delta.replay(spec, histories[k])
        if k in histories
        else spec.from_checkpoint(values.get(k, MISSING))
        for k, spec in channels.items()
    }


def channels_from_checkpoint(
    specs: Mapping[str, Any],
    checkpoint: Checkpoint,
    *,
    saver: Any = None,
    config: Any = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Restore channels from a checkpoint, replaying delta channels' saved writes.

    Args:
        specs: Channels and managed values by name.
        checkpoint: The checkpoint.
        saver: Reads the history of delta channels stored as writes.
        config: The checkpoint's config, for ``saver``.

    Returns:
        The restored channels and the managed values.

    Raises:
        ValueError: If a delta channel needs its history and no saver or
            config was given.
    """
    channels, managed = _split(specs)
    names = replay_names(channels, checkpoint, saver, config)
    histories = (
        saver.get_delta_channel_history(config=config, channels=names) if names else {}
    )
    return _hydrate(channels, checkpoint, histories), managed


async def achannels_from_checkpoint(
    specs: Mapping[str, Any],
    checkpoint: Checkpoint,
    *,
    saver: Any = None,
    config: Any = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Async ``channels_from_checkpoint``."""
    channels, managed = _split(specs)
    names = replay_names(channels, checkpoint, saver, config)
    histories = (
        await saver.aget_delta_channel_history(config=config, channels=names)
        if names
        else {}
    )
    return _hydrate(channels, checkpoint, histories), managed


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
