"""Superstep semantics of the engine, through the public StateGraph API."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.errors import (
    EmptyInputError,
    GraphRecursionError,
    InvalidUpdateError,
)
from stategraph.graph import START, StateGraph
from stategraph.types import Command, Send, interrupt


class State(TypedDict, total=False):
    value: int
    log: Annotated[list[str], operator.add]


def record(name: str) -> Any:
    def node(state: State) -> State:
        return {"log": [name]}

    node.__name__ = name
    return node


def test_parallel_writes_apply_in_task_path_order(driver: Any) -> None:
    builder = StateGraph(State)
    for name in ("c", "a", "b"):
        builder.add_node(name, record(name))
        builder.add_edge(START, name)
    out = driver.invoke(builder.compile(), {"log": []})
    assert out["log"] == ["a", "b", "c"]


def test_waiting_edge_runs_after_all_sources(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_node("b", record("b"))
    builder.add_node("slow", record("slow"))
    builder.add_node("join", record("join"))
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    builder.add_edge("b", "slow")
    builder.add_edge(["a", "slow"], "join")
    steps = driver.stream(builder.compile(), {"log": []})
    assert [list(chunk) for chunk in steps] == [["a"], ["b"], ["slow"], ["join"]]


def test_deferred_node_runs_last(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_node("b", record("b"))
    builder.add_node("b2", record("b2"))
    builder.add_node("end", record("end"), defer=True)
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    builder.add_edge("b", "b2")
    builder.add_edge("a", "end")
    builder.add_edge("b2", "end")
    out = driver.invoke(builder.compile(), {"log": []})
    assert out["log"] == ["a", "b", "b2", "end"]


def test_send_pushes_run_with_their_own_input(driver: Any) -> None:
    class Item(TypedDict):
        n: int

    def square(item: Item) -> State:
        return {"log": [str(item["n"] ** 2)]}

    builder = StateGraph(State)
    builder.add_node("square", square)
    builder.add_conditional_edges(
        START, lambda s: [Send("square", {"n": n}) for n in (1, 2, 3)], ["square"]
    )
    out = driver.invoke(builder.compile(), {"log": []})
    assert out["log"] == ["1", "4", "9"]


def test_command_goto_and_update(driver: Any) -> None:
    def router(state: State) -> Command[Any]:
        return Command(goto="b", update={"value": 7})

    builder = StateGraph(State)
    builder.add_node("router", router, destinations=("b",))
    builder.add_node("b", record("b"))
    builder.add_edge(START, "router")
    out = driver.invoke(builder.compile(), {"log": []})
    assert out == {"value": 7, "log": ["b"]}


def test_recursion_limit(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("loop", record("loop"))
    builder.add_edge(START, "loop")
    builder.add_edge("loop", "loop")
    with pytest.raises(GraphRecursionError, match=r"^Recursion limit of 4 reached"):
        driver.invoke(builder.compile(), {"log": []}, {"recursion_limit": 4})


def test_two_writes_to_plain_key_fail(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", lambda s: {"value": 1})
    builder.add_node("b", lambda s: {"value": 2})
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    with pytest.raises(InvalidUpdateError, match="Can receive only one value per step"):
        driver.invoke(builder.compile(), {"log": []})


def test_non_dict_return_fails(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", lambda s: 42)
    builder.add_edge(START, "a")
    with pytest.raises(InvalidUpdateError, match=r"^Expected dict, got 42"):
        driver.invoke(builder.compile(), {"log": []})


def test_no_input_and_nothing_to_resume(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_edge(START, "a")
    graph = builder.compile(checkpointer=InMemorySaver())
    with pytest.raises(EmptyInputError):
        driver.invoke(graph, None, {"configurable": {"thread_id": "x"}})


def test_interrupt_then_resume_keeps_finished_sibling(driver: Any) -> None:
    calls: list[str] = []

    def ask(state: State) -> State:
        calls.append("ask")
        return {"log": [interrupt("ok?")]}

    def sibling(state: State) -> State:
        calls.append("sibling")
        return {"log": ["sibling"]}

    builder = StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_node("sibling", sibling)
    builder.add_edge(START, "ask")
    builder.add_edge(START, "sibling")
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    first = driver.invoke(graph, {"log": []}, config)
    assert [i.value for i in first["__interrupt__"]] == ["ok?"]
    assert driver.get_state(graph, config).next == ("ask",)
    done = driver.invoke(graph, Command(resume="yes"), config)
    assert done["log"] == ["yes", "sibling"]
    assert calls == ["ask", "sibling", "ask"]


def test_failed_step_keeps_writes_of_finished_tasks(driver: Any) -> None:
    attempts: list[str] = []

    def flaky(state: State) -> State:
        attempts.append("flaky")
        if len(attempts) == 1:
            raise ValueError("first time fails")
        return {"log": ["flaky"]}

    def steady(state: State) -> State:
        attempts.append("steady")
        return {"log": ["steady"]}

    builder = StateGraph(State)
    builder.add_node("flaky", flaky)
    builder.add_node("steady", steady)
    builder.add_edge(START, "flaky")
    builder.add_edge(START, "steady")
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "f"}}
    with pytest.raises(ValueError, match="first time fails"):
        driver.invoke(graph, {"log": []}, config)
    out = driver.invoke(graph, None, config)
    assert out["log"] == ["flaky", "steady"]
    assert attempts == ["flaky", "steady", "flaky"]


def test_update_state_as_node_routes_from_that_node(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_node("b", record("b"))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile(checkpointer=InMemorySaver(), interrupt_before=["b"])
    config = {"configurable": {"thread_id": "u"}}
    driver.invoke(graph, {"log": []}, config)
    driver.update_state(graph, config, {"log": ["edited"]}, as_node="a")
    assert driver.get_state(graph, config).next == ("b",)
    out = driver.invoke(graph, None, config)
    assert out["log"] == ["a", "edited", "b"]
    sources = [s.metadata["source"] for s in driver.history(graph, config)]
    assert sources == ["loop", "update", "loop", "loop", "input"]


def test_time_travel_forks_from_past_checkpoint(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_node("b", record("b"))
    builder.add_edge(START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "tt"}}
    driver.invoke(graph, {"log": []}, config)
    before_b = next(s for s in driver.history(graph, config) if s.next == ("b",))
    out = driver.invoke(graph, None, before_b.config)
    assert out["log"] == ["a", "b"]
    history = driver.history(graph, config)
    fork = history[1]
    assert fork.metadata["source"] == "fork"
    assert fork.parent_config == before_b.config
    assert history[0].parent_config == fork.config
    assert len(history) == 6


def test_stream_modes_frame_chunks(driver: Any) -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_edge(START, "a")
    graph = builder.compile()
    assert driver.stream(graph, {"log": []}) == [{"a": {"log": ["a"]}}]
    both = driver.stream(graph, {"log": []}, stream_mode=["updates", "values"])
    assert both == [
        ("values", {"log": []}),
        ("updates", {"a": {"log": ["a"]}}),
        ("values", {"log": ["a"]}),
    ]
    v2 = driver.stream(graph, {"log": []}, version="v2", stream_mode="updates")
    assert v2 == [{"type": "updates", "ns": (), "data": {"a": {"log": ["a"]}}}]


def test_compile_rejects_unknown_nodes() -> None:
    builder = StateGraph(State)
    builder.add_node("a", record("a"))
    builder.add_edge(START, "a")
    builder.add_edge("a", "missing")
    with pytest.raises(
        ValueError, match=r"^Found edge ending at unknown node `missing`$"
    ):
        builder.compile()
    with pytest.raises(ValueError, match=r"^Graph must have an entrypoint"):
        StateGraph(State).add_node("x", record("x")).compile()
    with pytest.raises(ValueError, match=r"^Node `a` already present.$"):
        builder.add_node("a", record("a"))


def test_messages_mode_emits_new_messages_from_nodes(driver: Any) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from stategraph.graph import MessagesState

    def reply(state: Any) -> Any:
        return {"messages": [AIMessage("hi", id="m1")]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    chunks = driver.stream(
        builder.compile(),
        {"messages": [HumanMessage("hello", id="h1")]},
        stream_mode="messages",
    )
    assert [(m.id, meta["langgraph_node"]) for m, meta in chunks] == [("m1", "reply")]
