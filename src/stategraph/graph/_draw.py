"""``get_graph()`` for compiled state graphs: the drawable graph of a builder.

Produces the same nodes, edges, labels, metadata and subgraph expansion as
LangGraph's ``CompiledStateGraph.get_graph()``:

- nodes in builder order after ``__start__``; ``__end__`` last, added with the
  first edge that reaches it;
- edges found by a dry run of the graph's triggers (``_draw_walk``), sorted;
  conditional edges come from ``add_conditional_edges`` path maps (or a
  ``Literal`` return annotation) and from ``Command`` destinations; a node
  whose routes are unknown links conditionally to whatever runs next;
- metadata: the node's own, plus ``defer``, ``__interrupt`` and ``__tools``;
- with ``xray``, subgraph nodes replaced by their own drawings, ids prefixed
  ``<node>:``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stategraph._constants import END, START
from stategraph.graph._draw_walk import (
    DrawnEdge,
    NodeWrites,
    TriggerChannel,
    make_channel,
    walk_triggers,
)
from stategraph.graph._drawable import Graph, Node
from stategraph.graph._node_data import (
    BoundCallable,
    is_runnable,
    unwrap,
)

__all__ = ["draw_state_graph"]


def _branch_to(node: str) -> str:
    return f"branch:to:{node}"


def _target(node: str) -> str:
    return END if node == END else _branch_to(node)


def draw_state_graph(compiled: Any, *, xray: bool | int = False) -> Graph:
    """Build the drawable graph of a compiled ``StateGraph``.

    Args:
        compiled: The compiled graph; its ``builder`` describes the nodes and
            edges, and ``interrupt_before_nodes``/``interrupt_after_nodes``
            (when present) mark interrupt metadata.
        xray: Draw subgraphs inline: ``True`` at every depth, an ``int`` for
            that many levels.

    Returns:
        The drawable graph.
    """
    builder = compiled.builder
    subgraphs = _subgraph_drawings(builder, xray) if xray else {}
    procs, channels = _describe(builder)
    walk = walk_triggers(procs, channels)
    graph = Graph()
    before = getattr(compiled, "interrupt_before_nodes", None) or ()
    after = getattr(compiled, "interrupt_after_nodes", None) or ()
    start_meta = _meta(START, None, None, False, before, after)
    graph.add_node(BoundCallable(None, START), START, metadata=start_meta)
    for name, spec in builder.nodes.items():
        runnable = spec.runnable
        data = runnable if is_runnable(runnable) else BoundCallable(runnable, name)
        metadata = _meta(name, spec.metadata, data, bool(spec.defer), before, after)
        graph.add_node(data, name, metadata=metadata)
    for edge in sorted(walk.edges, key=_edge_order):
        label = edge.label if edge.label != edge.target else None
        _add_edge(graph, edge.source, edge.target, label, edge.conditional)
    _add_end_edges(graph, walk.edges, walk.last_sources)
    for name, drawing in subgraphs.items():
        inline_subgraph(graph, name, drawing)
    return graph


def _edge_order(edge: DrawnEdge) -> tuple[str, str, bool, bool, str]:
    label = edge.label
    return (edge.source, edge.target, edge.conditional, label is not None, str(label))


def _meta(
    name: str,
    own: dict[str, Any] | None,
    data: Any,
    defer: bool,
    before: Sequence[str] | str,
    after: Sequence[str] | str,
) -> dict[str, Any] | None:
    metadata = dict(own or {})
    if defer:
        metadata["defer"] = True
    # ``name in "*"`` is a substring test, as in LangGraph: "*" marks no node.
    if name in before and name in after:
        metadata["__interrupt"] = "before,after"
    elif name in before:
        metadata["__interrupt"] = "before"
    elif name in after:
        metadata["__interrupt"] = "after"
    tools = getattr(data, "tools_by_name", None)  # a tool-calling node
    if isinstance(tools, Mapping) and tools:
        metadata["__tools"] = list(tools)
    return metadata or None


def _describe(
    builder: Any,
) -> tuple[dict[str, NodeWrites], dict[str, TriggerChannel]]:
    """Trigger channels and writes of every node, as the compiler wires them."""
    procs: dict[str, NodeWrites] = {START: NodeWrites(triggers=[START])}
    channels = {START: make_channel(deferred=False)}
    for name, spec in builder.nodes.items():
        procs[name] = NodeWrites(triggers=[_branch_to(name)])
        channels[_branch_to(name)] = make_channel(deferred=bool(spec.defer))
        ends = spec.ends
        if isinstance(ends, dict):
            procs[name].static.extend((_target(k), label) for k, label in ends.items())
        elif ends:
            procs[name].static.extend((_target(k), None) for k in ends)
    for start, end in builder.edges:
        if end != END:
            procs[start].writes.append((_branch_to(end), None))
    for starts, end in builder.waiting_edges:
        if end == END:
            continue
        join = f"join:{'+'.join(starts)}:{end}"
        deferred = bool(builder.nodes[end].defer)
        channels[join] = make_channel(deferred=deferred, names=starts)
        procs[end].triggers.append(join)
        for start in starts:
            procs[start].writes.append((join, start))
    for start, branches in builder.branches.items():
        for branch in branches.values():
            if branch.ends:
                procs[start].static.extend(
                    (_target(dest), str(key)) for key, dest in branch.ends.items()
                )
    return procs, channels


def _add_edge(
    graph: Graph, source: str, target: str, label: Any = None, conditional: bool = False
) -> None:
    """Add an edge unless one joins the same nodes; create ``__end__`` on demand."""
    if any(e.source == source and e.target == target for e in graph.edges):
        return
    if target == END and END not in graph.nodes:
        graph.add_node(None, END)
    graph.add_edge(graph.nodes[source], graph.nodes[target], label, conditional)


def _add_end_edges(graph: Graph, edges: set[DrawnEdge], last: list[str]) -> None:
    """Link dead ends to ``__end__``; a lone last node gets a conditional link."""
    targets = {e.target for e in edges if e.target != END}
    termini = targets.difference(e.source for e in edges)
    if termini:
        for source in sorted(termini):
            _add_edge(graph, source, END)
    elif len(last) == 1 and not any(e.target == END for e in edges):
        _add_edge(graph, last[0], END, conditional=True)


def inline_subgraph(graph: Graph, name: str, drawing: Graph) -> None:
    """Replace node ``name`` by the nodes and edges of its subgraph drawing."""
    if not (
        len(drawing.nodes) > 1
        and name in graph.nodes
        and drawing.first_node()
        and drawing.last_node()
    ):
        return
    drawing.trim_first_node()
    drawing.trim_last_node()
    graph.nodes.pop(name)
    first, last = graph.extend(drawing, prefix=name)
    for index, edge in enumerate(graph.edges):
        if edge.source == name and last is not None:
            edge = edge.copy(source=last.id)
        if edge.target == name and first is not None:
            edge = edge.copy(target=first.id)
        graph.edges[index] = edge


def _subgraph_drawings(builder: Any, xray: bool | int) -> dict[str, Graph]:
    """Draw each subgraph node's graph, one ``xray`` level deeper."""
    deeper = xray if isinstance(xray, bool) or xray <= 0 else xray - 1
    drawings: dict[str, Graph] = {}
    for name, spec in builder.nodes.items():
        subgraph = find_subgraph(unwrap(spec.runnable))
        if subgraph is not None:
            drawn = subgraph.get_graph(xray=deeper)
            drawings[name] = drawn if isinstance(drawn, Graph) else as_graph(drawn)
    return drawings


def as_graph(drawn: Any) -> Graph:
    """Our ``Graph`` of a drawing (LangChain's, from a LangGraph subgraph)."""
    if isinstance(drawn, Graph):
        return drawn
    nodes = {key: Node(*node) for key, node in drawn.nodes.items()}
    return Graph(nodes, list(drawn.edges))


def find_subgraph(node: Any) -> Any | None:
    """The compiled graph a node runs: the node itself, or one its code uses.

    Graphs compiled with ``checkpointer=False`` are not subgraphs.
    """
    from stategraph.pregel._utils import find_subgraph_pregel

    return find_subgraph_pregel(node)
