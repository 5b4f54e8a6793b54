"""Planning a superstep and applying its writes at the barrier.

Pure functions over the loop's channels and version maps; cost is kept
proportional to what changed, never to the size of the graph.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stategraph._constants import (
    PULL,
    PUSH,
    RESERVED,
    SKIP_WRITES,
    TAG_HIDDEN,
    TASKS,
)
from stategraph._engine._task import Task
from stategraph._types import Send
from stategraph.channels._binop import BinaryOperatorAggregate
from stategraph.channels._last_value import LastValue

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop
    from stategraph._engine._node import PregelNode
    from stategraph.channels import BaseChannel

logger = logging.getLogger("stategraph")

_MISSING = object()
PUSH_TRIGGERS = (PUSH,)

# Channels that only writes change (``update(())`` is a no-op) and that stay
# available once they hold a value: a step need not tell them it passed.
_STEADY_CHANNELS = frozenset((LastValue, BinaryOperatorAggregate))


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


def prepare_tasks(loop: Loop, updated: set[str] | None) -> list[Task]:
    """Plan the tasks of the next step: ``Send`` pushes first, then pulls."""
    tasks: list[Task] = []
    channels = loop.channels
    topic = channels.get(TASKS)
    if topic is not None and topic.is_available():
        for idx, packet in enumerate(topic.get()):
            task = _push_task(loop, idx, packet)
            if task is not None:
                tasks.append(task)
    versions = loop.versions
    candidates: Iterable[str]
    if updated and loop.trigger_to_nodes is not None:
        candidates = _candidates(loop.trigger_to_nodes, updated)
    elif not versions:
        candidates = ()
    else:
        candidates = loop.nodes.keys()
    # Only several candidates may share a read (most steps have one).
    cache: dict[int, Any] | None = {} if len(candidates) > 1 else None  # type: ignore[arg-type]
    nodes = loop.nodes
    seen = loop.versions_seen
    for name in candidates:
        node = nodes[name]
        if not _triggered(node, channels, versions, seen.get(name)):
            continue
        try:
            value = _read_input(loop, node, cache)
        except Exception as exc:
            exc.add_note(f"Before task with name '{name}' and path '{(PULL, name)}'")
            raise
        if value is _MISSING:
            continue
        triggers = node.sorted_triggers
        if triggers is None or len(triggers) != len(node.triggers):
            # Edges add triggers while the graph compiles: sorted on first use.
            triggers = node.sorted_triggers = tuple(sorted(node.triggers))
        tasks.append(Task(loop, node, name, (PULL, name), triggers, value))
    return tasks


def _candidates(t2n: Mapping[str, list[str]], updated: set[str]) -> Sequence[str]:
    """The nodes triggered by ``updated`` channels, sorted by name."""
    first: list[str] | None = None
    found: set[str] | None = None
    for chan in updated:
        names = t2n.get(chan)
        if names:
            if first is None:
                first = names
            else:
                if found is None:
                    found = set(first)
                found.update(names)
    if found is not None:
        return sorted(found)
    if first is None:
        return ()
    # Mostly one node per channel: no set, no sort.
    return first if len(first) == 1 else sorted(set(first))


def _push_task(loop: Loop, idx: int, packet: Any) -> Task | None:
    if not isinstance(packet, Send):
        logger.warning("Ignoring invalid packet type %s in pending sends", type(packet))
        return None
    node = loop.nodes.get(packet.node)
    if node is None:
        logger.warning("Ignoring unknown node name %s in pending sends", packet.node)
        return None
    return Task(loop, node, packet.node, (PUSH, idx, False), PUSH_TRIGGERS, packet.arg)


def _triggered(
    node: PregelNode,
    channels: Mapping[str, BaseChannel[Any, Any, Any]],
    versions: Mapping[str, Any],
    seen: Mapping[str, Any] | None,
) -> bool:
    if seen is None:
        # A loop, not any(): no generator object on every step.
        for chan in node.triggers:  # noqa: SIM110
            if channels[chan].is_available():
                return True
        return False
    for chan in node.triggers:
        if chan in versions and channels[chan].is_available():
            seen_v = seen.get(chan)
            if seen_v is None or versions[chan] > seen_v:
                return True
    return False


def _read_input(loop: Loop, node: PregelNode, cache: dict[int, Any] | None) -> Any:
    if cache is not None:
        key = id(node.channels)
        if key in cache:
            value = cache[key]
            return value.copy() if isinstance(value, dict) else value
    channels = loop.channels
    select = node.channels
    if isinstance(select, str):
        ch = channels.get(select)
        if ch is None or not ch.is_available():
            return _MISSING
        value = ch.get()
    else:
        value = {}
        for chan in select:
            ch = channels.get(chan)
            if ch is not None:
                if ch.is_available():
                    value[chan] = ch.get()
            else:
                value[chan] = loop.managed[chan].get(loop.step_counters)
    if node.mapper is not None:
        value = node.mapper(value)
    if cache is not None:
        cache[id(node.channels)] = value
    return value


def read_state(loop: Loop, node: PregelNode) -> Any:
    """``node``'s edge input read now (``{}`` when its channels are empty)."""
    value = _read_input(loop, node, None)
    return {} if value is _MISSING else value


def apply_writes(
    loop: Loop, tasks: Sequence[Any], *, for_input: bool = False
) -> set[str]:
    """Apply the writes of ``tasks`` at the barrier; return the updated channels.

    Reducers see writes in task-path order. Channels not written are told a
    step passed (ephemeral values clear), and when nothing more would run
    ``finish()`` releases deferred nodes.
    """
    if len(tasks) == 1:
        return _apply_one(loop, tasks[0])
    if len(tasks) > 1:
        tasks = sorted(tasks, key=_sort_key)
    channels = loop.channels
    versions = loop.versions
    seen = loop.versions_seen
    seen_changed = loop.seen_changed
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
    assigned = False
    for chan in {c for t in tasks for c in t.triggers}:
        if chan not in RESERVED and chan in channels and channels[chan].consume():
            assigned = True
            if next_version is not None:
                versions[chan] = next_version
                loop.changed.add(chan)
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


def _apply_one(loop: Loop, task: Any) -> set[str]:
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
    assigned = False
    for chan in triggers if len(triggers) < 2 else set(triggers):
        if chan not in RESERVED and chan in channels and channels[chan].consume():
            assigned = True
            if next_version is not None:
                versions[chan] = next_version
                loop.changed.add(chan)
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
    return _update(loop, grouped, next_version, assigned, bool(triggers))


def _update(
    loop: Loop,
    grouped: dict[str, list[Any]],
    next_version: Any,
    assigned: bool,
    bump_step: bool,
) -> set[str]:
    """Hand the grouped writes to their channels, then settle the rest."""
    channels = loop.channels
    versions = loop.versions
    changed = loop.changed
    live = loop.live
    updated: set[str] = set()
    loop.touched.update(grouped)
    for chan, vals in grouped.items():
        ch = channels[chan]
        if ch.update(vals):
            assigned = True
            if next_version is not None:
                versions[chan] = next_version
                changed.add(chan)
            if ch.is_available():
                updated.add(chan)
                live.add(chan)
            else:
                live.discard(chan)
    if bump_step:
        # Channels that were not written, told a step passed (ephemeral
        # values clear); steady ones never change so.
        for chan in live.intersection(loop.unsteady):
            if chan in updated:
                continue
            ch = channels[chan]
            if not ch.is_available():
                live.discard(chan)
            elif ch.update(()):
                assigned = True
                if next_version is not None:
                    versions[chan] = next_version
                    changed.add(chan)
                if ch.is_available():
                    updated.add(chan)
                else:
                    live.discard(chan)
        t2n = loop.trigger_to_nodes or {}
        for chan in updated:
            if chan in t2n:
                break
        else:
            assigned = _finish(loop, updated, next_version) or assigned
    if assigned and next_version is not None:
        loop.note_version(next_version)
    return updated


def _finish(loop: Loop, updated: set[str], next_version: Any) -> bool:
    assigned = False
    channels = loop.channels
    for chan in loop.finishable:
        ch = channels[chan]
        if ch.finish():
            assigned = True
            if next_version is not None:
                loop.versions[chan] = next_version
                loop.changed.add(chan)
            if ch.is_available():
                updated.add(chan)
                loop.live.add(chan)
    return assigned


def should_interrupt(
    loop: Loop, interrupt_nodes: Any, tasks: Iterable[Task]
) -> list[Task]:
    """Tasks that hit a static breakpoint, if any channel changed since the last."""
    seen = loop.versions_seen.get("__interrupt__", {})
    changed = False
    for chan, version in loop.versions.items():
        prev = seen.get(chan)
        if prev is None or version > prev:
            changed = True
            break
    if not changed:
        return []
    if interrupt_nodes == "*":
        return [t for t in tasks if not (t.node.tags and TAG_HIDDEN in t.node.tags)]
    return [t for t in tasks if t.name in interrupt_nodes]
