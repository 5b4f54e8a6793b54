"""A finished graph run leaves no reference cycle through its loop.

LangGraph's test_pregel_loop_refcount checks the same with the collector off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any, TypedDict

import pytest

from stategraph._engine._loop import Loop
from stategraph.graph import StateGraph


class State(TypedDict):
    x: int


class Pair(TypedDict, total=False):
    a: int
    b: int


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _loops() -> int:
    return sum(isinstance(obj, Loop) for obj in gc.get_objects())


@pytest.mark.asyncio
@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.usefixtures("no_gc")
async def test_finished_runs_are_freed_without_the_cycle_collector(
    is_async: bool,
) -> None:
    def step(state: State) -> State:
        return {"x": state["x"] + 1}

    builder = StateGraph(State)
    builder.add_node("a", step)
    builder.add_node("b", step)
    builder.set_entry_point("a")
    builder.add_edge("a", "b")
    graph = builder.compile()

    # Loops other tests left to the collector do not count; ours must not add.
    before = _loops()
    for _ in range(3):
        if is_async:
            assert (await graph.ainvoke({"x": 0}))["x"] == 2
        else:
            assert graph.invoke({"x": 0})["x"] == 2
        assert _loops() <= before


def test_a_step_the_watchdog_escalated_is_freed() -> None:
    started = {"a": threading.Event(), "b": threading.Event()}
    block = False

    def node(me: str, other: str) -> Any:
        def run(state: Pair) -> Pair:
            started[me].set()
            if block:
                # Whichever runs first (inline) waits for the other, which
                # only starts once the watchdog hands it to a worker thread.
                assert started[other].wait(timeout=30)
            return {me: 1}  # type: ignore[misc]

        return run

    builder = StateGraph(Pair)
    builder.add_node("a", node("a", "b"))
    builder.add_node("b", node("b", "a"))
    builder.add_edge("__start__", "a")
    builder.add_edge("__start__", "b")
    graph = builder.compile()
    for _ in range(3):  # until both nodes are known to be quick: run inline
        graph.invoke({})
    block = True
    for event in started.values():
        event.clear()
    assert graph.invoke({}) == {"a": 1, "b": 1}
    gc.collect()
    # The watchdog thread kept the last step it escalated (and its run) alive.
    assert not [o for o in gc.get_objects() if isinstance(o, Loop) and o.graph is graph]
