"""A builder's node specs hold actions as LangGraph's do (``spec.runnable.func``)."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import Mock

import langgraph.graph as lg
import pytest
from langchain_core.runnables import RunnableLambda
from typing_extensions import TypedDict

import stategraph.graph as sg


class State(TypedDict):
    n: int


class Counter:
    """A callable object that counts its calls."""

    def __init__(self) -> None:
        self.ticks = 0
        self.__name__ = "counter"

    def __call__(self, state: State) -> dict[str, int]:
        self.ticks += 1
        return {"n": state["n"] + 1}


def _builder(module: Any, action: Any) -> Any:
    builder = module.StateGraph(State)
    builder.add_node("node", action)
    builder.add_edge(module.START, "node")
    return builder


@pytest.mark.parametrize("module", [sg, lg])
def test_plain_callable_is_kept_under_func(module: Any) -> None:
    counter = Counter()
    builder = _builder(module, counter)
    assert builder.nodes["node"].runnable.func is counter
    assert builder.compile().invoke({"n": 1}) == {"n": 2}
    assert builder.nodes["node"].runnable.func.ticks == 1


def test_runnables_and_graphs_are_kept_as_they_are() -> None:
    runnable = RunnableLambda(lambda s: {"n": 0})
    assert _builder(sg, runnable).nodes["node"].runnable is runnable
    inner = _builder(sg, lambda s: s).compile()
    assert _builder(sg, inner).nodes["node"].runnable is inner


def test_mock_node_runs_and_draws_like_langgraph() -> None:
    drawings = []
    for module in (sg, lg):
        mock = Mock(side_effect=lambda s: {"n": 5})
        graph = _builder(module, mock).compile()
        assert graph.invoke({"n": 1}) == {"n": 5}
        assert mock.call_count == 1
        drawings.append(json.dumps(graph.get_graph().to_json()))
    assert drawings[0] == drawings[1]
