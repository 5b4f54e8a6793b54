"""``CONFIG_KEY_NODE_FINISHED`` hears each node that succeeds, as in LangGraph."""

from __future__ import annotations

import contextlib
from typing import Any

import langgraph.checkpoint.memory as lgm
import langgraph.graph as lg
import pytest
from langgraph._internal._constants import CONFIG_KEY_NODE_FINISHED as LG_KEY
from typing_extensions import TypedDict

import stategraph.checkpoint.memory as sgm
import stategraph.graph as sg
from stategraph._constants import CONFIG_KEY_NODE_FINISHED


class State(TypedDict):
    text: str


def _build(module: Any, memory: Any, fail: bool) -> Any:
    def inner(state: State) -> State:
        if fail:
            raise ValueError("inner failed")
        return {"text": state["text"] + "i"}

    child = module.StateGraph(State)
    child.add_node("inner", inner)
    child.add_edge(module.START, "inner")
    parent = module.StateGraph(State)
    parent.add_node("first", lambda s: {"text": s["text"] + "f"})
    parent.add_node("child", child.compile())
    parent.add_edge(module.START, "first")
    parent.add_edge("first", "child")
    return parent.compile(checkpointer=memory.InMemorySaver())


def _finished(module: Any, memory: Any, key: str, driver: Any, fail: bool) -> list[str]:
    names: list[str] = []
    config = {"configurable": {"thread_id": "1", key: names.append}}
    with contextlib.suppress(ValueError):
        driver.invoke(_build(module, memory, fail), {"text": ""}, config)
    return names


@pytest.mark.parametrize("fail", [False, True])
def test_finished_nodes_match_langgraph(driver: Any, fail: bool) -> None:
    ours = _finished(sg, sgm, CONFIG_KEY_NODE_FINISHED, driver, fail)
    theirs = _finished(lg, lgm, LG_KEY, driver, fail)
    assert ours == theirs
    assert ours == (["first"] if fail else ["first", "inner", "child"])
