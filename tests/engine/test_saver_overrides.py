"""Saver subclasses that override ``get_next_version``/``put_writes`` are used.

The engine computes versions itself only for savers whose version method is
the stock padded one; an override must see each call, as in LangGraph.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

import langgraph.checkpoint.memory as lgm
import langgraph.graph as lg
import pytest
from typing_extensions import TypedDict

import stategraph.checkpoint.memory as sgm
import stategraph.graph as sg


class State(TypedDict):
    value: Annotated[int, operator.add]


def _builder(module: Any, *, parallel: bool = False) -> Any:
    builder = module.StateGraph(State)
    builder.add_node("one", lambda s: {"value": 1})
    builder.add_node("two", lambda s: {"value": 2})
    builder.add_edge(module.START, "one")
    builder.add_edge("one", "two")
    if parallel:
        builder.add_node("side", lambda s: {"value": 10})
        builder.add_edge(module.START, "side")
    return builder


def _counting_saver(memory: Any) -> Any:
    class Counting(memory.InMemorySaver):  # type: ignore[misc, name-defined]
        calls: list[Any]

        def get_next_version(self, current: Any, channel: None) -> int:
            self.calls.append(current)
            return 1 if current is None else int(current) + 1

    saver = Counting()
    saver.calls = []
    return saver


def _versions(module: Any, memory: Any, driver: Any) -> tuple[Any, ...]:
    saver = _counting_saver(memory)
    graph = _builder(module).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "1"}}
    out = driver.invoke(graph, {"value": 0}, config)
    versions = [t.checkpoint["channel_versions"] for t in saver.list(config)]
    return out, versions, saver.calls


def test_overridden_get_next_version_is_used(driver: Any) -> None:
    ours = _versions(sg, sgm, driver)
    assert ours == _versions(lg, lgm, driver)
    out, versions, calls = ours
    assert out == {"value": 3}
    assert calls[0] is None
    assert all(isinstance(v, int) for cv in versions for v in cv.values())


def test_get_next_version_error_propagates(driver: Any) -> None:
    class Faulty(sgm.InMemorySaver):
        def get_next_version(self, current: Any, channel: None) -> Any:
            raise ValueError("Faulty get_next_version")

    graph = _builder(sg).compile(checkpointer=Faulty())
    with pytest.raises(ValueError, match=r"^Faulty get_next_version$"):
        driver.invoke(graph, {"value": 0}, {"configurable": {"thread_id": "1"}})


def test_put_writes_without_task_path(driver: Any) -> None:
    seen: list[str] = []

    class OldStyle(sgm.InMemorySaver):
        def put_writes(self, config: Any, writes: Any, task_id: str) -> None:
            seen.append(task_id)
            super().put_writes(config, writes, task_id)

        async def aput_writes(self, config: Any, writes: Any, task_id: str) -> None:
            self.put_writes(config, writes, task_id)

    graph = _builder(sg, parallel=True).compile(checkpointer=OldStyle())
    config = {"configurable": {"thread_id": "1"}}
    out = driver.invoke(graph, {"value": 0}, config, durability="async")
    assert out == {"value": 13}
    assert len(seen) == 4  # __start__, one, side, two
