"""Discover the edges of a state graph by a dry run of its triggers.

LangGraph draws a compiled graph by running its superstep loop with empty
input: nodes do not execute, but every node's edge writes and declared
(static) conditional writes are applied, and whichever nodes those writes
trigger become the targets of edges. Deferred nodes and waiting edges only
fire once nothing else is left to run, as in a real run.

This module reproduces that walk from the builder's description alone, with
one small stand-in per trigger channel (``branch:to:<node>`` and
``join:<a>+<b>:<node>``), so the drawn edges, their order, labels and
conditional flags match LangGraph's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from stategraph._constants import END, START

__all__ = [
    "DrawnEdge",
    "NodeWrites",
    "TriggerChannel",
    "Walk",
    "make_channel",
    "walk_triggers",
]

STEP_LIMIT = 250


class DrawnEdge(NamedTuple):
    """An edge found by the walk; ``label`` is ``None`` when unlabeled."""

    source: str
    target: str
    conditional: bool
    label: str | None


class _Via(NamedTuple):
    """One way a node reaches a trigger channel (or a source reaches a node)."""

    name: str
    conditional: bool
    label: str | None


@dataclass(slots=True)
class TriggerChannel:
    """A trigger channel; ``after_finish`` ones open only when the run idles."""

    after_finish: bool
    names: frozenset[str] | None = None  # barrier members; None = single value
    filled: bool = False
    seen: set[str] = field(default_factory=set)
    finished: bool = False

    def available(self) -> bool:
        if self.names is not None:
            full = self.seen == self.names
            return full and (self.finished or not self.after_finish)
        return self.filled and (self.finished or not self.after_finish)

    def update(self, values: list[str | None]) -> bool:
        if self.names is not None:
            fresh = {v for v in values if v is not None} - self.seen
            self.seen |= fresh
            return bool(fresh)
        if not values:  # a new step clears single values that are not deferred
            if self.after_finish or not self.filled:
                return False
            self.filled = False
            return True
        self.filled, self.finished = True, False
        return True

    def consume(self) -> bool:
        if not self.available() or (self.names is None and not self.after_finish):
            return False
        self.filled, self.finished, self.seen = False, False, set()
        return True

    def finish(self) -> bool:
        if not self.after_finish or self.finished:
            return False
        ready = self.seen == self.names if self.names is not None else self.filled
        self.finished = ready
        return ready


@dataclass(slots=True)
class NodeWrites:
    """What a node writes when it runs, and which channels trigger it.

    Args:
        triggers: Channels that schedule the node.
        writes: ``(channel, value)`` written on every run (edges, joins).
        static: ``(channel or END, label)`` declared conditional writes,
            written on the node's first run only.
    """

    triggers: list[str] = field(default_factory=list)
    writes: list[tuple[str, str | None]] = field(default_factory=list)
    static: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Walk:
    """The outcome of the walk.

    Args:
        edges: Every edge found (before de-duplication).
        last_sources: The nodes that ran in the last step that ran any.
    """

    edges: set[DrawnEdge]
    last_sources: list[str]


@dataclass
class _State:
    """Channel versions and what each node has seen, as in a checkpoint."""

    channels: dict[str, TriggerChannel]
    versions: dict[str, int] = field(default_factory=dict)
    seen: dict[str, dict[str, int]] = field(default_factory=dict)
    clock: int = 0

    def apply(
        self,
        ran: Iterable[str],
        procs: dict[str, NodeWrites],
        writes: dict[str, list[str | None]],
        trigger_to_nodes: dict[str, list[str]],
    ) -> set[str]:
        """Apply one step's writes; return the channels that became readable."""
        ran = list(ran)
        for name in ran:
            seen = self.seen.setdefault(name, {})
            seen.update(
                (c, self.versions[c])
                for c in procs[name].triggers
                if c in self.versions
            )
        self.clock += 1
        for chan in {c for name in ran for c in procs[name].triggers}:
            if chan in self.channels and self.channels[chan].consume():
                self.versions[chan] = self.clock
        updated: set[str] = set()
        for chan, values in writes.items():
            self._bump(chan, self.channels[chan].update(values), updated)
        if not ran:
            return updated
        for chan, channel in self.channels.items():
            if channel.available() and chan not in updated:
                self._bump(chan, channel.update([]), updated)
        if updated.isdisjoint(trigger_to_nodes):
            for chan, channel in self.channels.items():
                self._bump(chan, channel.finish(), updated)
        return updated

    def _bump(self, chan: str, changed: bool, updated: set[str]) -> None:
        if changed:
            self.versions[chan] = self.clock
            if self.channels[chan].available():
                updated.add(chan)

    def next_tasks(
        self,
        procs: dict[str, NodeWrites],
        updated: set[str],
        trigger_to_nodes: dict[str, list[str]],
    ) -> list[str]:
        """Nodes triggered by a channel that changed since they last ran."""
        if updated and trigger_to_nodes:
            names: Iterable[str] = sorted(
                {n for c in updated for n in trigger_to_nodes.get(c, ())}
            )
        else:
            names = procs
        return [n for n in names if self._triggered(n, procs[n])]

    def _triggered(self, name: str, proc: NodeWrites) -> bool:
        seen = self.seen.get(name)
        for chan in proc.triggers:
            if not self.channels[chan].available():
                continue
            if seen is None or self.versions.get(chan, 0) > seen.get(chan, 0):
                return True
        return False


def walk_triggers(
    procs: dict[str, NodeWrites], channels: dict[str, TriggerChannel]
) -> Walk:
    """Run the dry superstep loop and collect the edges it discovers.

    Args:
        procs: Every node (``START`` first) with its triggers and writes.
        channels: ``TriggerChannel`` stand-ins by name, from ``make_channel``.

    Returns:
        The edges found and the nodes of the last step.
    """
    trigger_to_nodes: dict[str, list[str]] = defaultdict(list)
    for name, proc in procs.items():
        for chan in proc.triggers:
            trigger_to_nodes[chan].append(name)
    state = _State(channels)
    updated = state.apply([], procs, {START: [None]}, trigger_to_nodes)
    tasks = state.next_tasks(procs, updated, trigger_to_nodes)
    edges: set[DrawnEdge] = set()
    sources: dict[str, set[_Via]] = {}
    declared: defaultdict[str, set[_Via]] = defaultdict(set)
    step_sources: dict[str, set[_Via]] = {}
    done_static: set[str] = set()
    for _ in range(-1, STEP_LIMIT):
        if not tasks:
            break
        writes, step_sources = _run_tasks(tasks, procs, edges, declared, done_static)
        sources.update(step_sources)
        by_trigger: defaultdict[str, set[_Via]] = defaultdict(set)
        for src, vias in sources.items():
            for via in vias:
                by_trigger[via.name].add(_Via(src, via.conditional, via.label))
        updated = state.apply(tasks, procs, writes, trigger_to_nodes)
        tasks = state.next_tasks(procs, updated, trigger_to_nodes)
        for task in tasks:
            _link(task, procs[task], by_trigger, sources, step_sources, edges)
    return Walk(edges, list(step_sources))


def _run_tasks(
    tasks: list[str],
    procs: dict[str, NodeWrites],
    edges: set[DrawnEdge],
    declared: defaultdict[str, set[_Via]],
    done_static: set[str],
) -> tuple[dict[str, list[str | None]], dict[str, set[_Via]]]:
    """Collect the writes of one step and what each task wrote to."""
    writes: defaultdict[str, list[str | None]] = defaultdict(list)
    step_sources: dict[str, set[_Via]] = {}
    for task in tasks:
        proc = procs[task]
        task_writes = list(proc.writes)
        conditional: dict[str, str | None] = {}
        if task not in done_static:
            done_static.add(task)
            for chan, label in proc.static:
                if chan == END:
                    edges.add(DrawnEdge(task, END, True, label))
                    continue
                conditional[chan] = label
                declared[task].add(_Via(chan, True, label))
                task_writes.append((chan, None))
        vias = {
            _Via(chan, chan in conditional, conditional.get(chan))
            for chan, _ in task_writes
        }
        step_sources[task] = vias | declared.get(task, set())
        for chan, value in task_writes:
            writes[chan].append(value)
    return writes, step_sources


def _link(
    task: str,
    proc: NodeWrites,
    by_trigger: dict[str, set[_Via]],
    sources: dict[str, set[_Via]],
    step_sources: dict[str, set[_Via]],
    edges: set[DrawnEdge],
) -> None:
    """Add edges into ``task`` from every node that wrote one of its triggers."""
    from_this_step = False
    for chan in sorted(proc.triggers):
        for src, cond, label in by_trigger.get(chan, ()):
            edges.add(DrawnEdge(src, task, cond, label))
            via = _Via(chan, cond, label)
            if via in step_sources.get(src, ()):
                from_this_step = True
            else:
                sources[src].discard(via)
    if not from_this_step:
        for src in step_sources:
            edges.add(DrawnEdge(src, task, True, None))


def make_channel(
    *, deferred: bool, names: Iterable[str] | None = None
) -> TriggerChannel:
    """A trigger-channel stand-in: a single value, or a barrier over ``names``."""
    return TriggerChannel(deferred, None if names is None else frozenset(names))
