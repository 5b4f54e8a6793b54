"""A graph sees the config and the LangSmith run of the langchain code around it."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict
from unittest.mock import patch

import langsmith
import pytest
from langchain_core.runnables.config import var_child_runnable_config
from langsmith import get_current_run_tree

from stategraph._config import ensure_config
from stategraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    x: int
    run_id: Any


def test_ensure_config_inherits_langchain_ambient_config() -> None:
    token = var_child_runnable_config.set(
        {"configurable": {"checkpoint_ns": "outer:1", "user": "u"}, "tags": ["lc"]}
    )
    try:
        merged = ensure_config({"tags": ["mine"]})
        fresh = ensure_config({"configurable": {"thread_id": "t"}})
    finally:
        var_child_runnable_config.reset(token)
    assert merged["configurable"] == {"checkpoint_ns": "outer:1", "user": "u"}
    assert merged["tags"] == ["lc", "mine"]
    # naming its own thread drops the ambient coordinates
    assert fresh["configurable"] == {"thread_id": "t"}
    assert ensure_config()["configurable"] == {}


def _graph() -> Any:
    def node(state: State) -> State:
        run = get_current_run_tree()
        return {"run_id": run.id if run is not None else None}

    builder: StateGraph[State] = StateGraph(State)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    builder.add_edge("node", END)
    return builder.compile()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_node_runs_inside_its_langsmith_run_when_tracing(mode: str) -> None:
    graph = _graph()
    with (
        patch("langsmith.client.Client", spec=langsmith.Client) as client,
        patch("langchain_core.tracers.langchain.get_client") as get_client,
    ):
        get_client.return_value = client
        with langsmith.tracing_context(enabled=True):
            if mode == "sync":
                out = graph.invoke({"x": 1})
            else:
                out = asyncio.run(graph.ainvoke({"x": 1}))
    assert out["run_id"] is not None
    # outside tracing there is no current run
    assert graph.invoke({"x": 1})["run_id"] is None
