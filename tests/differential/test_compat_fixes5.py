"""Divergences found by the differential fuzzers and reviews (fifth round).

Each test runs once per library (the reference and the library under test)
and asserts what LangGraph does, so a failure only for the library under test
is a compatibility bug.  The seed that found each case, if any, is named in
its docstring.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from _lib import REFERENCE, sut_name
from typing_extensions import TypedDict


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def mod(lib: str, name: str) -> Any:
    return importlib.import_module(f"{lib}.{name}")


class X(TypedDict):
    x: int


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_runnable_a_node_returns_is_run_on_its_input(lib: str, mode: str) -> None:
    """LangGraph's nodes run a returned runnable (a graph too) on their input."""
    from langchain_core.runnables import RunnableLambda

    g = mod(lib, "graph")
    sub = g.StateGraph(X)
    sub.add_node("s", lambda s: {"x": s["x"] * 10})
    sub.add_edge(g.START, "s")
    compiled = sub.compile()
    builder = g.StateGraph(X)
    builder.add_node("a", lambda s: RunnableLambda(lambda st: {"x": st["x"] + 1}))

    async def b(s: X) -> Any:
        return compiled

    builder.add_node("b", b if mode == "async" else lambda s: compiled)
    builder.add_conditional_edges("b", lambda s: RunnableLambda(lambda st: g.END))
    builder.add_edge(g.START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile()
    if mode == "sync":
        chunks = list(graph.stream({"x": 1}, stream_mode="updates", subgraphs=True))
    else:

        async def run() -> list[Any]:
            kw: dict[str, Any] = {"stream_mode": "updates", "subgraphs": True}
            return [c async for c in graph.astream({"x": 1}, **kw)]

        chunks = asyncio.run(run())
    assert [(len(ns), c) for ns, c in chunks] == [
        (0, {"a": {"x": 2}}),
        (1, {"s": {"x": 20}}),
        (0, {"b": {"x": 20}}),
    ]
