"""What the SQL savers' ``get_delta_channel_history`` share: the walk and the result.

A saver reads the parent chain of the target in pages (nearest ancestor
first, with the requested channels each ancestor stores a value for), feeds
it to ``ChainWalk``, then reads the seeds and the writes on the chain, and
``assemble`` builds the per-channel result. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from stategraph.checkpoint.base import DeltaChannelHistory, PendingWrite
from stategraph.checkpoint.serde.types import _DeltaSnapshot

__all__ = (
    "COUNTERS_KEY",
    "PAGE",
    "ChainWalk",
    "assemble",
    "delta_prune_error",
    "uses_delta",
)

COUNTERS_KEY = "counters_since_delta_snapshot"
"""Metadata key a ``DeltaChannel`` leaves on checkpoints between snapshots."""

PAGE = 256
"""Ancestors a saver reads per chain query."""


class ChainWalk:
    """The ancestors visited, nearest first, and which one seeds each channel.

    Args:
        channels: The requested channel names.
    """

    def __init__(self, channels: Sequence[str]) -> None:
        self.channels = list(channels)
        self.remaining = set(channels)
        self.chain: list[str] = []
        self.seeds: dict[str, str] = {}

    def take(self, ancestor: str, stored: Iterable[str]) -> bool:
        """Visit the next ancestor; return ``False`` when the walk was already over.

        Args:
            ancestor: Its checkpoint id.
            stored: The requested channels it stores a value for.
        """
        if not self.remaining:
            return False
        self.chain.append(ancestor)
        for name in stored:
            if name in self.remaining:
                self.seeds[name] = ancestor
                self.remaining.discard(name)
        return True

    def page_continues(self, rows_read: int, last_parent: Any) -> bool:
        """Whether another page must be read after one that returned ``rows_read``."""
        return bool(self.remaining) and rows_read >= PAGE and last_parent is not None


def assemble(
    walk: ChainWalk,
    seed_values: dict[str, Any],
    writes: Iterable[tuple[str, str, str, Any]],
) -> dict[str, DeltaChannelHistory]:
    """Build the result from the writes on the chain.

    Args:
        walk: The finished walk.
        seed_values: Loaded seed per channel that has one.
        writes: ``(checkpoint_id, task_id, channel, value)``, each checkpoint's
            writes in ``writes_sort_key`` order.

    Returns:
        Per requested channel, its writes oldest first (a seed ancestor's own
        writes included, older ones not) and its seed when found.
    """
    depth = {cid: i for i, cid in enumerate(walk.chain)}
    found: dict[str, list[tuple[int, PendingWrite]]] = {c: [] for c in walk.channels}
    for checkpoint_id, task_id, channel, value in writes:
        at = depth.get(checkpoint_id)
        seed = walk.seeds.get(channel)
        if at is None or (seed is not None and at > depth[seed]):
            continue
        found[channel].append((at, (task_id, channel, value)))
    out: dict[str, DeltaChannelHistory] = {}
    for name in walk.channels:
        # Deepest (oldest) ancestor first; the sort keeps each one's order.
        ordered = sorted(found[name], key=lambda item: -item[0])
        entry: DeltaChannelHistory = {"writes": [w for _, w in ordered]}
        if name in seed_values:
            entry["seed"] = seed_values[name]
        out[name] = entry
    return out


def uses_delta(checkpoint: Any, metadata: Any) -> bool:
    """Whether a checkpoint being saved belongs to a thread with delta channels.

    Retention (``keep_last``) leaves such threads alone: deleting old
    checkpoints would drop the writes their delta channels are rebuilt from.
    """
    return COUNTERS_KEY in metadata or any(
        isinstance(v, _DeltaSnapshot) for v in checkpoint["channel_values"].values()
    )


def delta_prune_error(thread_ids: Iterable[str]) -> NotImplementedError:
    """The error ``prune(strategy="keep_latest")`` raises for delta threads."""
    names = ", ".join(sorted(str(t) for t in thread_ids))
    return NotImplementedError(
        f"keep_latest can't prune threads that use a DeltaChannel: {names}"
    )
