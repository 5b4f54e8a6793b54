"""The v3 ``messages`` and ``tools`` channels and the WebSocket transport.

A chat model streaming inside a node reaches ``run.messages`` of a remote v3
run as it does a local one; a tool call reaches ``tool_calls`` with its
lifecycle; ``threads.stream(transport="websocket")`` reads the same events
as the SSE transport. Each test runs with the sync and the async client.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import httpx
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, ToolCall
from langchain_core.tools import tool
from langgraph_sdk import get_client, get_sync_client

from conftest import serve
from stategraph.graph import END, START, StateGraph
from stategraph.graph.message import add_messages
from stategraph.pregel.remote import RemoteGraph
from stategraph.server import create_app


class State(TypedDict):
    messages: Annotated[list[Any], add_messages]


@tool
def search(query: str) -> str:
    """Look ``query`` up."""
    return f"result for {query}"


def _chat(state: State) -> dict[str, Any]:
    reply = AIMessage(content="Hello, streaming world!", id="ai-1")
    model = GenericFakeChatModel(messages=iter([reply]))
    return {"messages": [model.invoke(state["messages"])]}


def _act(state: State) -> dict[str, Any]:
    call = ToolCall(name="search", args={"query": "v3"}, id="tc-1", type="tool_call")
    return {"messages": [search.invoke(call)]}


def _build() -> Any:
    builder: StateGraph[Any] = StateGraph(State)
    builder.add_node("chat", _chat)
    builder.add_node("act", _act)
    builder.add_edge(START, "chat")
    builder.add_edge("chat", "act")
    builder.add_edge("act", END)
    return builder.compile()


def _nested() -> Any:
    """The chat graph as the one node of an outer graph."""
    outer: StateGraph[Any] = StateGraph(State)
    outer.add_node("inner", _build())
    outer.add_edge(START, "inner")
    return outer.compile()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    yield from serve(create_app({"chat": _build(), "nested": _nested()}))


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


def _texts_sync(streams: list[Any]) -> list[tuple[str | None, str]]:
    return [(s.node, "".join(s.text)) for s in streams]


def test_local_run_streams_the_model_tokens() -> None:
    with _build().stream_events({"messages": []}, version="v3") as run:
        local = _texts_sync(list(run.messages))
    assert local == [("chat", "Hello, streaming world!")]


def _remote(mode: str, url: str, read: Any, aread: Any) -> Any:
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    remote = RemoteGraph("chat", url=url)
    assert remote.sync_client is not None
    assert remote.client is not None
    if mode == "sync":
        try:
            with remote.stream_events({"messages": []}, config, version="v3") as run:
                return read(run)
        finally:
            remote.sync_client.http.client.close()

    async def main() -> Any:
        try:
            run = await remote.astream_events({"messages": []}, config, version="v3")
            async with run:
                return await aread(run)
        finally:
            assert remote.client is not None
            await remote.client.http.client.aclose()

    return asyncio.run(main())


@MODES
def test_messages_stream_the_model_tokens_like_the_local_run(
    mode: str, url: str
) -> None:
    async def aread(run: Any) -> Any:
        # The outer iterator is drained first: reading a stream's text while
        # it waits for the next message would block (as in the SDK's tests).
        streams = [s async for s in run.messages]
        found = []
        for stream in streams:
            found.append((stream.node, "".join([t async for t in stream.text])))
        return found

    got = _remote(mode, url, lambda run: _texts_sync(list(run.messages)), aread)
    # Only model output: the tool's message is not on the root's channel.
    assert got == [("chat", "Hello, streaming world!")]


@MODES
def test_subgraph_handles_stream_their_models_tokens(mode: str, url: str) -> None:
    start: dict[str, Any] = {"messages": []}
    if mode == "sync":
        client = get_sync_client(url=url, api_key=None)
        try:
            with client.threads.stream(assistant_id="nested") as thread:
                thread.run.start(input=start)
                handles = list(thread.subgraphs)
                # Each handle's streams are drained before their text is read.
                found = [(h.graph_name, list(h.messages)) for h in handles]
                got = [(name, ["".join(s.text) for s in ms]) for name, ms in found]
        finally:
            client.http.client.close()
    else:

        async def main() -> list[tuple[str | None, list[str]]]:
            aclient = get_client(url=url, api_key=None)
            try:
                async with aclient.threads.stream(assistant_id="nested") as thread:
                    await thread.run.start(input=start)
                    handles = [h async for h in thread.subgraphs]
                    texts = []
                    for handle in handles:
                        streams = [s async for s in handle.messages]
                        words = []
                        for stream in streams:
                            words.append("".join([t async for t in stream.text]))
                        texts.append((handle.graph_name, words))
                    return texts
            finally:
                await aclient.http.client.aclose()

        got = asyncio.run(main())
    # The root has no model; the subgraph's model streams under its handle.
    assert got == [("inner", ["Hello, streaming world!"])]


def _describe(handle: Any, deltas: list[str], output: Any) -> dict[str, Any]:
    return {
        "id": handle.tool_call_id,
        "name": handle.name,
        "input": handle.input,
        "deltas": deltas,
        "content": output["content"],
        "status": output["status"],
    }


@MODES
def test_tool_calls_carry_the_tool_lifecycle(mode: str, url: str) -> None:
    def read(run: Any) -> Any:
        handles = list(run.tool_calls)
        return [_describe(h, list(h.deltas), h.output) for h in handles]

    async def aread(run: Any) -> Any:
        handles = [h async for h in run.tool_calls]
        found = []
        for handle in handles:
            deltas = [d async for d in handle.deltas]
            found.append(_describe(handle, deltas, await handle.output))
        return found

    got = _remote(mode, url, read, aread)
    assert got == [
        {
            "id": "tc-1",
            "name": "search",
            "input": {"query": "v3"},
            "deltas": [],
            "content": "result for v3",
            "status": "success",
        }
    ]


def _run_events(
    url: str, body: dict[str, Any], thread_id: str | None = None, since: int = -1
) -> list[dict[str, Any]]:
    """Start a run with a raw command and read every event until its end."""
    thread_id = thread_id or str(uuid.uuid4())
    with httpx.Client(base_url=url, timeout=30) as client:
        reply = client.post(f"/threads/{thread_id}/commands", json=body).json()
        assert reply["type"] == "success", reply
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"channels": ["messages", "tools", "lifecycle"]}
        if since >= 0:
            request["since"] = since
        with client.stream(
            "POST", f"/threads/{thread_id}/stream/events", json=request
        ) as response:
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                events.append(httpx.Response(200, content=line[6:]).json())
                last = events[-1]["params"]
                if not last["namespace"] and last["data"].get("event") == "completed":
                    return events
    raise AssertionError("the stream ended before the run did")


def test_wire_events_match_langgraph_servers_shapes(url: str) -> None:
    body = {
        "id": 1,
        "method": "run.start",
        "params": {"assistant_id": "chat", "input": {"messages": []}},
    }
    events = _run_events(url, body)
    tools = [e["params"]["data"]["event"] for e in events if e["method"] == "tools"]
    assert tools == ["tool-started", "tool-finished"]
    root = [
        e for e in events if e["method"] == "messages" and not e["params"]["namespace"]
    ]
    start = root[0]["params"]["data"]
    assert start["event"] == "message-start"
    assert start["metadata"] == {"langgraph_node": "chat"}
    # Every event of the message carries its id, so concurrent models route.
    assert {e["params"]["data"]["id"] for e in root} == {start["id"]}
    assert root[-1]["params"]["data"]["event"] == "message-finish"
    # The finished tool's message is mirrored under ``tools:<call id>``.
    mirrored = [
        e["params"]["data"]
        for e in events
        if e["method"] == "messages" and e["params"]["namespace"] == ["tools:tc-1"]
    ]
    assert [d["event"] for d in mirrored][0::4] == ["message-start", "message-finish"]
    assert mirrored[0]["role"] == "tool"
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)


def test_a_deleted_threads_runs_are_not_replayed(url: str) -> None:
    thread_id = str(uuid.uuid4())
    body = {
        "id": 1,
        "method": "run.start",
        "params": {"assistant_id": "chat", "input": {"messages": []}},
    }
    first = {e["event_id"].split(".")[0] for e in _run_events(url, body, thread_id)}
    assert httpx.delete(f"{url}/threads/{thread_id}").status_code == 204
    # The id is taken again: a new thread, whose streams know only its runs,
    # even when asked for every retained event (``since=0``).
    events = _run_events(url, body, thread_id, since=0)
    again = {e["event_id"].split(".")[0] for e in events}
    assert len(first) == len(again) == 1
    assert first != again


@MODES
def test_rest_runs_stream_the_tools_mode(mode: str, url: str) -> None:
    # ``tools`` is a stream mode of the SDK's ``StreamMode`` on REST runs too.
    start: dict[str, Any] = {"messages": []}
    if mode == "sync":
        client = get_sync_client(url=url, api_key=None)
        try:
            parts = list(
                client.runs.stream(None, "chat", input=start, stream_mode="tools")
            )
        finally:
            client.http.client.close()
    else:

        async def main() -> list[Any]:
            aclient = get_client(url=url, api_key=None)
            try:
                stream = aclient.runs.stream(
                    None, "chat", input=start, stream_mode="tools"
                )
                return [part async for part in stream]
            finally:
                await aclient.http.client.aclose()

        parts = asyncio.run(main())
    tools = [(p.event, p.data["event"], p.data["tool_call_id"]) for p in parts[1:]]
    assert tools == [
        ("tools", "tool-started", "tc-1"),
        ("tools", "tool-finished", "tc-1"),
    ]
