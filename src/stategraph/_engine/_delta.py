"""Bookkeeping of ``DeltaChannel``s: when to snapshot, how to rebuild, where writes go.

Pure functions over channels, versions and writes; the loop and
``update_state`` decide when to call them and perform the I/O they imply.
A delta channel's value at a checkpoint is its nearest stored snapshot plus
the writes saved on the checkpoints between that one and the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stategraph._constants import NS_END, NS_SEP, NULL_TASK_ID, SNAPSHOT_BUMPS
from stategraph.channels._base import MISSING, BaseChannel
from stategraph.channels._binop import BinaryOperatorAggregate, _get_overwrite
from stategraph.channels._delta import DeltaChannel

if TYPE_CHECKING:
    from stategraph.checkpoint.serde.types import _DeltaSnapshot

__all__ = (
    "channels_due",
    "channels_to_replay",
    "exit_late_task_id",
    "exit_task_id",
    "mark_bumps_seen",
    "next_counters",
    "overwritten",
    "replay",
    "seen_without_bumps",
    "snapshot_value",
    "with_pending_writes",
)

COUNTERS = "counters_since_delta_snapshot"
"""Checkpoint-metadata key of the per-channel ``(updates, supersteps)`` counters."""

Counters = dict[str, tuple[int, int]]


def delta_names(specs: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of the delta channels among ``specs``."""
    return tuple(k for k, v in specs.items() if isinstance(v, DeltaChannel))


def channels_to_replay(
    specs: Mapping[str, Any], checkpoint: Mapping[str, Any]
) -> list[str]:
    """Channels whose value at ``checkpoint`` must be rebuilt from saved writes.

    Only channels that were written (have a version) but store nothing here:
    a delta channel between snapshots, or a reducer channel that used to be a
    delta channel on this thread.
    """
    versions = checkpoint["channel_versions"]
    values = checkpoint["channel_values"]
    # Dict lookups first: on a new thread nothing has a version, and the
    # (abstract-class) isinstance check per channel is what costs.
    return [
        k
        for k, spec in specs.items()
        if k in versions
        and values.get(k, MISSING) is MISSING
        and isinstance(spec, (DeltaChannel, BinaryOperatorAggregate))
    ]


def replay(spec: BaseChannel[Any, Any, Any], history: Mapping[str, Any]) -> Any:
    """A channel rebuilt from a ``DeltaChannelHistory`` (seed plus writes)."""
    channel = spec.from_checkpoint(history.get("seed", MISSING))
    if isinstance(channel, DeltaChannel):
        channel.replay_writes(history["writes"])
    else:
        # The writes span many steps: one update each, so a later Overwrite
        # is not mistaken for a second one in the same step.
        for _, _, value in history["writes"]:
            channel.update([value])
    return channel


def next_counters(
    previous: Mapping[str, Any] | None, names: Iterable[str], updated: Iterable[str]
) -> Counters:
    """Advance each delta channel's counters by one superstep."""
    prev = dict((previous or {}).get(COUNTERS) or {})
    written = set(updated)
    out: Counters = {}
    for name in names:
        updates, steps = prev.get(name, (0, 0))
        out[name] = (updates + (name in written), steps + 1)
    return out


def channels_due(
    channels: Mapping[str, Any],
    counters: Mapping[str, Sequence[int]],
    versions: Mapping[str, Any] | None,
    bound: int,
) -> set[str]:
    """Delta channels whose counters call for a snapshot now.

    A channel is due after ``snapshot_frequency`` updates or ``bound``
    supersteps; one never written on this branch (no version) has nothing to
    store.
    """
    due = set()
    for name, ch in channels.items():
        if not isinstance(ch, DeltaChannel) or not ch.is_available():
            continue
        if versions is not None and name not in versions:
            continue
        updates, steps = counters.get(name, (0, 0))
        if updates >= ch.snapshot_frequency or steps >= bound:
            due.add(name)
    return due


def counters_metadata(metadata: dict[str, Any], counters: Counters) -> None:
    """Store the non-zero counters in ``metadata`` (drop the key when none)."""
    non_zero = {k: v for k, v in counters.items() if v != (0, 0)}
    if non_zero:
        metadata[COUNTERS] = non_zero
    else:
        metadata.pop(COUNTERS, None)


def with_pending_writes(
    specs: Mapping[str, Any], writes: Iterable[Sequence[Any]] | None
) -> set[str]:
    """Delta channels written by a checkpoint's pending ``(task, chan, value)`` writes.

    Nothing records which child consumed those writes, so a new branch from
    that checkpoint snapshots these channels to keep its reads off them.
    """
    return {w[1] for w in writes or () if isinstance(specs.get(w[1]), DeltaChannel)}


def overwritten(
    specs: Mapping[str, Any], writes: Iterable[tuple[str, Any]]
) -> set[str]:
    """Delta channels that ``(chan, value)`` writes replace with an ``Overwrite``."""
    return {
        ch
        for ch, value in writes
        if isinstance(specs.get(ch), DeltaChannel) and _get_overwrite(value)[0]
    }


def only_delta(
    specs: Mapping[str, Any], writes: Iterable[tuple[str, Any]]
) -> list[tuple[str, Any]]:
    """The writes that go to delta channels."""
    return [(c, v) for c, v in writes if isinstance(specs.get(c), DeltaChannel)]


def snapshot_value(channel: BaseChannel[Any, Any, Any]) -> _DeltaSnapshot:
    """The blob that stores a delta channel's full value."""
    # Imported here: the serializers are loaded by the time anything is saved.
    from stategraph.checkpoint.serde.types import _DeltaSnapshot

    return _DeltaSnapshot(channel.get())


def exit_task_id(step: int, task_id: str) -> str:
    """Task id under which exit durability saves a delta write of ``step``.

    The step leads the UUID so savers ordering by task id keep steps in
    order, and the result stays a valid UUID (PostgreSQL stores a uuid). It
    is never the null task id, whose writes readers treat as the anchor's own.
    """
    import uuid

    parts = str(uuid.UUID(task_id)).split("-")
    synthetic = f"{step:08d}-{'-'.join(parts[1:])}"
    if synthetic == NULL_TASK_ID:
        return f"{step:08d}-0000-0000-0000-000000000001"
    return synthetic


def exit_late_task_id(step: int, task_id: str) -> str:
    """Task id for exit-mode writes of a step after the anchor's own step.

    Sorts after every real task id, in step order.
    """
    import uuid

    parts = str(uuid.UUID(task_id)).split("-")
    return f"ffffffff-{step >> 16:04x}-{step & 0xFFFF:04x}-{parts[3]}-{parts[4]}"


def _bump_keys(node: str, channel: str) -> tuple[str, str]:
    # Node names hold neither separator, so the two keys cannot collide.
    return f"{node}{NS_SEP}{channel}", f"{node}{NS_END}{channel}"


def mark_bumps_seen(
    versions_seen: dict[str, Any],
    bumped: Mapping[str, tuple[Any, Any]],
    trigger_to_nodes: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Advance nodes that had seen a bumped channel's old version to the new one.

    A version bump made only to store a snapshot is not a write: left unseen
    it would trigger the channel's subscribers again. ``SNAPSHOT_BUMPS``
    remembers the real version read, for ``seen_without_bumps``.
    """
    if not bumped:
        return versions_seen
    out = dict(versions_seen)
    for chan, (old, _) in bumped.items():
        if old is None:
            for node in trigger_to_nodes.get(chan, ()):
                out.setdefault(node, {})
    marks = dict(versions_seen.get(SNAPSHOT_BUMPS, {}))
    for node, seen in out.items():
        if node == SNAPSHOT_BUMPS:
            continue
        for chan, (old, new) in bumped.items():
            if seen.get(chan) != old:
                continue
            advanced, read = _bump_keys(node, chan)
            if old is not None and marks.get(advanced) != old:
                marks[read] = old
            marks[advanced] = new
            out[node] = {**out[node], chan: new}
    if marks:
        out[SNAPSHOT_BUMPS] = marks
    return out


def seen_without_bumps(versions_seen: dict[str, Any]) -> dict[str, Any]:
    """``versions_seen`` with snapshot bumps undone: the versions nodes really read."""
    marks = versions_seen.get(SNAPSHOT_BUMPS)
    if not marks:
        return versions_seen
    out: dict[str, Any] = {}
    for node, seen in versions_seen.items():
        if node == SNAPSHOT_BUMPS:
            continue
        out[node] = {}
        for chan, version in seen.items():
            advanced, read = _bump_keys(node, chan)
            if marks.get(advanced) != version:
                out[node][chan] = version
            elif read in marks:
                out[node][chan] = marks[read]
    return out
