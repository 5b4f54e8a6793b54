"""``_loopback``: in-process API calls as the calling request's user."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from stategraph.server._auth_request import LOOPBACK_KEY, SCOPE_KEY
from stategraph.server._loopback import Loopback, LoopbackError


class Recorder:
    """An ASGI app answering with ``chunks`` and keeping the scopes it saw."""

    def __init__(self, status: int, chunks: list[bytes]) -> None:
        self.status = status
        self.chunks = chunks
        self.scopes: list[Scope] = []
        self.disconnected = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        await receive()
        await send({"type": "http.response.start", "status": self.status})
        for chunk in self.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        self.disconnected = (await receive())["type"] == "http.disconnect"


def outer(app: Any, **extra: Any) -> Request:
    """A request to a server whose context's app is ``app``."""
    server = SimpleNamespace(state=SimpleNamespace(stategraph=SimpleNamespace(app=app)))
    headers = [(b"authorization", b"Bearer x"), (b"content-length", b"99")]
    scope = {"type": "http", "app": server, "headers": headers, **extra}
    return Request(scope)


@pytest.mark.asyncio
async def test_calls_carry_the_users_auth_and_headers() -> None:
    app = Recorder(200, [b'{"ok":', b" true}"])
    found = await Loopback(outer(app, **{SCOPE_KEY: "alice"})).call(
        "GET", "/x", params={"a": "1"}
    )
    assert found == {"ok": True}
    scope = app.scopes[0]
    assert (scope[SCOPE_KEY], scope[LOOPBACK_KEY]) == ("alice", True)
    headers = dict(scope["headers"])
    assert headers[b"authorization"] == b"Bearer x"
    assert b"content-length" not in headers  # the outer body's, not this one's
    assert scope["query_string"] == b"a=1"


@pytest.mark.asyncio
async def test_error_statuses_raise_with_the_detail() -> None:
    app = Recorder(404, [b'{"detail": "Thread not found"}'])
    with pytest.raises(LoopbackError) as info:
        await Loopback(outer(app)).call("GET", "/threads/x")
    assert (info.value.status, info.value.detail) == (404, "Thread not found")


@pytest.mark.asyncio
async def test_streams_parse_frames_split_anywhere() -> None:
    frames = b'event: a\r\ndata: {"n": 1}\r\n\r\n: heartbeat\r\n\r\n'
    frames += b"event: b\r\ndata: 2\r\n\r\n"
    app = Recorder(200, [frames[i : i + 7] for i in range(0, len(frames), 7)])
    got = [frame async for frame in Loopback(outer(app)).stream("/s", {})]
    assert got == [("a", {"n": 1}), ("b", 2)]
    assert app.disconnected  # asked for more input: told the client is gone
