"""LangGraph's ``RemoteGraph`` against our server, alone and as a local node.

The local graph embedding it is LangGraph's own: stategraph has no
``RemoteGraph`` yet, and LangGraph's raises LangGraph's ``GraphInterrupt``,
which stategraph's engine does not treat as an interrupt.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from _server_graphs import AgentState
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.pregel.remote import RemoteGraph

from conftest import HI, Api

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def remote(api: Api) -> AsyncIterator[RemoteGraph]:
    graph = RemoteGraph("agent", url=api.url)
    try:
        yield graph
    finally:
        assert graph.sync_client is not None
        assert graph.client is not None
        graph.sync_client.http.client.close()
        await graph.client.http.client.aclose()


async def _call(api: Api, graph: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``graph.<name>`` in the test's mode: sync in a thread, or ``a<name>``."""
    if api.mode == "sync":

        def run() -> Any:
            result = getattr(graph, name)(*args, **kwargs)
            return list(result) if name in ("stream", "get_state_history") else result

        return await asyncio.to_thread(run)
    result = getattr(graph, f"a{name}")(*args, **kwargs)
    if name in ("stream", "get_state_history"):
        return [item async for item in result]
    return await result


async def test_remote_graph_invoke_state_and_history(
    api: Api, remote: RemoteGraph
) -> None:
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    out = await _call(api, remote, "invoke", HI, config)
    assert out["log"] == ["chat"]
    state = await _call(api, remote, "get_state", config)
    assert state.values["log"] == ["chat"]
    assert state.next == ()
    assert state.metadata["source"] == "loop"
    updated = await _call(api, remote, "update_state", config, {"log": ["x"]})
    assert updated["configurable"]["checkpoint_id"]
    history = await _call(api, remote, "get_state_history", config)
    assert history[0].values["log"] == ["chat", "x"]
    assert (
        history[0].config["configurable"]["checkpoint_id"]
        == (updated["configurable"]["checkpoint_id"])
    )
    chunks = await _call(api, remote, "stream", HI, config, stream_mode="updates")
    assert [next(iter(c)) for c in chunks] == ["hold", "chat", "sub", "review"]
    drawn = await asyncio.to_thread(remote.get_graph)
    assert "chat" in {node.id for node in drawn.nodes.values()}


async def test_remote_graph_as_a_node_propagates_interrupts(
    api: Api, remote: RemoteGraph
) -> None:
    builder = StateGraph(AgentState)
    builder.add_node("remote", remote)
    builder.add_edge(START, "remote")
    local = builder.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    paused = await _call(api, local, "invoke", {**HI, "need_review": True}, config)
    assert paused["__interrupt__"][0].value == {"question": "ok?"}
    state = await _call(api, local, "get_state", config)
    assert state.next == ("remote",)
