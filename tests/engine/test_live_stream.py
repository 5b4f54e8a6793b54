"""Live streams hand over what a node streams while it runs, at once.

A node seen to be quick may run inline (no thread or task hand-off), which
delays its chunks to the step's end. That guess must not hold for a node that
streams while it runs: a chat model answering once from a cache, then
streaming for seconds, must still show its tokens as they come.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from typing_extensions import TypedDict

from stategraph.config import get_stream_writer
from stategraph.graph import START, StateGraph


class State(TypedDict, total=False):
    hold: bool
    done: bool


GATE = threading.Event()
#: Set when a held node stops waiting (released, or out of patience).
WAITED = threading.Event()
#: How long the node waits for the test before giving up (a failed test).
PATIENCE = 5.0


def _sync_node(state: State) -> dict[str, Any]:
    get_stream_writer()({"typing": True})
    if state.get("hold"):
        GATE.wait(PATIENCE)
        WAITED.set()
    return {"done": True}


async def _async_node(state: State) -> dict[str, Any]:
    get_stream_writer()({"typing": True})
    if state.get("hold"):
        await asyncio.to_thread(GATE.wait, PATIENCE)
        WAITED.set()
    return {"done": True}


def _graph(driver: str) -> Any:
    builder = StateGraph(State)
    builder.add_node("type", _sync_node if driver == "sync" else _async_node)
    builder.add_edge(START, "type")
    return builder.compile()


async def _first_custom_while_held(graph: Any, driver: str) -> bool:
    """Run held; whether the custom chunk came while the node still waited."""
    GATE.clear()
    WAITED.clear()
    held: bool | None = None
    if driver == "sync":

        def consume() -> None:
            nonlocal held
            for mode, _ in graph.stream({"hold": True}, stream_mode=["custom"]):
                if held is None and mode == "custom":
                    held = not WAITED.is_set()
                    GATE.set()

        await asyncio.to_thread(consume)
    else:
        async for mode, _ in graph.astream({"hold": True}, stream_mode=["custom"]):
            if held is None and mode == "custom":
                held = not WAITED.is_set()
                GATE.set()
    assert held is not None, "no custom chunk"
    return held


@pytest.mark.asyncio
@pytest.mark.parametrize("driver", ["sync", "async"])
async def test_node_that_streamed_quickly_streams_live_when_slow(driver: str) -> None:
    graph = _graph(driver)
    # Quick runs teach the engine the node is quick...
    for _ in range(3):
        if driver == "sync":
            chunks = list(graph.stream({}, stream_mode=["custom"]))
        else:
            chunks = [c async for c in graph.astream({}, stream_mode=["custom"])]
        assert chunks == [("custom", {"typing": True})]
    # ...yet a slow run's chunk comes while it still runs, not at its end.
    assert await _first_custom_while_held(graph, driver) is True
