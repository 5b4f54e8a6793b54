"""A graph composes with LangChain runnables through ``|``, as LangGraph's does."""

from __future__ import annotations

import asyncio
from typing import Any

import langgraph.graph as lg
import pytest
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from typing_extensions import TypedDict

import stategraph.graph as sg


class State(TypedDict):
    k: str


def _app(module: Any) -> Any:
    builder = module.StateGraph(State)
    builder.add_node("a", lambda s: {"k": s["k"] + "a"})
    builder.add_node("c", lambda s: {"k": s["k"] + "c"})
    builder.add_edge(module.START, "a")
    builder.add_edge("a", "c")
    return builder.compile()


def _run(chain: Any, value: Any, mode: str) -> tuple[Any, list[Any]]:
    if mode == "sync":
        return chain.invoke(value), list(chain.stream(value))

    async def both() -> tuple[Any, list[Any]]:
        return await chain.ainvoke(value), [c async for c in chain.astream(value)]

    return asyncio.run(both())


def _chains(module: Any) -> list[tuple[Any, Any]]:
    app = _app(module)
    return [
        (app | RunnablePassthrough(), {"k": ""}),
        (RunnableLambda(lambda x: {"k": x}) | (app | RunnablePassthrough()), "z"),
        ({"k": RunnablePassthrough()} | app, "q"),
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sequences_match_langgraph(mode: str) -> None:
    ours = [_run(chain, value, mode) for chain, value in _chains(sg)]
    theirs = [_run(chain, value, mode) for chain, value in _chains(lg)]
    assert ours == theirs
    assert ours[0] == ({"k": "ac"}, [{"a": {"k": "a"}}, {"c": {"k": "ac"}}])


def test_graph_keeps_its_name_in_the_sequence() -> None:
    chain = _app(sg).with_config(run_name="x") | RunnablePassthrough()
    assert chain.first.get_name() == "LangGraph"
