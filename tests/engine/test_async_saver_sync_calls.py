"""Sync code inside an async run with an asyncio saver does not deadlock.

A sync node of an ``ainvoke`` run may call a subgraph's blocking ``invoke``;
with an asyncio saver that call waits on the run's own event loop, so the node
must not run on that loop's thread. Reading a subgraph's history through the
async API must not use the saver's blocking methods either.
"""

from __future__ import annotations

import asyncio
from typing import Any

import langgraph.checkpoint.sqlite.aio as lg_aio
import langgraph.graph as lg
import pytest
from typing_extensions import TypedDict

import stategraph.checkpoint.sqlite.aio as sg_aio
import stategraph.graph as sg


class State(TypedDict):
    text: str


def _parent(module: Any, saver: Any) -> Any:
    sub = (
        module.StateGraph(State)
        .add_node("shout", lambda s: {"text": s["text"] + "!"})
        .add_edge(module.START, "shout")
        .compile()
    )

    def call_sub(state: State) -> Any:
        return sub.invoke(state)

    return (
        module.StateGraph(State)
        .add_node("call_sub", call_sub)
        .add_node("nested", sub)
        .add_edge(module.START, "call_sub")
        .add_edge("call_sub", "nested")
        .compile(checkpointer=saver)
    )


async def _run(module: Any, aio: Any) -> tuple[Any, ...]:
    async with aio.AsyncSqliteSaver.from_conn_string(":memory:") as saver:
        graph = _parent(module, saver)
        config = {"configurable": {"thread_id": "1"}}
        out = await asyncio.wait_for(graph.ainvoke({"text": "hi"}, config), 20)
        state = await graph.aget_state(config, subgraphs=True)
        history = [s async for s in graph.aget_state_history(config)]
        ns = [f"nested:{t.id}" for s in history for t in s.tasks if t.name == "nested"]
        sub_config = {"configurable": {"thread_id": "1", "checkpoint_ns": ns[0]}}
        sub_history = [s.values async for s in graph.aget_state_history(sub_config)]
        return out, state.values, len(history), sub_history


def test_sync_subgraph_invoke_with_async_saver() -> None:
    ours = asyncio.run(_run(sg, sg_aio))
    assert ours == asyncio.run(_run(lg, lg_aio))
    out, values, steps, sub_history = ours
    assert out == {"text": "hi!!"}
    assert values == out
    assert steps == 4
    assert sub_history[0] == {"text": "hi!!"}


def test_saver_of_a_stopped_loop_raises_instead_of_hanging() -> None:
    # The saver's loop is not running (a test's fixture loop, a finished
    # asyncio.run): its blocking methods fail at once with what to do.
    loop = asyncio.new_event_loop()
    opened = sg_aio.AsyncSqliteSaver.from_conn_string(":memory:")
    saver = loop.run_until_complete(opened.__aenter__())
    config = {"configurable": {"thread_id": "1"}}
    try:
        graph = _parent(sg, saver)
        with pytest.raises(asyncio.InvalidStateError, match="not running"):
            graph.invoke({"text": "hi"}, config)
    finally:
        loop.run_until_complete(opened.__aexit__(None, None, None))
        loop.close()
    with pytest.raises(asyncio.InvalidStateError, match="is closed"):
        saver.get_tuple(config)
