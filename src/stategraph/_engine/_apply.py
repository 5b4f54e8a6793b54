"""Applying a step's writes at the barrier.

Reducers see writes in task-path order; channels not written are told a step
passed. Cost is kept proportional to what changed, never to the size of the
graph.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stategraph._constants import RESERVED, SKIP_WRITES
from stategraph.channels._base import MISSING, BaseChannel, SingleValueChannel
from stategraph.channels._binop import BinaryOperatorAggregate
from stategraph.channels._ephemeral import EphemeralValue
from stategraph.channels._last_value import LastValue

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop

logger = logging.getLogger("stategraph")

# Channels that only writes change (``update(())`` is a no-op) and that stay
# available once they hold a value: a step need not tell them it passed.
_STEADY_CHANNELS = frozenset((LastValue, BinaryOperatorAggregate))


# Channels whose ``get()`` is their ``value`` unless it is ``MISSING``: read
# without two method calls per key.
PLAIN_VALUE = frozenset((LastValue, BinaryOperatorAggregate, EphemeralValue))
# Channels whose ``update`` of one write just stores it as their value.
_ONE_WRITE = frozenset((LastValue, EphemeralValue))


def consumers_of(channels: Mapping[str, Any]) -> frozenset[str]:
    """Names of the ``channels`` a task subscribed to them may change (``consume``)."""
    base = BaseChannel.consume
    return frozenset(
        k
        for k, ch in channels.items()
        if k not in RESERVED and getattr(type(ch), "consume", base) is not base
    )


def plain_checkpoints_of(channels: Mapping[str, Any]) -> frozenset[str]:
    """Names of the ``channels`` whose ``checkpoint()`` is their ``value``."""
    own = SingleValueChannel.checkpoint
    return frozenset(
        k
        for k, ch in channels.items()
        if isinstance(ch, SingleValueChannel) and type(ch).checkpoint is own
    )


def unsteady_of(channels: Mapping[str, Any]) -> frozenset[str]:
    """Names of the ``channels`` a step that does not write them may change."""
    steady = _STEADY_CHANNELS
    return frozenset(k for k, ch in channels.items() if type(ch) not in steady)


def path_str(path: Any) -> str:
    """The sort key of a task path, as savers and LangGraph order writes by.

    Ints (and bools, which are ints) are zero-padded so they sort numerically.
    """
    kind = type(path)
    if kind is tuple or kind is list:
        parts = []
        for part in path:
            t = type(part)
            if t is str:
                parts.append(part)
            elif t is int or t is bool:
                parts.append(f"{part:010d}")
            else:
                parts.append(path_str(part))
        return "~" + ", ".join(parts)
    if isinstance(path, int):
        return f"{path:010d}"
    return str(path)


def _sort_key(task: Any) -> str:
    key = getattr(task, "path_key", None)
    return key if key is not None else path_str(task.path)


def apply_writes(
    loop: Loop, tasks: Sequence[Any], *, for_input: bool = False
) -> set[str]:
    """Apply the writes of ``tasks`` at the barrier; return the updated channels.

    Reducers see writes in task-path order. Channels not written are told a
    step passed (ephemeral values clear), and when nothing more would run
    ``finish()`` releases deferred nodes.
    """
    if len(tasks) == 1:
        return apply_one(loop, tasks[0])
    if len(tasks) > 1:
        tasks = sorted(tasks, key=_sort_key)
    channels, versions = loop.channels, loop.versions
    seen, seen_changed = loop.versions_seen, loop.seen_changed
    bump_step = False
    for task in tasks:
        if task.triggers:
            bump_step = True
            prev = seen.get(task.name)
            new = dict(prev) if prev else {}
            for chan in task.triggers:
                if chan in versions:
                    new[chan] = versions[chan]
            seen[task.name] = new
            seen_changed.add(task.name)
        elif task.name not in seen:
            # LangGraph records every writer, the input included, in versions_seen.
            seen[task.name] = {}
            seen_changed.add(task.name)
    next_version = loop.next_version()
    live = loop.live
    consumers = loop.consumers
    assigned = False
    for chan in {c for t in tasks for c in t.triggers}:
        if chan in consumers and channels[chan].consume():
            assigned = True
            if next_version is not None:
                versions[chan] = next_version
                loop.changed[chan] = next_version
            if not channels[chan].is_available():
                live.discard(chan)
    grouped: dict[str, list[Any]] = {}
    for task in tasks:
        for chan, val in task.writes:
            if chan in SKIP_WRITES:
                continue
            if chan in channels:
                if chan in grouped:
                    grouped[chan].append(val)
                else:
                    grouped[chan] = [val]
            else:
                logger.warning(
                    "Task %s with path %s wrote to unknown channel %s, ignoring it.",
                    task.name,
                    task.path,
                    chan,
                )
    return _update(loop, grouped, next_version, assigned, bump_step)


def apply_one(loop: Loop, task: Any) -> set[str]:
    """``apply_writes`` for a step of one task (a sequence's every step)."""
    channels = loop.channels
    versions = loop.versions
    name = task.name
    triggers = task.triggers
    if triggers:
        seen = loop.versions_seen
        prev = seen.get(name)
        new = dict(prev) if prev else {}
        for chan in triggers:
            if chan in versions:
                new[chan] = versions[chan]
        seen[name] = new
        loop.seen_changed.add(name)
    elif name not in loop.versions_seen:
        loop.versions_seen[name] = {}
        loop.seen_changed.add(name)
    next_version = loop.next_version()
    consumers = loop.consumers
    assigned = False
    for chan in triggers if len(triggers) < 2 else set(triggers):
        if chan in consumers and channels[chan].consume():
            assigned = True
            if next_version is not None:
                versions[chan] = next_version
                loop.changed[chan] = next_version
            if not channels[chan].is_available():
                loop.live.discard(chan)
    grouped: dict[str, list[Any]] = {}
    for chan, val in task.writes:
        if chan in grouped:
            grouped[chan].append(val)
        elif chan in channels and chan not in SKIP_WRITES:
            grouped[chan] = [val]
        elif chan not in SKIP_WRITES:
            logger.warning(
                "Task %s with path %s wrote to unknown channel %s, ignoring it.",
                name,
                task.path,
                chan,
            )
    fresh = getattr(task, "fresh", None)  # input and LangGraph-API tasks: none
    applied = _take_fresh(channels, grouped, fresh) if fresh is not None else None
    return _update(loop, grouped, next_version, assigned, bool(triggers), applied)


def _take_fresh(
    channels: Mapping[str, Any], grouped: dict[str, list[Any]], fresh: dict[str, Any]
) -> set[str] | None:
    """Give channels the reductions a fresh read made of these very writes.

    Taken only when the channel and its value are those the read started from
    and the writes are the same objects (see ``_emit.local_read``).
    """
    applied = None
    for chan, (base, left, vals, reduced) in fresh.items():
        now = grouped.get(chan)
        if (
            now is None
            or channels[chan] is not base
            or base.value is not left
            or len(now) != len(vals)
        ):
            continue
        for mine, read in zip(now, vals, strict=True):
            if mine is not read:
                break
        else:
            base.value = reduced
            if applied is None:
                applied = set()
            applied.add(chan)
    return applied


def _update(
    loop: Loop,
    grouped: dict[str, list[Any]],
    next_version: Any,
    assigned: bool,
    bump_step: bool,
    applied: set[str] | None = None,
) -> set[str]:
    """Hand the grouped writes to their channels, then settle the rest.

    Channels in ``applied`` hold their step's writes already (``_take_fresh``).
    """
    channels = loop.channels
    versions = loop.versions
    changed = loop.changed
    live = loop.live
    updated: set[str] = set()
    loop.touched.update(grouped)
    for chan, vals in grouped.items():
        ch = channels[chan]
        if len(vals) == 1 and type(ch) in _ONE_WRITE and applied is None:
            # ``update`` of one write stores it, which is a value: inline.
            ch.value = vals[0]
            available = True
        elif ch.update(vals) if applied is None or chan not in applied else True:
            available = ch.is_available()
        else:
            continue
        assigned = True
        if next_version is not None:
            versions[chan] = next_version
            changed[chan] = next_version
        if available:
            updated.add(chan)
            live.add(chan)
        else:
            live.discard(chan)
    if bump_step:
        assigned = _step_passed(loop, updated, next_version) or assigned
    if assigned and next_version is not None:
        loop.note_version(next_version)
    return updated


def _step_passed(loop: Loop, updated: set[str], next_version: Any) -> bool:
    """Tell channels not written this step that it passed (ephemeral values clear).

    Steady channels never change so; returns whether a version moved.
    """
    channels = loop.channels
    versions = loop.versions
    changed = loop.changed
    live = loop.live
    assigned = False
    for chan in live.intersection(loop.unsteady):
        if chan in updated:
            continue
        ch = channels[chan]
        if type(ch) is EphemeralValue:
            # ``update(())`` of a value clears it: inline.
            if ch.value is not MISSING:
                ch.value = MISSING
                assigned = True
                if next_version is not None:
                    versions[chan] = next_version
                    changed[chan] = next_version
            live.discard(chan)
        elif not ch.is_available():
            live.discard(chan)
        elif ch.update(()):
            assigned = True
            if next_version is not None:
                versions[chan] = next_version
                changed[chan] = next_version
            if ch.is_available():
                updated.add(chan)
            else:
                live.discard(chan)
    t2n = loop.trigger_to_nodes or {}
    for chan in updated:
        if chan in t2n:
            return assigned
    return _finish(loop, updated, next_version) or assigned


def _finish(loop: Loop, updated: set[str], next_version: Any) -> bool:
    assigned = False
    channels = loop.channels
    for chan in loop.finishable:
        ch = channels[chan]
        if ch.finish():
            assigned = True
            if next_version is not None:
                loop.versions[chan] = next_version
                loop.changed[chan] = next_version
            if ch.is_available():
                updated.add(chan)
                loop.live.add(chan)
    return assigned
