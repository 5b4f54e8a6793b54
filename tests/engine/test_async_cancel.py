"""Cancelling an async run cancels its nodes and keeps what LangGraph keeps."""

from __future__ import annotations

import asyncio
import operator
from contextlib import aclosing, suppress
from typing import Annotated, Any

import langgraph.checkpoint.memory as lgm
import langgraph.graph as lg
from typing_extensions import TypedDict

import stategraph.checkpoint.memory as sgm
import stategraph.graph as sg


class State(TypedDict):
    value: Annotated[int, operator.add]


class Forever:
    """A node that waits until cancelled, recording that it was."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def __call__(self, state: State) -> dict[str, int]:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return {"value": 100}


def _graph(module: Any, memory: Any, node: Forever, *, alone: bool = False) -> Any:
    if alone:
        builder = module.StateGraph(State)
        builder.add_node("forever", node)
        builder.add_edge(module.START, "forever")
        return builder.compile(checkpointer=memory.InMemorySaver())

    async def quick(state: State) -> dict[str, int]:
        await node.started.wait()
        return {"value": 2}

    builder = module.StateGraph(State)
    builder.add_node("quick", quick)
    builder.add_node("forever", node)
    builder.add_edge(module.START, "quick")
    builder.add_edge(module.START, "forever")
    return builder.compile(checkpointer=memory.InMemorySaver())


async def _close_stream(module: Any, memory: Any) -> tuple[Any, ...]:
    node = Forever()
    graph = _graph(module, memory, node)
    config = {"configurable": {"thread_id": "1"}}
    async with aclosing(graph.astream({"value": 1}, config)) as stream:
        first = await anext(stream)
    state = await graph.aget_state(config)
    return first, node.cancelled, state.values, state.next


async def _cancel_invoke(module: Any, memory: Any) -> tuple[Any, ...]:
    node = Forever()
    graph = _graph(module, memory, node, alone=True)
    config = {"configurable": {"thread_id": "1"}}
    run = asyncio.ensure_future(graph.ainvoke({"value": 1}, config, durability="exit"))
    await node.started.wait()
    run.cancel()
    with suppress(asyncio.CancelledError):
        await run
    state = await graph.aget_state(config)
    return run.cancelled(), node.cancelled, state.values, state.next


def test_closing_astream_cancels_running_nodes() -> None:
    ours = asyncio.run(_close_stream(sg, sgm))
    assert ours == asyncio.run(_close_stream(lg, lgm))
    assert ours[0] == {"quick": {"value": 2}}
    assert ours[1] is True


def test_cancelled_ainvoke_saves_exit_checkpoint() -> None:
    ours = asyncio.run(_cancel_invoke(sg, sgm))
    assert ours == asyncio.run(_cancel_invoke(lg, lgm))
    assert ours == (True, True, {"value": 1}, ("forever",))
