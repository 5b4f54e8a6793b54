"""A live async stream waits on an ``AsyncQueue``, and never leaves a wait behind.

LangGraph's caller waits for chunks with ``AsyncQueue.wait``; programs (and
LangGraph's own tests) watch that method to check that cancelling a stream
leaves no waiter running. stategraph's driver wakes its caller with a
``Wakeup`` queue, so the same watch sees its waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

import langgraph._internal._queue as lg_queue
import langgraph.graph as lg_graph
import pytest
from typing_extensions import TypedDict

import stategraph._internal._queue as sg_queue
import stategraph.graph as sg_graph


class State(TypedDict, total=False):
    count: int


async def _cancel_mid_stream(graph: Any) -> None:
    started = asyncio.Event()

    async def stuck(state: State) -> State:
        started.set()
        await asyncio.Event().wait()  # until cancelled
        return state

    app = (
        graph.StateGraph(State)
        .add_node("stuck", stuck)
        .add_edge(graph.START, "stuck")
        .compile()
    )

    async def consume() -> None:
        async for _ in app.astream({"count": 0}, stream_mode="messages"):
            pass

    consumer = asyncio.ensure_future(consume())
    await started.wait()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    for _ in range(3):  # let cancelled helpers unwind
        await asyncio.sleep(0)


@pytest.mark.parametrize(
    ("graph", "queue"),
    [(lg_graph, lg_queue), (sg_graph, sg_queue)],
    ids=["langgraph", "stategraph"],
)
def test_cancelled_stream_leaves_no_waiter(
    graph: Any, queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[asyncio.Task[Any]] = []
    ended: list[asyncio.Task[Any]] = []
    original = queue.AsyncQueue.wait

    async def watched(self: Any) -> None:
        task = asyncio.current_task()
        assert task is not None
        waits.append(task)
        try:
            await original(self)
        finally:
            ended.append(task)

    monkeypatch.setattr(queue.AsyncQueue, "wait", watched)
    asyncio.run(_cancel_mid_stream(graph))
    assert waits
    assert set(ended) == set(waits)
    assert all(t.done() for t in waits)


def test_wakeup_is_an_event() -> None:
    async def check() -> list[bool]:
        wakeup = sg_queue.Wakeup()
        seen = [wakeup.empty()]
        wakeup.set()
        wakeup.set()
        await asyncio.wait_for(wakeup.wait(), 1)
        seen.append(wakeup.qsize() == 1)
        wakeup.clear()
        seen.append(wakeup.empty())
        return seen

    assert asyncio.run(check()) == [True, True, True]
