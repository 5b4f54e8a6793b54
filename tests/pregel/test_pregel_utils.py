"""Which graph a node runs, found from the objects its function reaches."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from typing_extensions import TypedDict

from stategraph.graph import START, StateGraph
from stategraph.pregel._utils import find_subgraph_pregel, get_function_nonlocals


class State(TypedDict):
    n: int


def _graph(name: str, checkpointer: Any = None) -> Any:
    builder = StateGraph(State)
    builder.add_node("x", lambda s: s)
    builder.add_edge(START, "x")
    graph = builder.compile(checkpointer=checkpointer)
    graph.name = name
    return graph


class _Holder:
    def __init__(self, inner: Any) -> None:
        self.inner = inner


GLOBAL_GRAPH = _graph("global")
NESTED = _Holder(_Holder(_graph("nested")))


def _closure() -> Any:
    sub = _graph("closure")

    def node(state: State) -> Any:
        return sub.invoke(state)

    return node


def _global() -> Any:
    def node(state: State) -> Any:
        return GLOBAL_GRAPH.invoke(state)

    return node


def _attribute_path() -> Any:
    def node(state: State) -> Any:
        return NESTED.inner.inner.invoke(state)

    return node


def _wrapped() -> Any:
    sub = _graph("wrapped")

    def inner(state: State) -> Any:
        return sub.invoke(state)

    @functools.wraps(inner)
    def outer(state: State) -> Any:
        return {"n": 0}

    return outer


def _exec_built() -> Any:
    namespace: dict[str, Any] = {"G": _graph("exec")}
    exec(compile("def node(s):\n    return G.invoke(s)", "<built>", "exec"), namespace)
    return namespace["node"]


def _stateless() -> Any:
    sub = _graph("stateless", checkpointer=False)

    def node(state: State) -> Any:
        return sub.invoke(state)

    return node


def _local_only() -> Any:
    def node(state: State) -> Any:
        holder = _Holder("text")
        return {"n": len(holder.inner)}

    return node


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        (_closure, "closure"),
        (_global, "global"),
        (_attribute_path, "nested"),
        (_wrapped, "wrapped"),
        (_exec_built, "exec"),
        (_stateless, None),
        (_local_only, None),
    ],
)
def test_subgraph_found_from_function(factory: Any, expected: str | None) -> None:
    found = find_subgraph_pregel(factory())
    assert (found.name if found is not None else None) == expected


def test_graph_itself_and_compiled_node_subgraphs() -> None:
    assert find_subgraph_pregel(GLOBAL_GRAPH) is GLOBAL_GRAPH
    assert find_subgraph_pregel(_graph("off", checkpointer=False)) is None
    builder = StateGraph(State)
    builder.add_node("n", _closure())
    builder.add_edge(START, "n")
    assert [g.name for g in builder.compile().nodes["n"].subgraphs] == ["closure"]


def test_nonlocals_of_callables_without_code() -> None:
    assert get_function_nonlocals(len) == []
    assert get_function_nonlocals(functools.partial(_closure)) == []
    values = get_function_nonlocals(_attribute_path())
    assert values[:3] == [NESTED, NESTED.inner, NESTED.inner.inner]
