"""The v3 protocol over WebSockets: ``/threads/{id}/stream/events``.

The Python SDK's ``threads.stream(transport="websocket")`` reads what the SSE
transport reads; one socket carries commands and several subscriptions, as
the JavaScript SDK uses it; the server's auth decides who may connect.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from langgraph_sdk import Auth, get_client, get_sync_client
from test_server_v3_channels import MODES, _build
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from conftest import serve
from stategraph.server import create_app
from stategraph.server._auth import ServerAuth


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    yield from serve(create_app({"chat": _build()}))


@MODES
def test_websocket_transport_reads_what_sse_reads(mode: str, url: str) -> None:
    start: dict[str, Any] = {"messages": []}
    if mode == "sync":
        client = get_sync_client(url=url, api_key=None)
        try:
            with client.threads.stream(
                assistant_id="chat", transport="websocket"
            ) as thread:
                thread.run.start(input=start)
                texts = ["".join(s.text) for s in thread.messages]
                output = thread.output
        finally:
            client.http.client.close()
    else:

        async def main() -> tuple[list[str], Any]:
            aclient = get_client(url=url, api_key=None)
            try:
                async with aclient.threads.stream(
                    assistant_id="chat", transport="websocket"
                ) as thread:
                    await thread.run.start(input=start)
                    streams = [s async for s in thread.messages]
                    found = []
                    for stream in streams:
                        found.append("".join([t async for t in stream.text]))
                    return found, await thread.output
            finally:
                await aclient.http.client.aclose()

        texts, output = asyncio.run(main())
    assert texts == ["Hello, streaming world!"]
    with _build().stream_events({"messages": []}, version="v3") as run:
        local = [m.content for m in run.output["messages"]]
    # A model streamed under v3 ends with content blocks, here as locally.
    assert [m["content"] for m in output["messages"]] == local
    assert local[1] == "result for v3"


def _owner_auth() -> ServerAuth:
    auth = Auth()

    @auth.authenticate
    async def authenticate(request: Any) -> str:
        # ``request`` on a handshake too: the connection, headers and all.
        authorization = request.headers.get("authorization")
        if authorization not in ("Bearer alice", "Bearer eve"):
            raise Auth.exceptions.HTTPException(status_code=401, detail="Who?")
        return str(authorization).removeprefix("Bearer ")

    @auth.on
    async def owner(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> Any:
        value.setdefault("metadata", {})["owner"] = ctx.user.identity
        return {"owner": ctx.user.identity}

    return ServerAuth(auth)


def test_websocket_streams_answer_to_the_servers_auth() -> None:
    app = create_app({"chat": _build()}, auth=_owner_auth())
    for served in serve(app):
        alice = {"Authorization": "Bearer alice"}
        client = get_sync_client(url=served, api_key=None, headers=alice)
        try:
            with client.threads.stream(
                assistant_id="chat", headers=alice, transport="websocket"
            ) as thread:
                thread.run.start(input={"messages": []})
                assert len(thread.output["messages"]) == 2
                thread_id = thread.thread_id
        finally:
            client.http.client.close()
        socket_url = (
            served.replace("http", "ws") + f"/threads/{thread_id}/stream/events"
        )
        # No token, and another user's token, are refused at the handshake.
        for headers in ({}, {"Authorization": "Bearer eve"}):
            with pytest.raises(InvalidStatus, match="403"):
                connect(socket_url, additional_headers=headers).close()
        with connect(socket_url, additional_headers=alice) as socket:
            subscribe = {"channels": ["lifecycle"]}
            socket.send(
                json.dumps(
                    {"id": 1, "method": "subscription.subscribe", "params": subscribe}
                )
            )
            reply = json.loads(socket.recv(timeout=30))
            assert (reply["type"], reply["id"]) == ("success", 1)
            # The finished run replays: its root ends ``completed``.
            events = [json.loads(socket.recv(timeout=30)) for _ in range(2)]
            ends = [e["params"]["data"]["event"] for e in events]
            assert ends == ["running", "completed"]


def _recv(socket: Any) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(socket.recv(timeout=30))
    return found


def test_one_socket_carries_commands_and_several_subscriptions(url: str) -> None:
    # The JS SDK's way: a run started over the socket, then subscriptions.
    thread_id = str(uuid.uuid4())
    socket_url = url.replace("http", "ws") + f"/threads/{thread_id}/stream/events"
    with connect(socket_url) as socket:
        params = {"assistant_id": "chat", "input": {"messages": []}}
        socket.send(json.dumps({"id": 1, "method": "run.start", "params": params}))
        started = _recv(socket)
        assert (started["type"], started["id"]) == ("success", 1)
        floor = started["meta"]["applied_through_seq"]
        lifecycle = {"channels": ["lifecycle"], "namespaces": [[]], "depth": 0}
        for command_id, filter_ in ((2, lifecycle), (3, {"channels": ["tools"]})):
            command = {"id": command_id, "method": "subscription.subscribe"}
            socket.send(json.dumps({**command, "params": filter_}))
        replies: list[int] = []
        events: dict[str, dict[str, Any]] = {}
        while len(replies) < 2 or len(events) < 4:
            message = _recv(socket)
            if message["type"] == "success":
                replies.append(message["id"])
            else:
                events[message["event_id"]] = message
        unknown = {"id": 4, "method": "subscription.unsubscribe", "params": {}}
        socket.send(json.dumps(unknown))
        assert _recv(socket)["error"] == "no_such_subscription"
    assert replies == [2, 3]
    seen = sorted(events.values(), key=lambda e: e["seq"])
    kinds = [(e["method"], e["params"]["data"]["event"]) for e in seen]
    assert kinds == [
        ("lifecycle", "running"),
        ("tools", "tool-started"),
        ("tools", "tool-finished"),
        ("lifecycle", "completed"),
    ]
    assert all(e["seq"] > floor for e in seen)
