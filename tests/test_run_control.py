"""``RunControl``: a drain request stops a run at the next step, as in LangGraph."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from typing_extensions import TypedDict


class S(TypedDict):
    n: int


def observe(lib: str, mode: str) -> list[Any]:
    graph_mod = importlib.import_module(f"{lib}.graph")
    runtime = importlib.import_module(f"{lib}.runtime")
    errors = importlib.import_module(f"{lib}.errors")
    memory = importlib.import_module(f"{lib}.checkpoint.memory")
    control = runtime.RunControl()

    def a(state: S) -> S:
        control.request_drain("deploy")
        return {"n": state["n"] + 1}

    def b(state: S) -> S:
        return {"n": state["n"] * 10}

    builder = graph_mod.StateGraph(S)
    builder.add_node("a", a)
    builder.add_node("b", b)
    builder.add_edge(graph_mod.START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile(checkpointer=memory.InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    seen: list[Any] = []
    try:
        if mode == "async":

            async def consume() -> None:
                async for chunk in graph.astream({"n": 1}, config, control=control):
                    seen.append(chunk)

            asyncio.run(consume())
        else:
            seen.extend(graph.stream({"n": 1}, config, control=control))
    except errors.GraphDrained as exc:
        seen.append(("drained", exc.reason, str(exc)))
    state = graph.get_state(config)
    resumed = graph.invoke(None, config)
    return [seen, state.values, state.next, resumed, control.drain_reason]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_drain_stops_at_step_boundary_and_resumes(mode: str) -> None:
    ours = observe("stategraph", mode)
    assert ours == observe("langgraph", mode)
    assert ours[2] == ("b",)
    assert ours[3] == {"n": 20}


def test_runtime_carries_control() -> None:
    from stategraph.runtime import RunControl, Runtime

    control = RunControl()
    merged = Runtime().merge(Runtime(control=control))
    assert merged.control is control
    assert not control.drain_requested
    control.request_drain()
    assert (control.drain_requested, control.drain_reason) == (True, "shutdown")


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_execution_info_counts_attempts(lib: str) -> None:
    graph_mod = importlib.import_module(f"{lib}.graph")
    runtime_mod = importlib.import_module(f"{lib}.runtime")
    types = importlib.import_module(f"{lib}.types")
    seen: list[Any] = []

    def node(state: S, runtime: runtime_mod.Runtime) -> S:  # type: ignore[name-defined]
        info = runtime.execution_info
        seen.append(
            (info.node_attempt, isinstance(info.node_first_attempt_time, float))
        )
        if len(seen) < 3:
            raise ValueError("again")
        return {"n": 1}

    builder = graph_mod.StateGraph(S)
    policy = types.RetryPolicy(
        max_attempts=3, initial_interval=0, jitter=False, retry_on=ValueError
    )
    builder.add_node("node", node, retry_policy=policy)
    builder.add_edge(graph_mod.START, "node")
    assert builder.compile().invoke({"n": 0}) == {"n": 1}
    assert seen == [(1, True), (2, True), (3, True)]
    info = runtime_mod.ExecutionInfo(checkpoint_id="c", checkpoint_ns="", task_id="t")
    assert info.patch(node_attempt=3).node_attempt == 3
    assert info.node_attempt == 1


class _User:
    identity = "user-1"
    display_name = "One"
    is_authenticated = True
    permissions: tuple[str, ...] = ()


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_server_info_from_configurable(lib: str) -> None:
    graph_mod = importlib.import_module(f"{lib}.graph")
    runtime_mod = importlib.import_module(f"{lib}.runtime")
    seen: list[Any] = []

    def node(state: S, runtime: runtime_mod.Runtime) -> S:  # type: ignore[name-defined]
        info = runtime.server_info
        seen.append(
            None if info is None else (info.assistant_id, info.graph_id, info.user)
        )
        return state

    builder = graph_mod.StateGraph(S)
    builder.add_node("node", node)
    builder.add_edge(graph_mod.START, "node")
    graph = builder.compile()
    user = _User()
    graph.invoke({"n": 0})
    graph.invoke({"n": 0}, {"configurable": {"assistant_id": "a", "graph_id": "g"}})
    graph.invoke({"n": 0}, {"configurable": {"langgraph_auth_user": user}})
    assert seen == [None, ("a", "g", None), ("", "", user)]
