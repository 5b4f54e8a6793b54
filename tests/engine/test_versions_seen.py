"""Saved ``versions_seen`` names the same writers as LangGraph's (input included)."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import langgraph.checkpoint.memory as lgm
import langgraph.graph as lg
from typing_extensions import TypedDict

import stategraph.checkpoint.memory as sgm
import stategraph.graph as sg


class State(TypedDict):
    value: Annotated[int, operator.add]


def _seen(module: Any, memory: Any, driver: Any) -> list[dict[str, list[str]]]:
    builder = module.StateGraph(State)
    builder.add_node("one", lambda s: {"value": 1})
    builder.add_node("two", lambda s: {"value": 2})
    builder.add_edge(module.START, "one")
    builder.add_edge(module.START, "two")
    saver = memory.InMemorySaver()
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "1"}}
    driver.invoke(graph, {"value": 0}, config)
    return [
        {k: sorted(v) for k, v in t.checkpoint["versions_seen"].items()}
        for t in saver.list(config)
    ]


def test_versions_seen_matches_langgraph(driver: Any) -> None:
    ours = _seen(sg, sgm, driver)
    assert ours == _seen(lg, lgm, driver)
    assert ours[0]["__input__"] == []
