"""How ``update_state`` keeps ``DeltaChannel``s readable.

An update saves its writes on the checkpoint it builds on, as a step does,
and advances the snapshot counters of the checkpoint it creates. It snapshots
a channel in full when replaying writes could go wrong: on a new thread, after
an ``Overwrite``, or when it branches off a checkpoint whose writes belong to
another child.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stategraph._engine import _delta
from stategraph._engine._delta_run import bump_versions

__all__ = ("UpdatePlan",)


class UpdatePlan:
    """Delta-channel bookkeeping of one ``update_state`` superstep."""

    __slots__ = ("due", "fork", "is_first", "names", "saved", "specs")

    def __init__(self, graph: Any, saved: Any, is_first: bool) -> None:
        self.specs = graph.channel_specs
        self.names: tuple[str, ...] = graph.delta_channels
        self.saved = saved
        self.is_first = is_first
        self.due: set[str] = set()
        # Later supersteps (and the one after a ``__copy__``) never walk
        # through the writes of the checkpoint the update started from.
        self.fork: set[str] = (
            _delta.with_pending_writes(self.specs, saved.pending_writes)
            if is_first and saved is not None and self.names
            else set()
        )

    def overwritten(self, writes: Iterable[tuple[str, Any]]) -> None:
        """Snapshot the channels ``writes`` replace with an ``Overwrite``."""
        if self.names:
            self.fork |= _delta.overwritten(self.specs, writes)

    def superseded(self, writes: Iterable[tuple[str, Any]]) -> None:
        """The writes could not be saved (the thread moved on): snapshot instead."""
        self.fork.update(c for c, _ in writes if c in self.names)

    def plan(self, loop: Any, metadata: dict[str, Any], updated: Iterable[str]) -> None:
        """Pick the snapshots of the new checkpoint and fill its counters."""
        if not self.names:
            return
        channels = {k: loop.channels[k] for k in self.names}
        if self.saved is None:
            # A new thread: snapshot every channel the update wrote.
            self.due = _delta.channels_due(channels, {}, loop.versions, 0)
        else:
            counters = _delta.next_counters(self.saved.metadata, self.names, updated)
            self.due = (
                _delta.channels_due(
                    channels, counters, loop.versions, loop.graph.delta_snapshot_bound
                )
                | self.fork
            )
            for name in self.due:
                counters[name] = (0, 0)
            _delta.counters_metadata(metadata, counters)
        bump_versions(loop, self.due)
