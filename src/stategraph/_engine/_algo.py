"""Planning a superstep: which tasks run next, and what they read.

Pure functions over the loop's channels and version maps (applying the
writes is ``_apply``'s part); cost is kept proportional to what changed,
never to the size of the graph.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stategraph._constants import (
    PULL,
    PUSH,
    TAG_HIDDEN,
    TASKS,
)
from stategraph._engine._apply import (
    PLAIN_VALUE,
    apply_writes as apply_writes,
    consumers_of as consumers_of,
    path_str as path_str,
    plain_checkpoints_of as plain_checkpoints_of,
    unsteady_of as unsteady_of,
)
from stategraph._engine._task import Task
from stategraph._types import Send
from stategraph.channels._base import MISSING

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop
    from stategraph._engine._node import PregelNode
    from stategraph.channels import BaseChannel

logger = logging.getLogger("stategraph")

_MISSING = object()
PUSH_TRIGGERS = (PUSH,)


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
        plain = PLAIN_VALUE
        for chan in select:
            ch = channels.get(chan)
            if ch is None:
                value[chan] = loop.managed[chan].get(loop.step_counters)
            elif type(ch) in plain:
                found = ch.value
                if found is not MISSING:
                    value[chan] = found
            elif ch.is_available():
                value[chan] = ch.get()
    if node.mapper is not None:
        value = node.mapper(value)
    if cache is not None:
        cache[id(node.channels)] = value
    return value


def read_state(loop: Loop, node: PregelNode) -> Any:
    """``node``'s edge input read now (``{}`` when its channels are empty)."""
    value = _read_input(loop, node, None)
    return {} if value is _MISSING else value


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
