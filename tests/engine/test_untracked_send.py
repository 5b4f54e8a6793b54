"""``UntrackedValue`` values never reach the saver, not even inside a ``Send``."""

from __future__ import annotations

import operator
import threading
from typing import Annotated, Any

import langgraph.checkpoint.memory as lgm
import langgraph.graph as lg
import langgraph.types as lgt
import pytest
from langgraph.channels import UntrackedValue as LgUntracked
from typing_extensions import TypedDict

import stategraph.checkpoint.memory as sgm
import stategraph.graph as sg
import stategraph.types as sgt
from stategraph.channels import UntrackedValue as SgUntracked


class Resource:
    """Holds a lock, so no serialiser can store it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()


def _graph(module: Any, types: Any, untracked: Any, memory: Any) -> Any:
    # Built at run time: the channel class differs per implementation.
    fields = {
        "log": Annotated[list[str], operator.add],
        "resource": Annotated[Any, untracked],
    }
    State: Any = TypedDict("State", fields)  # type: ignore[operator]

    def setup(state: Any) -> dict[str, Any]:
        return {"log": ["setup"], "resource": Resource("first")}

    def fan_out(state: Any) -> list[Any]:
        return [types.Send("tool", state)]

    def tool(state: Any) -> dict[str, Any]:
        return {"log": [f"used {state['resource'].name}"], "resource": Resource("b")}

    builder = module.StateGraph(State)
    builder.add_node("setup", setup)
    builder.add_node("tool", tool)
    builder.add_edge(module.START, "setup")
    builder.add_conditional_edges("setup", fan_out)
    return builder.compile(checkpointer=memory.InMemorySaver())


def _run(impl: tuple[Any, ...], driver: Any, durability: str) -> tuple[Any, ...]:
    graph = _graph(*impl)
    config = {"configurable": {"thread_id": "1"}}
    out = driver.invoke(graph, {"log": []}, config, durability=durability)
    state = driver.get_state(graph, config)
    saved = [
        (t.checkpoint["channel_values"], [w[1:] for w in t.pending_writes or []])
        for t in graph.checkpointer.list(config)
    ]
    return out["log"], out["resource"].name, state.values, repr(saved)


LG = (lg, lgt, LgUntracked, lgm)
SG = (sg, sgt, SgUntracked, sgm)


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_send_with_untracked_value_matches_langgraph(
    driver: Any, durability: str
) -> None:
    ours = _run(SG, driver, durability)
    assert ours == _run(LG, driver, durability)
    log, name, values, saved = ours
    assert log == ["setup", "used first"]
    assert name == "b"
    assert "resource" not in values
    assert "Resource" not in saved
