"""An idle timeout counts from the node's last progress, not from its start."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

import pytest

from stategraph.config import get_stream_writer
from stategraph.errors import NodeTimeoutError
from stategraph.graph import END, START, StateGraph
from stategraph.runtime import Runtime
from stategraph.types import TimeoutPolicy

IDLE = 0.8
BEATS = 40
BEAT = 0.04  # BEATS * BEAT is well past IDLE; each gap is far below it


class State(TypedDict, total=False):
    n: int


Progress = Callable[[Runtime[Any]], None]


def _custom_write(runtime: Runtime[Any]) -> None:
    get_stream_writer()({"beat": 1})


def _heartbeat(runtime: Runtime[Any]) -> None:
    runtime.heartbeat()


def _graph(node: Callable[..., Awaitable[Any]], **policy: Any) -> Any:
    builder: StateGraph[State] = StateGraph(State)
    builder.add_node("work", node, timeout=TimeoutPolicy(idle_timeout=IDLE, **policy))
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    return builder.compile()


def _beating(progress: Progress) -> Callable[..., Awaitable[Any]]:
    async def work(state: State, runtime: Runtime[Any]) -> State:
        for _ in range(BEATS):
            await asyncio.sleep(BEAT)
            progress(runtime)
        return {"n": 1}

    return work


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "progress", [_custom_write, _heartbeat], ids=["custom", "beat"]
)
async def test_progress_keeps_a_long_node_alive(progress: Progress) -> None:
    graph = _graph(_beating(progress))
    chunks = [
        c async for c in graph.astream({"n": 0}, stream_mode=["custom", "values"])
    ]
    assert chunks[-1] == ("values", {"n": 1})


@pytest.mark.asyncio
async def test_custom_writes_do_not_count_when_only_heartbeats_refresh() -> None:
    graph = _graph(_beating(_custom_write), refresh_on="heartbeat")
    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await graph.ainvoke({"n": 0})


@pytest.mark.asyncio
async def test_a_silent_node_still_times_out() -> None:
    async def silent(state: State) -> State:
        await asyncio.sleep(IDLE * 3)
        return {"n": 1}

    with pytest.raises(NodeTimeoutError, match="idle timeout"):
        await _graph(silent).ainvoke({"n": 0})


@pytest.mark.asyncio
async def test_attempt_observer_hears_the_end_before_the_error_handler() -> None:
    from stategraph._constants import CONFIG_KEY_TIMED_ATTEMPT_OBSERVER

    events: list[Any] = []

    async def silent(state: State) -> State:
        await asyncio.sleep(IDLE * 3)
        return {"n": 1}

    async def handler(state: State) -> State:
        events.append("handler")
        return {"n": -1}

    builder: StateGraph[State] = StateGraph(State)
    builder.add_node(
        "work",
        silent,
        timeout=TimeoutPolicy(idle_timeout=IDLE / 4),
        error_handler=handler,
    )
    builder.add_edge(START, "work")
    config: Any = {"configurable": {CONFIG_KEY_TIMED_ATTEMPT_OBSERVER: events.append}}
    assert await builder.compile().ainvoke({"n": 0}, config) == {"n": -1}
    kinds = [e if isinstance(e, str) else (e.event, e.status) for e in events]
    assert kinds == [("start", None), ("finish", "error"), "handler"]
    assert events[1].error_type == "NodeTimeoutError"
    assert events[0].context.task_name == "work"
