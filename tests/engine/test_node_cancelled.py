"""A node raising ``CancelledError`` itself fails with ``NodeCancelledError``."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

import pytest

from stategraph.errors import NodeCancelledError
from stategraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    vals: Annotated[list[str], operator.add]


def _graph(is_async: bool) -> Any:
    async def aboom(state: State) -> State:
        raise asyncio.CancelledError("raised by the node")

    def boom(state: State) -> State:
        raise asyncio.CancelledError("raised by the node")

    def ok(state: State) -> State:
        return {"vals": ["ok"]}

    builder: StateGraph[State] = StateGraph(State)
    builder.add_node("ok", ok)
    builder.add_node("boom", aboom if is_async else boom)
    builder.add_edge(START, "ok")
    builder.add_edge(START, "boom")
    builder.add_edge("ok", END)
    builder.add_edge("boom", END)
    return builder.compile()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_node_raising_cancelled_error_fails_the_run(mode: str) -> None:
    graph = _graph(is_async=mode == "async")

    def run() -> Any:
        if mode == "sync":
            return graph.invoke({"vals": []})
        return asyncio.run(graph.ainvoke({"vals": []}))

    with pytest.raises(NodeCancelledError) as info:
        run()
    assert info.value.node == "boom"
    assert isinstance(info.value.__cause__, asyncio.CancelledError)


def test_cancelling_the_caller_still_cancels_the_run() -> None:
    started = asyncio.Event()

    async def wait(state: State) -> State:
        started.set()
        await asyncio.sleep(60)
        return {"vals": ["late"]}

    builder: StateGraph[State] = StateGraph(State)
    builder.add_node("wait", wait)
    builder.add_edge(START, "wait")
    builder.add_edge("wait", END)
    graph = builder.compile()

    async def main() -> None:
        run = asyncio.create_task(graph.ainvoke({"vals": []}))
        await started.wait()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(main())
