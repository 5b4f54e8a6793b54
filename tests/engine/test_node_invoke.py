"""``graph.nodes[name].invoke``: a compiled node run by hand, as in LangGraph."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from typing_extensions import TypedDict

from stategraph.config import RunnableConfig


class State(TypedDict):
    x: int


def build(lib: str) -> Any:
    graph = importlib.import_module(f"{lib}.graph")

    def double(state: State, config: RunnableConfig) -> dict[str, Any]:
        return {"x": state["x"] * 2, "tags": sorted(config["tags"])}

    async def adouble(state: State) -> dict[str, Any]:
        return {"x": state["x"] * 3}

    builder = graph.StateGraph(State)
    builder.add_node("double", double, metadata={"m": 1})
    builder.add_node("adouble", adouble)
    builder.add_edge(graph.START, "double")
    return builder.compile()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_node_invoke_runs_only_the_node(mode: str) -> None:
    results = []
    for lib in ("langgraph", "stategraph"):
        node = build(lib).nodes["double"]
        if mode == "sync":
            results.append(node.invoke({"x": 2}, {"tags": ["t"]}))
        else:
            results.append(asyncio.run(node.ainvoke({"x": 2}, {"tags": ["t"]})))
    assert results[0] == results[1] == {"x": 4, "tags": ["t"]}


def test_async_node_invoke_matches_langgraph() -> None:
    results = [
        asyncio.run(build(lib).nodes["adouble"].ainvoke({"x": 2}))
        for lib in ("langgraph", "stategraph")
    ]
    assert results == [{"x": 6}, {"x": 6}]
