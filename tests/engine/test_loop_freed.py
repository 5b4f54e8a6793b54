"""A finished graph run leaves no reference cycle through its loop.

LangGraph's test_pregel_loop_refcount checks the same with the collector off.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import TypedDict

import pytest

from stategraph._engine._loop import Loop
from stategraph.graph import StateGraph


class State(TypedDict):
    x: int


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
