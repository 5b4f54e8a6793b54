"""Graphs are LangChain ``Runnable``s and compose with LangChain as LangGraph's do.

LangGraph's ``Pregel`` subclasses langchain-core's ``Runnable``; stategraph's
graphs are registered as its virtual subclasses. Each test builds the same
program on the reference and on the library under test: the plain-data
results are asserted literally (LangGraph's), the traces (callbacks, events)
are compared between the two libraries.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from typing import Any

import pytest
from _lib import REFERENCE, sut_name
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import (
    Runnable,
    RunnableBranch,
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
    RunnableSequence,
)
from langchain_core.runnables.base import coerce_to_runnable
from typing_extensions import TypedDict


class S(TypedDict):
    x: int


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def _graph(lib: str) -> Any:
    """``a`` adds 1, then the subgraph node ``sub`` adds 10."""
    g = importlib.import_module(f"{lib}.graph")
    sub = g.StateGraph(S)
    sub.add_node("s1", lambda s: {"x": s["x"] + 10})
    sub.add_edge(g.START, "s1")
    builder = g.StateGraph(S)
    builder.add_node("a", lambda s: {"x": s["x"] + 1})
    builder.add_node("sub", sub.compile())
    builder.add_edge(g.START, "a")
    builder.add_edge("a", "sub")
    return builder.compile()


_pre = RunnableLambda(lambda v: {"x": v})
_post = RunnableLambda(lambda s: s["x"])


def test_graphs_are_runnables(lib: str) -> None:
    graph = _graph(lib)
    func = importlib.import_module(f"{lib}.func")
    remote = importlib.import_module(f"{lib}.pregel.remote")

    @func.entrypoint()
    def flow(x: int) -> int:
        return x

    assert isinstance(graph, Runnable)
    assert isinstance(graph.with_config(tags=["t"]), Runnable)
    assert isinstance(flow, Runnable)
    assert issubclass(remote.RemoteGraph, Runnable)
    assert coerce_to_runnable(graph) is graph


def test_pipes_hold_the_graph_itself(lib: str) -> None:
    graph = _graph(lib)
    assert (_pre | graph).invoke(1) == {"x": 12}
    assert (graph | _post).invoke({"x": 1}) == 12
    assert (graph | _post).first is graph
    assert (_pre | graph).last is graph
    assert graph.pipe(_post).first is graph
    assert (_pre | {"g": graph}).invoke(1) == {"g": {"x": 12}}
    assert RunnableSequence(_pre, graph, _post).invoke(2) == 13
    assert RunnableSequence(_pre, graph, _post).batch([1, 2]) == [12, 13]
    # Run by a LangChain parent, LangGraph's stream gives updates.
    assert list(RunnableSequence(_pre, graph).stream(1)) == [
        {"a": {"x": 2}},
        {"sub": {"x": 12}},
    ]
    bound = graph.bind(stream_mode="values", subgraphs=True)
    assert [(len(ns), c) for ns, c in (_pre | bound).stream(1)] == [
        (0, {"x": 1}),
        (0, {"x": 2}),
        (1, {"x": 2}),
        (1, {"x": 12}),
        (0, {"x": 12}),
    ]


def test_langchain_wrappers_of_the_graph(lib: str) -> None:
    graph = _graph(lib)
    assert graph.with_retry().bound is graph
    assert graph.with_retry().invoke({"x": 1}) == {"x": 12}
    assert graph.bind().bound is graph
    assert graph.with_fallbacks([_post]).invoke({"x": 1}) == {"x": 12}
    assert graph.assign(y=_post).invoke({"x": 1}) == {"x": 12, "y": 12}
    assert graph.pick("x").invoke({"x": 1}) == 12
    assert RunnableParallel(a=graph, b=_post).invoke({"x": 1}) == {
        "a": {"x": 12},
        "b": 1,
    }
    assert list(RunnableParallel(a=graph).stream({"x": 1})) == [
        {"a": {"a": {"x": 2}}},
        {"a": {"sub": {"x": 12}}},
    ]
    # LangChain runs a runnable that a lambda or a branch returns.
    assert RunnableLambda(lambda v: graph).invoke({"x": 1}) == {"x": 12}
    branch = RunnableBranch((lambda v: v["x"] > 0, graph), RunnablePassthrough())
    assert branch.invoke({"x": 1}) == {"x": 12}
    drawn = (_pre | graph | _post).get_graph()
    assert [n.name for n in drawn.nodes.values()] == [
        "LambdaInput",
        "Lambda",
        "a",
        "sub",
        "Lambda",
        "LambdaOutput",
    ]


class _Trace(BaseCallbackHandler):
    """Chain starts and ends, run ids numbered in order of appearance."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.ids: dict[Any, int] = {}

    def _n(self, run_id: Any) -> int | None:
        return None if run_id is None else self.ids.setdefault(run_id, len(self.ids))

    def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
        tags = sorted(t for t in kw.get("tags") or [] if not t.startswith("graph:"))
        parent = self._n(kw.get("parent_run_id"))
        run = self._n(kw["run_id"])
        self.events.append(("start", kw.get("name"), run, parent, tags))

    def on_chain_end(self, outputs: Any, **kw: Any) -> None:
        self.events.append(("end", self._n(kw["run_id"]), outputs))


def _traces(lib: str, mode: str) -> dict[str, Any]:
    """What callbacks and ``astream_events`` see of sequences holding the graph."""
    graph = _graph(lib)
    seq = _pre | graph | _post
    config = {"callbacks": [_Trace()], "tags": ["T"]}
    out: dict[str, Any] = {}
    if mode == "sync":
        out["result"] = seq.invoke(2, config)
        list(RunnableParallel(p=graph).stream({"x": 1}, {"callbacks": [_Trace()]}))
    else:

        async def run() -> Any:
            piped = _pre | graph
            events = [e async for e in piped.astream_events(2, version="v2")]
            out["events"] = [
                (e["event"], e["name"], len(e["parent_ids"]), e["data"]) for e in events
            ]
            return await seq.ainvoke(2, config)

        out["result"] = asyncio.run(run())
    out["trace"] = config["callbacks"][0].events  # type: ignore[index]
    return out


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_graph_runs_under_the_sequence_run(mode: str) -> None:
    """Callbacks, tags and events reach the graph's nodes through the sequence."""
    ours, theirs = _traces(sut_name(), mode), _traces(REFERENCE, mode)
    assert json.dumps(ours, default=repr) == json.dumps(theirs, default=repr)
    assert ours["result"] == 13
    starts = [e for e in ours["trace"] if e[0] == "start"]
    # the graph's run is a child of the sequence's; its nodes, of the graph's.
    assert starts[2][1:4] == ("LangGraph", 2, 0)
    assert ("start", "a", 3, 2, ["T"]) in starts
