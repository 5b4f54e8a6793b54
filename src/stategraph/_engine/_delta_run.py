"""The loop's side of ``DeltaChannel``s: loading, snapshot cadence and exit writes.

A ``Loop`` of a graph with delta channels owns one ``DeltaRun``; the loop
calls it at a few fixed points (load, input, barrier, save, exit). It
yields effects like the loop and never performs I/O itself.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from typing import Any

from stategraph._clock import utc_now_iso
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    INPUT,
    NULL_TASK_ID,
)
from stategraph._engine import _delta
from stategraph._engine._effects import LoadDeltaHistory, SaveCheckpoint, SaveWrites

Effects = Generator[Any, Any, Any]
ExitWrite = tuple[int, str, str, str, Any]

__all__ = ("DeltaRun", "bump_versions", "load_history", "replay_names")


def replay_names(
    specs: Mapping[str, Any], checkpoint: Mapping[str, Any], saver: Any, config: Any
) -> list[str]:
    """The channels of ``checkpoint`` to rebuild from saved writes.

    Raises:
        ValueError: If there are some but no saver or config to read them.
    """
    names = _delta.channels_to_replay(specs, checkpoint)
    if names and (saver is None or config is None):
        raise ValueError(
            f"DeltaChannel {names} has history to replay but no "
            "checkpointer or config was passed to read it"
        )
    return names


def load_history(
    graph: Any, checkpoint: Mapping[str, Any], saver: Any, config: Any
) -> Effects:
    """Fetch the saved writes that rebuild ``checkpoint``'s delta channels.

    Returns ``None`` when no channel needs replaying.

    Raises:
        ValueError: If a channel needs replaying but there is no saver to ask.
    """
    names = replay_names(graph.channel_specs, checkpoint, saver, config)
    if not names:
        return None
    return (yield LoadDeltaHistory(config, names))


class DeltaRun:
    """Delta-channel bookkeeping of one run of one graph."""

    def __init__(self, graph: Any, durability: str, has_saver: bool) -> None:
        self.specs = graph.channel_specs
        self.names: tuple[str, ...] = graph.delta_channels
        self.bound: int = graph.delta_snapshot_bound
        # Channels that snapshot at the next save whatever their counters say.
        self.forced: set[str] = set()
        self.counters: dict[str, tuple[int, int]] = {}
        # Exit durability saves delta writes only at the end, on the anchor.
        self.exit_writes: list[ExitWrite] | None = (
            [] if durability == "exit" and has_saver else None
        )
        self.stored: set[tuple[str, str]] = set()
        self.command_writes: list[tuple[str, Any]] = []
        self.first_step: int | None = None
        self.resume_loaded: list[tuple[str, str, Any]] = []
        self.reapplied: set[str] = set()
        self.has_parent = False
        self.loaded_latest = False
        self.anchor_config: Any = None
        self.initial_id = ""

    # -- entering ---------------------------------------------------------------

    def entered(self, loop: Any, saved: Any, checkpoint: Mapping[str, Any]) -> None:
        """Note what the run starts from (before ``_first``)."""
        self.has_parent = saved is not None
        self.loaded_latest = loop.loaded_latest
        self.anchor_config = loop.checkpoint_config
        self.initial_id = checkpoint["id"]
        self.stored = {
            (tid, ch)
            for tid, ch, _ in loop.pending_writes
            if tid != NULL_TASK_ID and ch in self.names
        }

    def started(self, pending: Sequence[Any], reapplies: bool) -> None:
        """Decide which loaded pending writes force snapshots (see ``_first``)."""
        if reapplies:
            self.resume_loaded = [w for w in pending if w[0] != NULL_TASK_ID]
        else:
            self.forced = _delta.with_pending_writes(self.specs, pending)

    def command(self, writes: Sequence[tuple[str, Any]]) -> None:
        """Keep a ``Command``'s null-task delta writes for exit durability."""
        if self.exit_writes is not None:
            self.command_writes.extend((c, v) for c, v in writes if c in self.names)

    def input_writes(self, loop: Any, writes: Sequence[tuple[str, Any]]) -> Effects:
        """Store the input's delta writes on the checkpoint the run starts from.

        Readers take a checkpoint's null-task writes as its own state, so the
        input goes under a task id of its own. A new thread has nowhere to
        store them, and an addressed checkpoint may have children that would
        read them: then the input checkpoint snapshots the channel instead.
        """
        self.forced |= _delta.overwritten(self.specs, writes)
        delta_in = _delta.only_delta(self.specs, writes)
        if self.exit_writes is not None:
            self.exit_writes.extend(
                (loop.step, NULL_TASK_ID, "", c, v) for c, v in delta_in
            )
        if not delta_in or loop.checkpointer is None or loop.durability == "exit":
            return
        if self.has_parent and self.loaded_latest:
            import uuid

            task_id = str(uuid.uuid5(uuid.UUID(loop.checkpoint_id), INPUT))
            yield SaveWrites(loop._writes_config(), delta_in, task_id, "")
        else:
            self.forced.update(c for c, _ in delta_in)

    # -- the barrier ----------------------------------------------------------

    def after_tick(self, loop: Any, writes: Sequence[tuple[str, Any]]) -> None:
        """Take the step's writes: overwrites, unclaimed loaded writes, exit capture."""
        self.forced |= _delta.overwritten(self.specs, writes)
        if self.resume_loaded:
            self.forced |= _delta.with_pending_writes(
                self.specs,
                [w for w in self.resume_loaded if w[0] not in self.reapplied],
            )
            self.resume_loaded = []
        if self.exit_writes is not None:
            self._capture_exit(loop, self.exit_writes)

    def _capture_exit(self, loop: Any, into: list[ExitWrite]) -> None:
        # The first step's pending writes still hold those loaded with the
        # checkpoint, which are stored on it already.
        first = self.first_step is None
        if first:
            self.first_step = loop.step
            into.extend(
                (loop.step, NULL_TASK_ID, "", c, v) for c, v in self.command_writes
            )
        paths = {t.id: t.path_key for t in loop.tasks}
        for tid, ch, v in loop.pending_writes:
            if ch not in self.names:
                continue
            if first and (tid == NULL_TASK_ID or (tid, ch) in self.stored):
                continue
            into.append((loop.step, tid, paths.get(tid, ""), ch, v))

    # -- saving -----------------------------------------------------------------

    def count(self, metadata: Mapping[str, Any], updated: Any) -> None:
        """Advance the counters by the superstep a new checkpoint records."""
        self.counters = _delta.next_counters(metadata, self.names, updated or ())

    def resume_counters(self, metadata: Mapping[str, Any]) -> None:
        """Take the counters of the checkpoint being saved again (exit)."""
        self.counters = dict(metadata.get(_delta.COUNTERS) or {})

    def plan(self, loop: Any, saving: bool) -> set[str]:
        """Pick the channels to snapshot, reset their counters, fill the metadata."""
        due: set[str] = set()
        if saving:
            channels = {k: loop.channels[k] for k in self.names}
            due = (
                _delta.channels_due(channels, self.counters, loop.versions, self.bound)
                | self.forced
            )
            for name in due:
                self.counters[name] = (0, 0)
            self.forced -= due
            bump_versions(loop, due)
        _delta.counters_metadata(loop.metadata, self.counters)
        return due

    def stage_exit(self, loop: Any) -> Effects:
        """Save exit durability's delta writes on the run's anchor checkpoint.

        The anchor is the checkpoint the run started from, or an empty stub
        saved now on a new thread; the final checkpoint then becomes its child.
        """
        if not self.exit_writes or loop.checkpointer is None:
            return
        if self.has_parent and not self.loaded_latest:
            self.forced.update(w[3] for w in self.exit_writes)
        counters = dict(loop.metadata.get(_delta.COUNTERS) or {})
        channels = {k: loop.channels[k] for k in self.names}
        due = (
            _delta.channels_due(channels, counters, loop.versions, self.bound)
            | self.forced
        )
        pending = [w for w in self.exit_writes if w[3] not in due]
        if not pending:
            return
        anchor = self.anchor_config
        if not self.has_parent:
            anchor = yield from self._save_stub(loop)
        conf = {
            **anchor[CONF],
            CONFIG_KEY_CHECKPOINT_NS: loop.parent_ns,
            CONFIG_KEY_CHECKPOINT_ID: anchor[CONF][CONFIG_KEY_CHECKPOINT_ID],
        }
        config = {**anchor, CONF: conf}
        for (tid, path), entries in self._group_exit(pending).items():
            yield SaveWrites(config, entries, tid, path)

    def _save_stub(self, loop: Any) -> Effects:
        stub = {
            "v": 4,
            "id": self.initial_id,
            "ts": utc_now_iso(),
            "channel_values": {},
            "channel_versions": {},
            "versions_seen": {},
        }
        base = self.anchor_config
        put_config = {**base, CONF: {**base[CONF], CONFIG_KEY_CHECKPOINT_ID: None}}
        yield SaveCheckpoint(put_config, stub, {"step": -2}, {})
        anchor = {**base, CONF: {**base[CONF], CONFIG_KEY_CHECKPOINT_ID: stub["id"]}}
        loop.checkpoint_config = anchor
        return anchor

    def _group_exit(
        self, pending: Sequence[ExitWrite]
    ) -> dict[tuple[str, str], list[tuple[str, Any]]]:
        # The anchor's own step keeps its task paths, so it interleaves with
        # the writes a resume loaded from it; later steps sort after every
        # real path and id, in step order.
        grouped: dict[tuple[str, str], list[tuple[str, Any]]] = {}
        for step, tid, path, ch, v in pending:
            if tid == NULL_TASK_ID:
                key = (_delta.exit_task_id(step, tid), "")
            elif step == self.first_step:
                key = (_delta.exit_task_id(step, tid), path)
            else:
                key = (_delta.exit_late_task_id(step, tid), f"~~{step:010d}{path}")
            grouped.setdefault(key, []).append((ch, v))
        return grouped


def bump_versions(loop: Any, due: set[str]) -> None:
    """Give snapshotted channels whose version did not move a new one.

    Savers store a blob only for versions that moved since the last save.
    """
    saver = loop.checkpointer
    bumped: dict[str, tuple[Any, Any]] = {}
    for name in due:
        old = loop.versions.get(name)
        if old is not None and name in loop.changed:
            continue
        new = saver.get_next_version(old, None)
        loop.versions[name] = new
        loop.changed[name] = new
        bumped[name] = (old, new)
        highest = loop._max_version
        if highest is None or (type(new) is type(highest) and new > highest):
            loop.note_version(new)
    if bumped:
        loop.versions_seen = _delta.mark_bumps_seen(
            loop.versions_seen, bumped, loop.trigger_to_nodes
        )
