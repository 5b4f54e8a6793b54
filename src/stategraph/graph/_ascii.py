"""ASCII-art drawing of a graph, laid out by ``grandalf``.

The layout (layers, order inside a layer, coordinates, edge routes) comes from
grandalf's Sugiyama layout, configured exactly as LangChain configures it, so
the text matches LangChain's ``Graph.draw_ascii``. ``grandalf`` is an optional
dependency, imported on first use.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stategraph.graph._node_data import Edge

__all__ = ["render_ascii"]

_BOX_HEIGHT = 3  # top border, text line, bottom border


class _BoxView:
    """Size of a vertex box, read by the layout; ``xy`` is set by it."""

    def __init__(self, label: str) -> None:
        self.w = len(label) + 2
        self.h = _BOX_HEIGHT
        self.xy: tuple[float, float] = (0.0, 0.0)


class _RouteView:
    """Receives the polyline the layout routes an edge along."""

    def __init__(self) -> None:
        self.pts: list[tuple[float, float]] = []

    def setpath(self, pts: list[tuple[float, float]]) -> None:
        self.pts = pts


class _Canvas:
    """A grid of characters, indexed ``[row][column]``."""

    def __init__(self, cols: int, rows: int) -> None:
        if cols <= 1 or rows <= 1:
            raise ValueError("Canvas dimensions should be > 1")
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]

    def put(self, x: int, y: int, char: str) -> None:
        if not (0 <= x < self.cols and 0 <= y < self.rows):
            raise ValueError(f"Point ({x}, {y}) is outside the canvas")
        self.grid[y][x] = char

    def line(self, x0: int, y0: int, x1: int, y1: int, char: str) -> None:
        """Rasterize a segment, stepping along its longer axis."""
        if x0 > x1:
            x0, y0, x1, y1 = x1, y1, x0, y0
        dx, dy = x1 - x0, y1 - y0
        if dx == 0 and dy == 0:
            self.put(x0, y0, char)
        elif abs(dx) >= abs(dy):
            for x in range(x0, x1 + 1):
                self.put(x, y0 + round((x - x0) * dy / float(dx)), char)
        elif y0 < y1:
            for y in range(y0, y1 + 1):
                self.put(x0 + round((y - y0) * dx / float(dy)), y, char)
        else:
            for y in range(y1, y0 + 1):
                self.put(x1 + round((y - y1) * dx / float(dy)), y, char)

    def box(self, x0: int, y0: int, width: int, height: int, text: str) -> None:
        if width <= 1 or height <= 1:
            raise ValueError("Box dimensions should be > 1")
        right, bottom = x0 + width - 1, y0 + height - 1
        for x in range(x0, right):
            self.put(x, y0, "-")
            self.put(x, bottom, "-")
        for y in range(y0, bottom):
            self.put(x0, y, "|")
            self.put(right, y, "|")
        for x, y in ((x0, y0), (right, y0), (x0, bottom), (right, bottom)):
            self.put(x, y, "+")
        for offset, char in enumerate(text):
            self.put(x0 + 1 + offset, y0 + 1, char)

    def text(self) -> str:
        return os.linesep.join("".join(row) for row in self.grid)


def _layout(labels: Mapping[str, str], edges: Sequence[Edge]) -> Any:
    try:
        from grandalf.graphs import (  # type: ignore[import-untyped]
            Edge as GEdge,
            Graph as GGraph,
            Vertex,
        )
        from grandalf.layouts import SugiyamaLayout  # type: ignore[import-untyped]
        from grandalf.routing import route_with_lines  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ImportError(
            "Install grandalf to draw graphs: `pip install grandalf`."
        ) from exc
    vertices = {key: Vertex(f" {label} ") for key, label in labels.items()}
    g_edges = [
        GEdge(vertices[e.source], vertices[e.target], data=e.conditional) for e in edges
    ]
    for vertex in vertices.values():
        vertex.view = _BoxView(vertex.data)
    narrowest = min(v.view.w for v in vertices.values())
    for g_edge in g_edges:
        g_edge.view = _RouteView()
    component = GGraph(vertices.values(), g_edges).C[0]
    layout = SugiyamaLayout(component)
    roots = [v for v in component.sV if len(v.e_in()) == 0]
    layout.init_all(roots=roots, optimize=True)
    layout.yspace = _BOX_HEIGHT
    layout.xspace = narrowest
    layout.route_edge = route_with_lines
    layout.draw()
    return layout


def render_ascii(labels: Mapping[str, str], edges: Sequence[Edge]) -> str:
    """Draw boxes for the vertices and ``*``/``.`` lines for the edges.

    Conditional edges are dotted. Only the connected component holding the
    first vertex is drawn, as in LangChain.

    Args:
        labels: Vertex label by node id, in node order.
        edges: Edges between those ids.

    Returns:
        The drawing, lines joined by ``os.linesep``.

    Raises:
        ImportError: When ``grandalf`` is not installed.
        ValueError: When the layout yields coordinates that cannot be drawn.
    """
    layout = _layout(labels, edges)
    xs: list[float] = []
    ys: list[float] = []
    for vertex in layout.g.sV:
        x, y = vertex.view.xy
        xs += [x - vertex.view.w / 2.0, x + vertex.view.w / 2.0]
        ys += [y, y + vertex.view.h]
    for g_edge in layout.g.sE:
        for x, y in g_edge.view.pts:
            xs.append(x)
            ys.append(y)
    min_x, min_y = min(xs), min(ys)
    canvas = _Canvas(
        math.ceil(math.ceil(max(xs)) - math.floor(min_x)) + 1,
        round(max(ys) - min_y),
    )
    for g_edge in layout.g.sE:
        _draw_route(canvas, g_edge.view.pts, min_x, min_y, "." if g_edge.data else "*")
    for vertex in layout.g.sV:
        left = vertex.view.xy[0] - vertex.view.w / 2.0
        canvas.box(
            round(left - min_x),
            round(vertex.view.xy[1] - min_y),
            vertex.view.w,
            vertex.view.h,
            vertex.data,
        )
    return canvas.text()


def _draw_route(
    canvas: _Canvas,
    pts: Sequence[tuple[float, float]],
    min_x: float,
    min_y: float,
    char: str,
) -> None:
    if len(pts) <= 1:
        raise ValueError("Not enough points to draw an edge")
    for (ax, ay), (bx, by) in itertools.pairwise(pts):
        coords = (
            round(ax - min_x),
            round(ay - min_y),
            round(bx - min_x),
            round(by - min_y),
        )
        if min(coords) < 0:
            raise ValueError(f"Invalid edge coordinates: {coords}")
        canvas.line(*coords, char)
