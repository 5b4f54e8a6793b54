"""Which nodes count as subgraphs, and the state read through them, as in LangGraph."""

from __future__ import annotations

from typing import Any

import langgraph.checkpoint.memory as lgm
import langgraph.graph as lg
import langgraph.types as lgt
import pytest
from typing_extensions import TypedDict

import stategraph.checkpoint.memory as sgm
import stategraph.graph as sg
import stategraph.types as sgt


class Inner(TypedDict):
    bar: str
    baz: str


class Outer(TypedDict):
    foo: str


def _inner(module: Any, types: Any, checkpointer: Any) -> Any:
    def ask(state: Inner) -> dict[str, str]:
        return {"baz": types.interrupt("baz?")}

    def join(state: Inner) -> dict[str, str]:
        return {"bar": state["bar"] + state["baz"]}

    builder = module.StateGraph(Inner)
    builder.add_node("ask", ask)
    builder.add_node("join", join)
    builder.add_edge(module.START, "ask")
    builder.add_edge("ask", "join")
    return builder.compile(checkpointer=checkpointer)


def _outer(module: Any, memory: Any, types: Any) -> Any:
    kept = _inner(module, types, True)
    stateless = _inner(module, types, False)

    def calls_kept(state: Outer) -> dict[str, str]:
        return {"foo": kept.invoke({"bar": state["foo"]})["bar"]}

    builder = module.StateGraph(Outer)
    builder.add_node("calls_kept", calls_kept)
    builder.add_node("stateless", stateless)
    builder.add_node("plain", lambda s: {"foo": s["foo"] + "!"})
    builder.add_edge(module.START, "calls_kept")
    builder.add_edge("calls_kept", "stateless")
    builder.add_edge("stateless", "plain")
    return builder.compile(checkpointer=memory.InMemorySaver())


LIBS = [(sg, sgm, sgt), (lg, lgm, lgt)]


@pytest.mark.parametrize(("module", "memory", "types"), LIBS)
def test_function_calling_a_graph_is_a_subgraph_node(
    module: Any, memory: Any, types: Any
) -> None:
    graph = _outer(module, memory, types)
    assert [name for name, _ in graph.get_subgraphs()] == ["calls_kept"]


@pytest.mark.parametrize(("module", "memory", "types"), LIBS)
def test_state_of_a_called_subgraph_is_read(
    module: Any, memory: Any, types: Any
) -> None:
    graph = _outer(module, memory, types)
    config = {"configurable": {"thread_id": "1"}}
    graph.invoke({"foo": "x"}, config)
    task = graph.get_state(config, subgraphs=True).tasks[0]
    assert task.name == "calls_kept"
    assert task.state.values == {"bar": "x"}
    assert task.state.next == ("ask",)
    resumed = graph.invoke(types.Command(resume="y"), config)
    assert resumed["__interrupt__"][0].value == "baz?"
