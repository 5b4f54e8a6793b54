"""A drawable graph: nodes, edges, and renderers to Mermaid, ASCII and JSON.

This mirrors the ``Graph`` that LangChain's runnables return from
``get_graph()`` (same fields, methods and output text), so code written for a
LangGraph graph drawing works unchanged, but it does not need
``langchain-core``. ASCII drawing uses the optional ``grandalf`` package;
rendering a PNG delegates to ``langchain-core`` when it is installed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from stategraph.graph._mermaid import (
    CurveStyle,
    MermaidDrawMethod,
    NodeStyles,
    mermaid_png,
    render_mermaid,
)
from stategraph.graph._node_data import (
    BoundCallable,
    Edge,
    Node,
    is_uuid,
    node_data_json,
    node_data_str,
)
from stategraph.pregel._lc_register import register_as_runnable

# A drawing's function nodes are runnables to LangChain, as LangGraph's
# ``RunnableCallable`` ones are: ``(prompt | graph).get_graph()`` keeps them.
register_as_runnable(BoundCallable)

__all__ = [
    "BoundCallable",
    "CurveStyle",
    "Edge",
    "Graph",
    "MermaidDrawMethod",
    "Node",
    "NodeStyles",
]


def _first(graph: Graph, exclude: Sequence[str] = ()) -> Node | None:
    targets = {e.target for e in graph.edges if e.source not in exclude}
    found = [
        n for n in graph.nodes.values() if n.id not in exclude and n.id not in targets
    ]
    return found[0] if len(found) == 1 else None


def _last(graph: Graph, exclude: Sequence[str] = ()) -> Node | None:
    sources = {e.source for e in graph.edges if e.target not in exclude}
    found = [
        n for n in graph.nodes.values() if n.id not in exclude and n.id not in sources
    ]
    return found[0] if len(found) == 1 else None


@dataclass
class Graph:
    """A graph of nodes and edges that can be drawn.

    Args:
        nodes: Nodes by id, in drawing order.
        edges: Edges, in drawing order.
    """

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.nodes)

    def to_json(self, *, with_schemas: bool = False) -> dict[str, list[dict[str, Any]]]:
        """Return nodes and edges as JSON-ready dicts.

        Generated (UUID) node ids are replaced by the node's position.

        Args:
            with_schemas: Give the JSON schema of nodes whose payload is a
                pydantic model class, instead of its name.

        Returns:
            ``{"nodes": [...], "edges": [...]}``.
        """
        stable: dict[str, Any] = {
            node.id: i if is_uuid(node.id) else node.id
            for i, node in enumerate(self.nodes.values())
        }
        edges: list[dict[str, Any]] = [
            {
                "source": stable[e.source],
                "target": stable[e.target],
                **({} if e.data is None else {"data": e.data}),
                **({"conditional": True} if e.conditional else {}),
            }
            for e in self.edges
        ]
        nodes = [
            {"id": stable[node.id], **node_data_json(node, with_schemas=with_schemas)}
            for node in self.nodes.values()
        ]
        return {"nodes": nodes, "edges": edges}

    def next_id(self) -> str:
        """Return a fresh unique node id."""
        return uuid4().hex

    def add_node(
        self,
        data: Any,
        id: str | None = None,
        *,
        metadata: dict[str, Any] | None = None,
    ) -> Node:
        """Add a node and return it.

        Args:
            data: The node's payload (a runnable, a schema class, or ``None``).
            id: The node's id; a fresh one when omitted.
            metadata: Metadata shown next to the node's name.

        Returns:
            The new node.

        Raises:
            ValueError: If a node with this id exists.
        """
        if id is not None and id in self.nodes:
            raise ValueError(f"Node with id {id} already exists")
        node_id = id or self.next_id()
        node = Node(node_id, node_data_str(node_id, data), data, metadata)
        self.nodes[node_id] = node
        return node

    def remove_node(self, node: Node) -> None:
        """Remove a node and every edge touching it."""
        self.nodes.pop(node.id)
        self.edges = [e for e in self.edges if node.id not in (e.source, e.target)]

    def add_edge(
        self,
        source: Node,
        target: Node,
        data: Any = None,
        conditional: bool = False,
    ) -> Edge:
        """Add an edge between two nodes of this graph and return it.

        Args:
            source: Node the edge leaves.
            target: Node the edge enters.
            data: The edge's label.
            conditional: Whether the edge is taken only sometimes.

        Returns:
            The new edge.

        Raises:
            ValueError: If either node is not in the graph.
        """
        if source.id not in self.nodes:
            raise ValueError(f"Source node {source.id} not in graph")
        if target.id not in self.nodes:
            raise ValueError(f"Target node {target.id} not in graph")
        edge = Edge(source.id, target.id, data, conditional)
        self.edges.append(edge)
        return edge

    def extend(
        self, graph: Any, *, prefix: str = ""
    ) -> tuple[Node | None, Node | None]:
        """Copy in the nodes and edges of another graph, ids prefixed ``prefix:``.

        No prefix is used when every node id of ``graph`` is generated.

        Args:
            graph: The graph to copy from (this class or LangChain's).
            prefix: Prefix for the copied ids.

        Returns:
            The other graph's first and last node, with prefixed ids.
        """
        other = _coerce(graph)
        if all(is_uuid(node_id) for node_id in other.nodes):
            prefix = ""

        def renamed(node_id: str) -> str:
            return f"{prefix}:{node_id}" if prefix else node_id

        for key, node in other.nodes.items():
            self.nodes[renamed(key)] = node.copy(id=renamed(key))
        self.edges.extend(
            e.copy(source=renamed(e.source), target=renamed(e.target))
            for e in other.edges
        )
        first, last = other.first_node(), other.last_node()
        return (
            first.copy(id=renamed(first.id)) if first else None,
            last.copy(id=renamed(last.id)) if last else None,
        )

    def reid(self) -> Graph:
        """Return a copy whose generated ids are replaced by unique names."""
        ids_by_name: defaultdict[str, list[str]] = defaultdict(list)
        for node in self.nodes.values():
            ids_by_name[node.name].append(node.id)
        labels = {
            node_id: name if len(ids) == 1 else f"{name}_{i + 1}"
            for name, ids in ids_by_name.items()
            for i, node_id in enumerate(ids)
        }

        def readable(node_id: str) -> str:
            return labels[node_id] if is_uuid(node_id) else node_id

        return Graph(
            nodes={
                readable(k): node.copy(id=readable(k)) for k, node in self.nodes.items()
            },
            edges=[
                e.copy(source=readable(e.source), target=readable(e.target))
                for e in self.edges
            ],
        )

    def first_node(self) -> Node | None:
        """Return the only node no edge enters, or ``None`` if not exactly one."""
        return _first(self)

    def last_node(self) -> Node | None:
        """Return the only node no edge leaves, or ``None`` if not exactly one."""
        return _last(self)

    def trim_first_node(self) -> None:
        """Drop the first node if it has one edge out and is not the only start."""
        first = self.first_node()
        if (
            first
            and _first(self, exclude=[first.id])
            and len({e for e in self.edges if e.source == first.id}) == 1
        ):
            self.remove_node(first)

    def trim_last_node(self) -> None:
        """Drop the last node if it has one edge in and is not the only end."""
        last = self.last_node()
        if (
            last
            and _last(self, exclude=[last.id])
            and len({e for e in self.edges if e.target == last.id}) == 1
        ):
            self.remove_node(last)

    def draw_ascii(self) -> str:
        """Draw the graph as ASCII art (needs the ``grandalf`` package).

        Returns:
            The drawing.
        """
        from stategraph.graph._ascii import render_ascii

        return render_ascii({n.id: n.name for n in self.nodes.values()}, self.edges)

    def print_ascii(self) -> None:
        """Print ``draw_ascii()``."""
        print(self.draw_ascii())

    def draw_mermaid(
        self,
        *,
        with_styles: bool = True,
        curve_style: CurveStyle = CurveStyle.LINEAR,
        node_colors: NodeStyles | None = None,
        wrap_label_n_words: int = 9,
        frontmatter_config: dict[str, Any] | None = None,
    ) -> str:
        """Write the graph as a Mermaid flowchart.

        Args:
            with_styles: Include the header, node shapes and class styles.
            curve_style: How edge lines are drawn.
            node_colors: Styles of the default, first and last nodes.
            wrap_label_n_words: Break edge labels every this many words.
            frontmatter_config: Mermaid configuration merged into the YAML
                header, e.g. ``{"config": {"theme": "neutral"}}``.

        Returns:
            The Mermaid text.
        """
        graph = self.reid()
        first, last = graph.first_node(), graph.last_node()
        return render_mermaid(
            graph.nodes,
            graph.edges,
            first_node=first.id if first else None,
            last_node=last.id if last else None,
            with_styles=with_styles,
            curve=str(curve_style.value),
            node_styles=node_colors,
            wrap_label_n_words=wrap_label_n_words,
            frontmatter_config=frontmatter_config,
        )

    def draw_mermaid_png(
        self,
        *,
        curve_style: CurveStyle = CurveStyle.LINEAR,
        node_colors: NodeStyles | None = None,
        wrap_label_n_words: int = 9,
        output_file_path: str | None = None,
        draw_method: MermaidDrawMethod = MermaidDrawMethod.API,
        background_color: str = "white",
        padding: int = 10,
        max_retries: int = 1,
        retry_delay: float = 1.0,
        frontmatter_config: dict[str, Any] | None = None,
        base_url: str | None = None,
        proxies: dict[str, str] | None = None,
    ) -> bytes:
        """Render the Mermaid flowchart to PNG bytes.

        Rendering is done by ``langchain-core`` (``pip install
        stategraph[langchain]``): by default through the mermaid.ink web API,
        or locally in a headless browser with ``MermaidDrawMethod.PYPPETEER``.

        Args:
            curve_style: How edge lines are drawn.
            node_colors: Styles of the default, first and last nodes.
            wrap_label_n_words: Break edge labels every this many words.
            output_file_path: Also write the image to this file.
            draw_method: ``API`` (mermaid.ink) or ``PYPPETEER`` (local browser).
            background_color: Image background.
            padding: Padding around the diagram (``PYPPETEER``).
            max_retries: Retries on server errors (``API``).
            retry_delay: First delay between retries, in seconds (``API``).
            frontmatter_config: Mermaid configuration for the YAML header.
            base_url: Mermaid server to use instead of mermaid.ink (``API``).
            proxies: HTTP(S) proxies for the API request.

        Returns:
            The PNG image.

        Raises:
            ImportError: When ``langchain-core`` is not installed.
        """
        syntax = self.draw_mermaid(
            curve_style=curve_style,
            node_colors=node_colors,
            wrap_label_n_words=wrap_label_n_words,
            frontmatter_config=frontmatter_config,
        )
        return mermaid_png(
            syntax,
            output_file_path=output_file_path,
            draw_method=draw_method,
            background_color=background_color,
            padding=padding,
            max_retries=max_retries,
            retry_delay=retry_delay,
            base_url=base_url,
            proxies=proxies,
        )


def _coerce(graph: Any) -> Graph:
    """Accept LangChain's ``Graph`` (or any look-alike) where ours is expected."""
    if isinstance(graph, Graph):
        return graph
    nodes = {key: Node(*node) for key, node in graph.nodes.items()}
    edges = [Edge(e.source, e.target, e.data, e.conditional) for e in graph.edges]
    return Graph(nodes, edges)
