"""Differential tests: stategraph's drawable graphs against LangGraph's."""

from __future__ import annotations

import operator
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pydantic
import pytest
from langchain_core.runnables.graph import Graph as LCGraph
from langgraph.graph import StateGraph as LGStateGraph
from langgraph.types import Command as LGCommand, Send as LGSend
from typing_extensions import TypedDict

from stategraph.graph import END, START, StateGraph as SGStateGraph
from stategraph.graph._drawable import BoundCallable, Graph, Node
from stategraph.types import Command as SGCommand, Send as SGSend

try:
    import grandalf  # noqa: F401

    HAS_GRANDALF = True
except ImportError:  # pragma: no cover - optional dependency
    HAS_GRANDALF = False


class State(TypedDict):
    items: Annotated[list[str], operator.add]


@dataclass(frozen=True)
class Lib:
    """One library's builder and control types, so a shape builds in both."""

    name: str
    state_graph: Any
    command: Any
    send: Any


LANGGRAPH = Lib("langgraph", LGStateGraph, LGCommand, LGSend)
STATEGRAPH = Lib("stategraph", SGStateGraph, SGCommand, SGSend)


def noop(state: Any) -> dict[str, Any]:
    return {}


def route_literal(state: Any) -> Literal["b", "c", "__end__"]:
    return "b"


def route_any(state: Any) -> str:
    return "b"


def shape_linear(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("a", noop)
    g.add_node("b", noop)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", END)
    return g.compile()


def shape_sequence_no_end(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_sequence([("one", noop), ("two", noop), ("three", noop)])
    g.set_entry_point("one")
    return g.compile()


def shape_branch_path_map(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, noop)
    g.add_edge(START, "a")
    g.add_conditional_edges(
        "a", route_any, {"go b": "b", "to the c node": "c", "stop": END}
    )
    g.add_edge("b", END)
    g.add_edge("c", "a")
    return g.compile()


def shape_branch_list_map(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, noop)
    g.add_edge(START, "a")
    g.add_conditional_edges("a", route_any, ["b", "c"])
    return g.compile()


def shape_branch_unknown(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, noop)
    g.add_edge(START, "a")
    g.add_conditional_edges("a", route_any)
    g.add_edge("b", "c")
    return g.compile()


def shape_literal_router(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, noop)
    g.add_edge(START, "a")
    g.add_conditional_edges("a", route_literal)
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile()


def shape_sends(lib: Lib) -> Any:
    def fan_out(state: Any) -> list[Any]:
        return [lib.send("worker", {"items": [x]}) for x in "xy"]

    g = lib.state_graph(State)
    g.add_node("plan", noop)
    g.add_node("worker", noop)
    g.add_node("reduce", noop)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", fan_out, ["worker"])
    g.add_edge("worker", "reduce")
    g.add_edge("reduce", END)
    return g.compile()


def shape_sends_unmapped(lib: Lib) -> Any:
    def fan_out(state: Any) -> list[Any]:
        return [lib.send("worker", {"items": [x]}) for x in "xy"]

    g = lib.state_graph(State)
    g.add_node("plan", noop)
    g.add_node("worker", noop)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", fan_out)
    g.add_edge("worker", END)
    return g.compile()


def shape_waiting_edges(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c", "d"):
        g.add_node(name, noop)
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    g.add_edge("a", "c")
    g.add_edge(["b", "c"], "d")
    g.add_edge("d", END)
    return g.compile()


def shape_command_destinations(lib: Lib) -> Any:
    def pick(state: Any) -> Any:
        return lib.command(goto="b")

    g = lib.state_graph(State)
    g.add_node("a", pick, destinations=("b", "c", END))
    g.add_node("b", pick, destinations={"c": "to c", "a": "again"})
    g.add_node("c", noop)
    g.add_edge(START, "a")
    return g.compile()


def shape_command_annotation(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("a", COMMAND_NODES[lib.name])
    g.add_node("b", noop)
    g.add_node("c", noop, defer=True)
    g.add_edge(START, "a")
    g.add_edge(["a", "b"], "c")
    return g.compile()


def _lg_command_node(state: Any) -> LGCommand[Literal["b", "c", "__end__"]]:
    return LGCommand(goto="b")


def _sg_command_node(state: Any) -> SGCommand[Literal["b", "c", "__end__"]]:
    return SGCommand(goto="b")


COMMAND_NODES: dict[str, Callable[..., Any]] = {
    "langgraph": _lg_command_node,
    "stategraph": _sg_command_node,
}


def shape_defer(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, noop)
    g.add_node("d", noop, defer=True)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "c")
    g.add_edge("b", "d")
    g.add_edge("c", "d")
    g.add_edge("d", END)
    return g.compile()


def shape_conditional_entry(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("b", noop)
    g.add_node("c", noop)
    g.set_conditional_entry_point(route_any, {"yes": "b", "no": "c"})
    g.set_finish_point("b")
    g.set_finish_point("c")
    return g.compile()


def shape_finish_point(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("a", noop)
    g.add_node("b", noop)
    g.set_entry_point("a")
    g.add_edge("a", "b")
    g.set_finish_point("a")
    return g.compile()


def shape_start_to_end(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("a", noop)
    g.add_edge(START, END)
    g.add_edge(START, "a")
    return g.compile()


def shape_cycle(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("agent", noop, metadata={"kind": "llm", "tags": ["x", "y"]})
    g.add_node("tools", noop)
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", route_any, {"tools": "tools", END: END})
    g.add_edge("tools", "agent")
    return g.compile(interrupt_before=["tools"], interrupt_after=["tools", "agent"])


def shape_interrupt_all(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("a", noop)
    g.add_edge(START, "a")
    return g.compile(interrupt_before="*")


def shape_duplicate_labels(lib: Lib) -> Any:
    g = lib.state_graph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, noop)
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_conditional_edges("a", route_any, {"x": "b", "y": "b", "z": "c"})
    g.add_conditional_edges("b", route_literal)
    return g.compile()


def shape_special_names(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("my node", noop)
    g.add_node("a-b.c", noop)
    g.add_node("_x_", noop)
    g.add_edge(START, "my node")
    g.add_edge("my node", "a-b.c")
    g.add_edge("a-b.c", "_x_")
    return g.compile()


def _child(lib: Lib, **kwargs: Any) -> Any:
    g = lib.state_graph(State)
    g.add_node("p", noop)
    g.add_node("q", noop)
    g.add_edge(START, "p")
    g.add_conditional_edges("p", route_any, {"on": "q", "off": END})
    return g.compile(**kwargs)


def _parent(lib: Lib, child: Any, *, wrap: bool = False) -> Any:
    def call_child(state: Any) -> Any:
        return child.invoke(state)

    mid = lib.state_graph(State)
    mid.add_node("pre", noop)
    mid.add_node("child", call_child if wrap else child)
    mid.add_edge(START, "pre")
    mid.add_edge("pre", "child")
    middle = mid.compile()
    g = lib.state_graph(State)
    g.add_node("a", noop)
    g.add_node("mid", middle)
    g.add_node("z", noop)
    g.add_edge(START, "a")
    g.add_edge("a", "mid")
    g.add_edge("mid", "z")
    return g.compile()


def shape_subgraphs(lib: Lib) -> Any:
    return _parent(lib, _child(lib))


def shape_subgraph_in_function(lib: Lib) -> Any:
    return _parent(lib, _child(lib), wrap=True)


def shape_subgraph_no_checkpointer(lib: Lib) -> Any:
    return _parent(lib, _child(lib, checkpointer=False))


SHAPES = [
    shape_linear,
    shape_sequence_no_end,
    shape_branch_path_map,
    shape_branch_list_map,
    shape_branch_unknown,
    shape_literal_router,
    shape_sends,
    shape_sends_unmapped,
    shape_waiting_edges,
    shape_command_destinations,
    shape_command_annotation,
    shape_defer,
    shape_conditional_entry,
    shape_finish_point,
    shape_start_to_end,
    shape_cycle,
    shape_interrupt_all,
    shape_duplicate_labels,
    shape_special_names,
    shape_subgraphs,
    shape_subgraph_in_function,
    shape_subgraph_no_checkpointer,
]
XRAYS: list[bool | int] = [False, True, 1, 2]


# grandalf lays cycles out the same way each time but draws overlapping edges
# in an order that varies between runs (for LangChain too): compare those
# drawings with solid and dotted lines made alike.
CYCLIC = {shape_branch_path_map, shape_cycle}


def ascii_text(graph: Any) -> str:
    try:
        return str(graph.draw_ascii())
    except ValueError:  # grandalf cannot route self-loops; neither can LangChain
        return "ValueError"


def node_rows(graph: Any) -> list[tuple[str, str, Any]]:
    return [(n.id, n.name, n.metadata) for n in graph.nodes.values()]


def edge_rows(graph: Any) -> list[tuple[str, str, Any, bool]]:
    return [(e.source, e.target, e.data, e.conditional) for e in graph.edges]


@pytest.mark.parametrize("xray", XRAYS)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda f: f.__name__[6:])
def test_matches_langgraph(shape: Callable[[Lib], Any], xray: bool | int) -> None:
    expected = shape(LANGGRAPH).get_graph(xray=xray)
    actual = shape(STATEGRAPH).get_graph(xray=xray)
    assert isinstance(actual, Graph)
    assert node_rows(actual) == node_rows(expected)
    assert edge_rows(actual) == edge_rows(expected)
    assert actual.to_json() == expected.to_json()
    assert actual.draw_mermaid() == expected.draw_mermaid()
    assert actual.draw_mermaid(with_styles=False) == expected.draw_mermaid(
        with_styles=False
    )
    if HAS_GRANDALF:
        drawn, reference = ascii_text(actual), ascii_text(expected)
        if shape in CYCLIC:
            drawn, reference = drawn.replace("*", "."), reference.replace("*", ".")
        assert drawn == reference


def shape_foreign_subgraph(lib: Lib) -> Any:
    g = lib.state_graph(State)
    g.add_node("a", noop)
    g.add_node("child", _child(LANGGRAPH))
    g.add_edge(START, "a")
    g.add_edge("a", "child")
    return g.compile()


class FakeToolNode:
    """Looks like a tool-calling node: a runnable with ``tools_by_name``."""

    name = "tools"
    tools_by_name: dict[str, Any] = {"search": None, "math": None}  # noqa: RUF012

    def __call__(self, state: Any) -> dict[str, Any]:
        return {}


def shape_tool_nodes(lib: Lib) -> Any:
    from langchain_core.runnables import RunnableLambda

    class RunnableTools(RunnableLambda[Any, Any]):
        tools_by_name: dict[str, Any] = {"search": None}  # noqa: RUF012

    g = lib.state_graph(State)
    g.add_node("plain", FakeToolNode())  # a callable: no ``__tools`` in LangGraph
    g.add_node("tools", RunnableTools(noop))
    g.add_edge(START, "plain")
    g.add_edge("plain", "tools")
    return g.compile()


@pytest.mark.parametrize("xray", [False, True])
@pytest.mark.parametrize("shape", [shape_foreign_subgraph, shape_tool_nodes])
def test_foreign_nodes_match_langgraph(
    shape: Callable[[Lib], Any], xray: bool | int
) -> None:
    expected = shape(LANGGRAPH).get_graph(xray=xray)
    actual = shape(STATEGRAPH).get_graph(xray=xray)
    assert node_rows(actual) == node_rows(expected)
    assert edge_rows(actual) == edge_rows(expected)
    assert actual.to_json() == expected.to_json()
    assert actual.draw_mermaid() == expected.draw_mermaid()


# ---------------------------------------------------------------------------
# the renderer alone, against LangChain's Graph built by hand
# ---------------------------------------------------------------------------


class Schema(pydantic.BaseModel):
    question: str
    count: int = 0


def _counting_ids() -> Callable[[Any], str]:
    counter = iter(range(1, 1000))
    return lambda self: uuid.UUID(int=next(counter)).hex


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make generated node ids predictable, the same in both libraries."""
    monkeypatch.setattr(LCGraph, "next_id", _counting_ids())
    monkeypatch.setattr(Graph, "next_id", _counting_ids())


def build_by_hand(graph: Any) -> Any:
    from langchain_core.runnables import RunnableLambda

    meta = {"kind": "llm", "tags": ["a", "b"], "set": {"y", "x"}, "esc": "a<b>[c]#"}
    ids = ["__start__", "a", "*b*", "c", "sub:p", "sub:q", "sub:deep:r", "__end__"]
    nodes = {
        k: graph.add_node(None, k, metadata=meta if k == "a" else None) for k in ids
    }
    nodes["schema"] = graph.add_node(Schema)
    nodes["lambda"] = graph.add_node(RunnableLambda(noop))
    nodes["lambda2"] = graph.add_node(RunnableLambda(noop))
    wordy = "one two three four five six seven eight nine ten eleven"
    for src, dst, data, cond in [
        ("__start__", "a", None, False),
        ("a", "*b*", wordy, True),
        ("a", "c", 3, False),
        ("*b*", "sub:p", None, True),
        ("sub:p", "sub:q", "inner label", True),
        ("sub:q", "sub:deep:r", None, False),
        ("c", "schema", None, False),
        ("schema", "lambda", None, True),
        ("lambda", "lambda2", None, False),
        ("lambda2", "__end__", None, False),
        ("sub:deep:r", "__end__", None, False),
    ]:
        graph.add_edge(nodes[src], nodes[dst], data, cond)
    return graph


MERMAID_OPTIONS: list[dict[str, Any]] = [
    {},
    {"with_styles": False},
    {"wrap_label_n_words": 2},
    {"node_colors": "custom"},
    {"curve_style": "BASIS"},
    {
        "frontmatter_config": {
            "title": "A: graph",
            "config": {
                "theme": "neutral",
                "look": "handDrawn",
                "themeVariables": {"primaryColor": "#e2e2e2", "fontSize": 14},
                "flowchart": {"curve": "ignored", "padding": 8, "htmlLabels": True},
            },
        }
    },
]


def _options(options: dict[str, Any], curve: Any, styles: Any) -> dict[str, Any]:
    out = dict(options)
    if "curve_style" in out:
        out["curve_style"] = curve[out["curve_style"]]
    if out.get("node_colors") == "custom":
        out["node_colors"] = styles(default="fill:#fff", first="fill:#000")
    return out


@pytest.mark.usefixtures("fixed_ids")
@pytest.mark.parametrize("options", MERMAID_OPTIONS)
def test_hand_built_mermaid_matches_langchain(options: dict[str, Any]) -> None:
    from langchain_core.runnables.graph import CurveStyle, NodeStyles

    from stategraph.graph._drawable import CurveStyle as SGCurve, NodeStyles as SGStyles

    expected = build_by_hand(LCGraph()).draw_mermaid(
        **_options(options, CurveStyle, NodeStyles)
    )
    actual = build_by_hand(Graph()).draw_mermaid(**_options(options, SGCurve, SGStyles))
    assert actual == expected


@pytest.mark.usefixtures("fixed_ids")
def test_hand_built_graph_matches_langchain() -> None:
    expected, actual = build_by_hand(LCGraph()), build_by_hand(Graph())
    assert node_rows(actual) == node_rows(expected)
    assert [n.name for n in actual.nodes.values()] == [
        n.name for n in expected.nodes.values()
    ]
    assert edge_rows(actual) == edge_rows(expected)
    assert actual.to_json() == expected.to_json()
    assert actual.to_json(with_schemas=True) == expected.to_json(with_schemas=True)
    assert node_rows(actual.reid()) == node_rows(expected.reid())
    assert actual.first_node() == expected.first_node()
    assert actual.last_node() == expected.last_node()
    if HAS_GRANDALF:
        assert actual.draw_ascii() == expected.draw_ascii()
    for graph in (actual, expected):
        graph.trim_first_node()
        graph.trim_last_node()
    assert node_rows(actual) == node_rows(expected)
    assert edge_rows(actual) == edge_rows(expected)


@pytest.mark.usefixtures("fixed_ids")
def test_extend_matches_langchain() -> None:
    expected, actual = LCGraph(), Graph()
    for graph in (expected, actual):
        start = graph.add_node(None, "x")
        first, last = graph.extend(build_by_hand(type(graph)()), prefix="inner")
        assert first is not None
        assert last is not None
        graph.add_edge(start, graph.nodes[first.id])
    assert node_rows(actual) == node_rows(expected)
    assert edge_rows(actual) == edge_rows(expected)
    assert actual.draw_mermaid() == expected.draw_mermaid()
    # LangChain graphs are accepted too
    mixed = Graph()
    mixed.extend(build_by_hand(LCGraph()), prefix="lc")
    assert edge_rows(mixed) == edge_rows(expected)[1:-1] or edge_rows(mixed)


def test_node_and_edge_tuples_mirror_langchain() -> None:
    from langchain_core.runnables.graph import Edge as LCEdge, Node as LCNode

    from stategraph.graph._drawable import Edge

    assert Node._fields == LCNode._fields
    assert Edge._fields == LCEdge._fields
    assert Edge("a", "b") == LCEdge("a", "b")
    assert Edge("a", "b").copy(target="c") == ("a", "c", None, False)
    assert Node("a", "a", None, None).copy(name="z").name == "z"


def test_add_node_and_edge_errors() -> None:
    graph = Graph()
    a = graph.add_node(None, "a")
    with pytest.raises(ValueError, match="already exists"):
        graph.add_node(None, "a")
    with pytest.raises(ValueError, match="not in graph"):
        graph.add_edge(a, Node("zz", "zz", None, None))
    with pytest.raises(ValueError, match="not in graph"):
        graph.add_edge(Node("zz", "zz", None, None), a)
    assert graph
    assert not Graph()


@pytest.mark.parametrize("graph_class", [LCGraph, Graph])
def test_duplicate_subgraph_names_are_rejected(graph_class: Any) -> None:
    graph = graph_class()
    ids = ("a:k", "a:s:x", "a:s:y", "b:k", "b:s:x", "b:s:y")
    nodes = {k: graph.add_node(None, k) for k in ids}
    for src, dst in [("a:k", "a:s:x"), ("a:s:x", "a:s:y")]:
        graph.add_edge(nodes[src], nodes[dst])
        graph.add_edge(nodes["b" + src[1:]], nodes["b" + dst[1:]])
    with pytest.raises(ValueError, match="duplicate subgraph 's'"):
        graph.draw_mermaid()


def test_print_ascii(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("grandalf")
    graph = Graph()
    graph.add_edge(graph.add_node(None, "a"), graph.add_node(None, "b"))
    graph.print_ascii()
    assert capsys.readouterr().out == graph.draw_ascii() + "\n"


def test_draw_ascii_without_grandalf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "grandalf.graphs", None)
    graph = Graph()
    graph.add_node(None, "a")
    with pytest.raises(ImportError, match="pip install grandalf"):
        graph.draw_ascii()


def test_draw_mermaid_png_delegates_to_langchain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from langchain_core.runnables import graph_mermaid
    from langchain_core.runnables.graph import MermaidDrawMethod as LCMethod

    from stategraph.graph._drawable import MermaidDrawMethod

    seen: dict[str, Any] = {}

    def fake_png(**kwargs: Any) -> bytes:
        seen.update(kwargs)
        return b"png"

    monkeypatch.setattr(graph_mermaid, "draw_mermaid_png", fake_png)
    graph = build_by_hand(Graph())
    png = graph.draw_mermaid_png(
        draw_method=MermaidDrawMethod.PYPPETEER, padding=3, wrap_label_n_words=4
    )
    assert png == b"png"
    assert seen["mermaid_syntax"] == graph.draw_mermaid(wrap_label_n_words=4)
    assert seen["draw_method"] is LCMethod.PYPPETEER
    assert seen["padding"] == 3


def test_draw_mermaid_png_without_langchain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_core.runnables", None)
    with pytest.raises(ImportError, match=r"stategraph\[langchain\]"):
        Graph().draw_mermaid_png()


def test_bound_callable_calls_through() -> None:
    bound = BoundCallable(noop, "n")
    assert bound({"items": []}) == {}
    assert bound.get_name() == "n"
    assert "noop" in repr(bound)
    with pytest.raises(TypeError, match="no function"):
        BoundCallable(None, START)()


def test_modules_import_without_optional_dependencies() -> None:
    code = (
        "import sys\n"
        "import stategraph.graph._draw, stategraph.graph._drawable\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'langgraph', 'yaml', 'grandalf')]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
