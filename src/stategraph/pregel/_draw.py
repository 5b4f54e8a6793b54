"""``get_graph()`` of a generic ``Pregel``: its drawing found by a dry run.

As LangGraph does, the superstep loop runs on fresh copies of the graph's
channels with empty input: node code never runs, but each triggered node's
writers run on ``None`` (or the empty value of a ``__root__`` channel) and
the writes they make (plus the writes they declare for drawing) decide
which nodes run next. A node triggered by a channel some node wrote gets an
edge from that node. Compiled state graphs draw from their builder instead
(``graph/_draw.py``); this module must not run user node code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from stategraph._constants import END, START, TASKS
from stategraph.channels import BaseChannel
from stategraph.channels.base import MISSING
from stategraph.channels.last_value import LastValueAfterFinish
from stategraph.errors import GraphBubbleUp
from stategraph.pregel._write import ChannelWrite

if TYPE_CHECKING:
    # The drawing classes live with the graph builders, which import this
    # package: import them when a drawing is made, not at import time.
    from stategraph.graph._drawable import Graph

__all__ = ["DrawMixin", "draw_pregel"]

STEP_LIMIT = 250


class _Edge(NamedTuple):
    source: str
    target: str
    conditional: bool
    label: str | None


class _Via(NamedTuple):
    """A channel a node wrote, and whether that write was conditional."""

    name: str
    conditional: bool
    label: str | None


class _DryTask:
    """What a writer sees of a task: somewhere to append writes."""

    __slots__ = ("config", "name", "writes")

    def __init__(self, name: str) -> None:
        self.name = name
        self.writes: list[tuple[str, Any]] = []
        self.config: dict[str, Any] = {"configurable": {}}


class _Channels:
    """Fresh channels with versions, stepped as the engine steps them."""

    def __init__(self, specs: Mapping[str, Any], nodes: Mapping[str, Any]) -> None:
        self.channels = {
            k: v.from_checkpoint(MISSING)
            for k, v in specs.items()
            if isinstance(v, BaseChannel) and k != TASKS
        }
        self.versions: dict[str, int] = {}
        self.seen: dict[str, dict[str, int]] = {}
        self.clock = 0
        self.trigger_to_nodes: defaultdict[str, list[str]] = defaultdict(list)
        for name, node in nodes.items():
            for chan in node.triggers:
                self.trigger_to_nodes[chan].append(name)

    def apply(
        self, ran: Mapping[str, Any], writes: Sequence[tuple[str, Any]]
    ) -> set[str]:
        """Apply one step's writes; return the channels that became readable."""
        for name, node in ran.items():
            self.seen.setdefault(name, {}).update(
                (c, self.versions[c]) for c in node.triggers if c in self.versions
            )
        self.clock += 1
        for chan in {c for node in ran.values() for c in node.triggers}:
            if chan in self.channels and self.channels[chan].consume():
                self.versions[chan] = self.clock
        grouped: defaultdict[str, list[Any]] = defaultdict(list)
        for chan, value in writes:
            if chan in self.channels:
                grouped[chan].append(value)
        updated: set[str] = set()
        for chan, values in grouped.items():
            self._bump(chan, _update(self.channels[chan], values), updated)
        if not ran:
            return updated
        for chan, channel in self.channels.items():
            if chan not in updated and channel.is_available():
                self._bump(chan, _update(channel, []), updated)
        if updated.isdisjoint(self.trigger_to_nodes):
            for chan, channel in self.channels.items():
                self._bump(chan, channel.finish(), updated)
        return updated

    def _bump(self, chan: str, changed: bool, updated: set[str]) -> None:
        if changed:
            self.versions[chan] = self.clock
            if self.channels[chan].is_available():
                updated.add(chan)

    def next_tasks(self, nodes: Mapping[str, Any], updated: set[str]) -> list[str]:
        """Nodes triggered by a channel that changed since they last ran."""
        names: Sequence[str] = list(nodes)
        if updated:
            names = sorted(
                {n for c in updated for n in self.trigger_to_nodes.get(c, ())}
            )
        return [n for n in names if self._triggered(n, nodes[n])]

    def _triggered(self, name: str, node: Any) -> bool:
        seen = self.seen.get(name, {})
        if isinstance(node.channels, str):
            chan = self.channels.get(node.channels)
            if chan is None or not chan.is_available():
                return False
        return any(
            c in self.channels
            and self.channels[c].is_available()
            and self.versions.get(c, 0) > seen.get(c, 0)
            for c in node.triggers
        )


def _update(channel: BaseChannel[Any, Any, Any], values: list[Any]) -> bool:
    """Update a channel with dry-run values, which it may reject."""
    try:
        return channel.update(values)
    except GraphBubbleUp:
        raise
    except Exception:
        # A reducer may not accept the stand-in ``None``; the write still
        # happened, which is all the drawing needs to know.
        return bool(values)


def _input_writes(input_channels: str | Sequence[str]) -> list[tuple[str, Any]]:
    # An empty dict as input: written whole to a single input channel,
    # and to none of a list of them.
    return [(input_channels, {})] if isinstance(input_channels, str) else []


def draw_pregel(graph: Any, subgraphs: Mapping[str, Graph]) -> Graph:
    """Draw a ``Pregel`` graph.

    Args:
        graph: The graph (its ``nodes``, ``channels``, ``input_channels`` and
            interrupt settings are read).
        subgraphs: Drawings to put in place of the nodes of those names.

    Returns:
        The drawable graph.
    """
    from stategraph.graph._draw import inline_subgraph

    nodes = graph.nodes
    state = _Channels(graph.channels, nodes)
    empty = None
    root = graph.channels.get("__root__")
    if isinstance(root, BaseChannel):
        try:
            empty = root.ValueType()
        except TypeError:
            empty = None
    updated = state.apply({}, _input_writes(graph.input_channels))
    tasks = state.next_tasks(nodes, updated)
    start_tasks = list(tasks)
    walk = _Walk(nodes, empty)
    for _ in range(-1, STEP_LIMIT):
        if not tasks:
            break
        writes = walk.run(tasks)
        updated = state.apply({t: nodes[t] for t in tasks}, writes)
        tasks = state.next_tasks(nodes, updated)
        walk.link(tasks)
    deferred = {
        chan.split(":", 2)[-1]
        for chan, ch in state.channels.items()
        if isinstance(ch, LastValueAfterFinish)
    }
    drawing = _assemble(graph, deferred, start_tasks, walk)
    for name, sub in subgraphs.items():
        inline_subgraph(drawing, name, sub)
    return drawing


class _Walk:
    """The edges found so far, and which node wrote which channel."""

    def __init__(self, nodes: Mapping[str, Any], empty: Any) -> None:
        self.nodes = nodes
        self.empty = empty
        self.edges: set[_Edge] = set()
        self.sources: dict[str, set[_Via]] = {}
        self.step_sources: dict[str, set[_Via]] = {}
        self.declared: defaultdict[str, set[_Via]] = defaultdict(set)
        self.static_seen: set[int] = set()

    def run(self, tasks: list[str]) -> list[tuple[str, Any]]:
        """Run the writers of ``tasks``; return their writes."""
        all_writes: list[tuple[str, Any]] = []
        self.step_sources = {}
        for name in tasks:
            task = _DryTask(name)
            conditional: dict[tuple[str, Any], str | None] = {}
            for writer in self.nodes[name].writers:
                _run_writer(writer, task, self.empty)
                conditional.update(self._static_writes(name, writer, task))
            keys = [_write_key(c, v) for c, v in task.writes]
            vias = {_Via(k[0], k in conditional, conditional.get(k)) for k in keys}
            self.step_sources[name] = vias | self.declared.get(name, set())
            all_writes.extend(task.writes)
        self.sources.update(self.step_sources)
        return all_writes

    def _static_writes(
        self, name: str, writer: Any, task: _DryTask
    ) -> dict[tuple[str, Any], str | None]:
        """Apply the writes ``writer`` declares, once per writer."""
        if id(writer) in self.static_seen:
            return {}
        self.static_seen.add(id(writer))
        declared = ChannelWrite.get_static_writes(writer) or []
        for chan, _, label in declared:
            if chan == END:
                self.edges.add(_Edge(name, END, True, label))
        kept = [(c, v, label) for c, v, label in declared if c != END]
        for chan, _, label in kept:
            self.declared[name].add(_Via(chan, True, label))
        task.writes.extend((c, v) for c, v, _ in kept)
        return {_write_key(c, v): label for c, v, label in kept}

    def link(self, tasks: list[str]) -> None:
        """Add edges into ``tasks`` from the nodes that wrote their triggers."""
        by_trigger: defaultdict[str, set[_Via]] = defaultdict(set)
        for src, vias in self.sources.items():
            for via in vias:
                by_trigger[via.name].add(_Via(src, via.conditional, via.label))
        for name in tasks:
            added = False
            for trigger in self.nodes[name].triggers:
                for src, cond, label in sorted(by_trigger[trigger], key=_via_key):
                    self.edges.add(_Edge(src, name, cond, label))
                    via = _Via(trigger, cond, label)
                    if via in self.step_sources.get(src, set()):
                        added = True
                    else:
                        self.sources[src].discard(via)
            if not added:
                for src in self.step_sources:
                    self.edges.add(_Edge(src, name, True, None))


def _write_key(chan: str, value: Any) -> tuple[str, Any]:
    """A write as a dict key: falsy values alike, unhashable ones by identity."""
    try:
        key = (chan, value or None)
        hash(key)
    except (TypeError, ValueError):
        return (chan, id(value))
    return key


def _via_key(via: _Via) -> tuple[str, bool, str]:
    return (via.name, via.conditional, "" if via.label is None else str(via.label))


def _run_writer(writer: Any, task: _DryTask, empty: Any) -> None:
    """Run one writer on the stand-in output; a writer that fails writes nothing."""
    try:
        pending = writer(task, empty)
    except GraphBubbleUp:
        raise
    except Exception:
        return
    close = getattr(pending, "close", None)
    if callable(close):  # an un-awaited coroutine from an async writer
        close()


def _assemble(
    graph: Any, deferred: set[str], start_tasks: list[str], walk: _Walk
) -> Graph:
    from stategraph.graph._drawable import Graph
    from stategraph.graph._node_data import BoundCallable, is_runnable

    drawing = Graph()
    before = graph.interrupt_before_nodes or ()
    after = graph.interrupt_after_nodes or ()
    for name, node in graph.nodes.items():
        metadata = dict(node.metadata or {})
        if name in deferred:
            metadata["defer"] = True
        # ``name in "*"`` is a substring test, as in LangGraph.
        if name in before and name in after:
            metadata["__interrupt"] = "before,after"
        elif name in before:
            metadata["__interrupt"] = "before"
        elif name in after:
            metadata["__interrupt"] = "after"
        bound = node.bound
        tools = getattr(bound, "tools_by_name", None)
        if isinstance(tools, Mapping) and tools:
            metadata["__tools"] = list(tools)
        data = bound if is_runnable(bound) else BoundCallable(bound, name)
        drawing.add_node(data, name, metadata=metadata or None)
    if START not in graph.nodes:
        drawing.add_node(None, START)
        for name in start_tasks:
            _add_edge(drawing, START, name)
    for edge in sorted(walk.edges, key=_edge_key):
        label = edge.label if edge.label != edge.target else None
        _add_edge(drawing, edge.source, edge.target, label, edge.conditional)
    targets = {e.target for e in walk.edges if e.target != END}
    termini = targets.difference(e.source for e in walk.edges)
    if termini:
        for src in sorted(termini):
            _add_edge(drawing, src, END)
    elif len(walk.step_sources) == 1 and not any(e.target == END for e in walk.edges):
        for src in walk.step_sources:
            _add_edge(drawing, src, END, conditional=True)
    return drawing


def _edge_key(edge: _Edge) -> tuple[str, str, bool, str]:
    return (edge.source, edge.target, edge.conditional, str(edge.label))


def _add_edge(
    drawing: Graph,
    source: str,
    target: str,
    label: Any = None,
    conditional: bool = False,
) -> None:
    if any(e.source == source and e.target == target for e in drawing.edges):
        return
    if target == END and END not in drawing.nodes:
        drawing.add_node(None, END)
    drawing.add_edge(drawing.nodes[source], drawing.nodes[target], label, conditional)


class DrawMixin:
    """``get_graph``/``aget_graph`` of a ``Pregel`` (the dry-run drawing)."""

    if TYPE_CHECKING:

        def get_subgraphs(
            self, *, namespace: str | None = None, recurse: bool = False
        ) -> Iterator[tuple[str, Any]]: ...

    def get_graph(self, config: Any = None, *, xray: int | bool = False) -> Graph:
        """Return a drawable ``Graph`` of this graph (mermaid, ascii, json).

        Args:
            config: Unused; kept for signature compatibility.
            xray: Draw subgraphs inline: ``True`` at every depth, an ``int``
                for that many levels.

        Returns:
            The drawing.
        """
        from stategraph.graph._draw import as_graph

        subgraphs: dict[str, Graph] = {}
        if xray:
            deeper = xray if isinstance(xray, bool) or xray <= 0 else xray - 1
            subgraphs = {
                name: as_graph(sub.get_graph(config, xray=deeper))
                for name, sub in self.get_subgraphs()
            }
        return draw_pregel(self, subgraphs)

    async def aget_graph(
        self, config: Any = None, *, xray: int | bool = False
    ) -> Graph:
        """Async version of ``get_graph``."""
        return self.get_graph(config, xray=xray)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Show the graph in Jupyter as a picture."""
        return {
            "text/plain": repr(self),
            "image/png": self.get_graph().draw_mermaid_png(),
        }
