"""Mermaid flowchart text for a drawable graph.

The output matches LangChain's ``Graph.draw_mermaid`` character for character:
a YAML frontmatter header, one line per node (first node and last node drawn
as stadiums), one line per edge, nodes whose id contains ``:`` grouped into
``subgraph`` blocks by prefix, and ``classDef`` style lines.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from stategraph.graph._yaml import dump_yaml

if TYPE_CHECKING:
    from stategraph.graph._node_data import Edge, Node

__all__ = [
    "CurveStyle",
    "MermaidDrawMethod",
    "NodeStyles",
    "mermaid_png",
    "render_mermaid",
]


class CurveStyle(Enum):
    """How Mermaid draws the lines of edges."""

    BASIS = "basis"
    BUMP_X = "bumpX"
    BUMP_Y = "bumpY"
    CARDINAL = "cardinal"
    CATMULL_ROM = "catmullRom"
    LINEAR = "linear"
    MONOTONE_X = "monotoneX"
    MONOTONE_Y = "monotoneY"
    NATURAL = "natural"
    STEP = "step"
    STEP_AFTER = "stepAfter"
    STEP_BEFORE = "stepBefore"


@dataclass
class NodeStyles:
    """CSS styles of the ``default``, ``first`` and ``last`` node classes.

    Args:
        default: Style of ordinary nodes.
        first: Style of the graph's single entry node.
        last: Style of the graph's single exit node.
    """

    default: str = "fill:#f2f0ff,line-height:1.2"
    first: str = "fill-opacity:0"
    last: str = "fill:#bfb6fc"


class MermaidDrawMethod(Enum):
    """Where a Mermaid diagram is turned into an image."""

    PYPPETEER = "pyppeteer"
    API = "api"


_MARKDOWN_SPECIAL = ("*", "_", "`")
_SAFE_ID_CHARS = frozenset(string.ascii_letters + string.digits + "_-")
_LABEL_ENTITIES = (
    ("[", "#91;"),
    ("]", "#93;"),
    ("(", "#40;"),
    (")", "#41;"),
    ("{", "#123;"),
    ("}", "#125;"),
    ('"', "#quot;"),
    ("<", "#60;"),
    (">", "#62;"),
    ("|", "#124;"),
)


def safe_id(label: str) -> str:
    """Spell a node id with Mermaid-safe characters, escaping others as hex."""
    return "".join(ch if ch in _SAFE_ID_CHARS else f"\\{ord(ch):x}" for ch in label)


def _escape_label(text: str) -> str:
    text = text.replace("#", "#35;")
    for char, entity in _LABEL_ENTITIES:
        text = text.replace(char, entity)
    return text


def _metadata_text(value: Any) -> str | None:
    scalars = (str, int, float, bool)
    if isinstance(value, scalars):
        return str(value)
    if isinstance(value, (list, tuple, set)) and all(
        isinstance(item, scalars) for item in value
    ):
        items = [str(item) for item in value]
        return ", ".join(sorted(items) if isinstance(value, set) else items)
    return None


def _node_label(node: Node) -> str:
    name = node.name.split(":")[-1]
    label = name
    if name.startswith(_MARKDOWN_SPECIAL) and name.endswith(_MARKDOWN_SPECIAL):
        label = f"<p>{name}</p>"
    lines = [
        _escape_label(f"{key} = {text}")
        for key, value in (node.metadata or {}).items()
        if (text := _metadata_text(value)) is not None
    ]
    if lines:
        label += "<hr/><small><em>" + "\n".join(lines) + "</em></small>"
    return label


def _edge_line(edge: Edge, wrap_words: int) -> str:
    source, target = safe_id(edge.source), safe_id(edge.target)
    if edge.data is None:
        arrow = " -.-> " if edge.conditional else " --> "
        return f"\t{source}{arrow}{target};\n"
    text: Any = edge.data
    words = str(text).split()
    if len(words) > wrap_words:
        text = "&nbsp<br>&nbsp".join(
            " ".join(words[i : i + wrap_words])
            for i in range(0, len(words), wrap_words)
        )
    if edge.conditional:
        return f"\t{source} -. &nbsp;{text}&nbsp; .-> {target};\n"
    return f"\t{source} -- &nbsp;{text}&nbsp; --> {target};\n"


def _header(curve: str, frontmatter: dict[str, Any] | None) -> str:
    given = frontmatter or {}
    config = given.get("config", {})
    flowchart = {**config.get("flowchart", {}), "curve": curve}
    merged = {**given, "config": {**config, "flowchart": flowchart}}
    return "---\n" + dump_yaml(merged) + "---\ngraph TD;\n"


def _shared_prefix(edge: Edge) -> str:
    """Join the ``:``-separated id parts that agree position by position."""
    pairs = zip(edge.source.split(":"), edge.target.split(":"), strict=False)
    return ":".join(src for src, tgt in pairs if src == tgt)


class _Writer:
    """Accumulates the Mermaid text; one instance per ``render_mermaid`` call."""

    def __init__(
        self, nodes: dict[str, Node], edges: list[Edge], shapes: dict[str, str]
    ) -> None:
        self.out: list[str] = []
        self.shapes = shapes
        self.seen: set[str] = set()
        self.styled = True
        self.wrap = 9
        self.top_nodes: dict[str, Node] = {}
        self.nested_nodes: dict[str, dict[str, Node]] = {}
        for key, node in nodes.items():
            if ":" in key:
                prefix = key.rsplit(":", 1)[0]
                self.nested_nodes.setdefault(prefix, {})[key] = node
            else:
                self.top_nodes[key] = node
        self.groups: dict[str, list[Edge]] = {}
        for edge in edges:
            self.groups.setdefault(_shared_prefix(edge), []).append(edge)

    def node(self, key: str, node: Node) -> None:
        shape = self.shapes.get(key, "{0}({1})")
        self.out.append("\t" + shape.format(safe_id(key), _node_label(node)) + "\n")

    def group(self, edges: list[Edge], prefix: str) -> None:
        self_loop = len(edges) == 1 and edges[0].source == edges[0].target
        boxed = bool(prefix) and not self_loop
        if boxed:
            name = prefix.rsplit(":", 1)[-1]
            if name in self.seen:
                raise ValueError(
                    f"Found duplicate subgraph '{name}' -- this likely means that "
                    "you're reusing a subgraph node with the same name. "
                    "Please adjust your graph to have subgraph nodes with unique "
                    "names."
                )
            self.seen.add(name)
            self.out.append(f"\tsubgraph {name}\n")
            if self.styled:
                for key, node in self.nested_nodes.get(prefix, {}).items():
                    self.node(key, node)
        for edge in edges:
            self.out.append(_edge_line(edge, self.wrap))
        for nested, nested_edges in self.groups.items():
            if nested == prefix or not nested.startswith(prefix + ":"):
                continue
            if ":" not in nested[len(prefix) + 1 :]:
                self.group(nested_edges, nested)
        if boxed:
            self.out.append("\tend\n")

    def empty_subgraphs(self) -> None:
        for prefix, nodes in self.nested_nodes.items():
            if ":" in prefix or prefix in self.seen:
                continue
            self.out.append(f"\tsubgraph {prefix}\n")
            for key, node in nodes.items():
                self.node(key, node)
            self.out.append("\tend\n")
            self.seen.add(prefix)


def render_mermaid(
    nodes: dict[str, Node],
    edges: list[Edge],
    *,
    first_node: str | None,
    last_node: str | None,
    with_styles: bool,
    curve: str,
    node_styles: Any,
    wrap_label_n_words: int,
    frontmatter_config: dict[str, Any] | None,
) -> str:
    """Write the Mermaid flowchart of a graph whose ids are already readable.

    Args:
        nodes: Nodes by id.
        edges: Edges, in drawing order.
        first_node: Id drawn with the ``first`` class, if any.
        last_node: Id drawn with the ``last`` class, if any.
        with_styles: Whether to write the header, node lines and class styles.
        curve: Mermaid curve name for the edges.
        node_styles: A dataclass of class styles (``NodeStyles`` by default).
        wrap_label_n_words: Break edge labels every this many words.
        frontmatter_config: Extra Mermaid configuration for the header.

    Returns:
        The Mermaid text.
    """
    shapes: dict[str, str] = {}
    if first_node is not None:
        shapes[first_node] = "{0}([{1}]):::first"
    if last_node is not None:
        shapes[last_node] = "{0}([{1}]):::last"
    writer = _Writer(nodes, edges, shapes)
    writer.styled, writer.wrap = with_styles, wrap_label_n_words
    if with_styles:
        writer.out.append(_header(curve, frontmatter_config))
        for key, node in writer.top_nodes.items():
            writer.node(key, node)
    else:
        writer.out.append("graph TD;\n")
    writer.group(writer.groups.get("", []), "")
    for prefix, group_edges in writer.groups.items():
        if prefix and ":" not in prefix:
            writer.group(group_edges, prefix)
            writer.seen.add(prefix)
    if with_styles:
        writer.empty_subgraphs()
        styles = asdict(node_styles or NodeStyles())
        writer.out.extend(f"\tclassDef {name} {css}\n" for name, css in styles.items())
    return "".join(writer.out)


def mermaid_png(
    syntax: str, *, draw_method: MermaidDrawMethod, **options: Any
) -> bytes:
    """Render Mermaid text to PNG bytes with ``langchain-core``'s renderer.

    Args:
        syntax: The Mermaid text.
        draw_method: ``API`` (the mermaid.ink web service) or ``PYPPETEER``
            (a local headless browser).
        **options: The remaining ``draw_mermaid_png`` options, passed through.

    Returns:
        The PNG image.

    Raises:
        ImportError: When ``langchain-core`` is not installed.
    """
    try:
        from langchain_core.runnables import graph, graph_mermaid
    except ImportError as exc:
        raise ImportError(
            "draw_mermaid_png() renders through langchain-core: install it with "
            "`pip install stategraph[langchain]` (or `pip install langchain-core`), "
            "or call draw_mermaid() and render the text with any Mermaid tool."
        ) from exc
    method = graph.MermaidDrawMethod(draw_method.value)
    return graph_mermaid.draw_mermaid_png(
        mermaid_syntax=syntax, draw_method=method, **options
    )
