"""In-process calls to the server's own API, made as the calling request's user.

The MCP and A2A endpoints are built on the API itself: a tool call is a
``POST /runs/wait``, an A2A message a run on a thread. LangGraph's server
does this through its SDK over an ASGI transport; here ``Loopback`` drives
the app (``ServerContext.app``) directly, without a socket. Each call
carries the outer request's authentication (already checked by the route's
middleware, so it is not run again) and its headers, so custom auth's
``@auth.on`` handlers and ``configurable_headers`` see what they would for
the user's own call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.types import Message, Scope

from stategraph.server import _json
from stategraph.server._auth_request import LOOPBACK_KEY, SCOPE_KEY
from stategraph.server._context import context

logger = logging.getLogger(__name__)
# Headers describing the outer body or transfer, not the user: never forwarded.
_DROPPED = {b"content-length", b"content-type", b"accept", b"accept-encoding"}
_DROPPED |= {b"transfer-encoding", b"connection", b"host"}


class LoopbackError(Exception):
    """An API call that answered with an error status.

    Attributes:
        status: The HTTP status code.
        detail: The error's ``detail`` (or the whole body when it has none).
    """

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Loopback:
    """Calls to the app serving ``request``, as ``request``'s user."""

    request: Request

    def _scope(self, method: str, path: str, params: dict[str, Any] | None) -> Scope:
        outer = self.request.scope
        headers = [(k, v) for k, v in outer["headers"] if k.lower() not in _DROPPED]
        headers += [
            (b"content-type", b"application/json"),
            (b"accept", b"application/json, text/event-stream"),
        ]
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": outer.get("scheme", "http"),
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": urlencode(params or {}).encode(),
            "headers": headers,
            "client": outer.get("client"),
            "server": outer.get("server"),
            "state": dict(outer.get("state") or {}),
            LOOPBACK_KEY: True,
        }
        for key in (SCOPE_KEY, "user", "auth"):
            if key in outer:
                scope[key] = outer[key]
        return scope

    async def _exchange(
        self, method: str, path: str, body: Any, params: dict[str, Any] | None
    ) -> AsyncGenerator[Message, None]:
        """Run the app on one request; yield what it sends, as it sends it."""
        app = context(self.request).app
        raw = b"" if body is None else _json.dumps(body)
        sent: asyncio.Queue[Message | None] = asyncio.Queue()
        done = asyncio.Event()
        first = True

        async def receive() -> Message:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": raw, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            await sent.put(message)
            if message["type"] == "http.response.body" and not message.get(
                "more_body", False
            ):
                done.set()  # the response is complete: the client is gone

        async def run() -> None:
            try:
                await app(self._scope(method, path, params), receive, send)
            except Exception as exc:  # the app's 500 reply (if sent) went first
                logger.exception("loopback %s %s failed", method, path)
                await sent.put({"type": "loopback.error", "error": exc})
            finally:
                await sent.put(None)

        task = asyncio.create_task(run())
        try:
            while (message := await sent.get()) is not None:
                yield message
        finally:
            done.set()  # a consumer leaving early disconnects the client
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """One API call's decoded JSON reply (``None`` for an empty one).

        Raises:
            LoopbackError: When the API answers with a status of 400 or more.
        """
        status, chunks = 500, []
        exchange = contextlib.aclosing(self._exchange(method, path, body, params))
        async with exchange as messages:
            async for message in messages:
                if message["type"] == "loopback.error":
                    raise LoopbackError(500, _describe(message["error"]))
                if message["type"] == "http.response.start":
                    status = message["status"]
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
        raw = b"".join(chunks)
        data = _json.loads(raw) if raw.strip() else None
        if status >= 400:
            detail = data.get("detail", data) if isinstance(data, dict) else data
            raise LoopbackError(status, detail)
        return data

    async def stream(
        self, path: str, body: Any, params: dict[str, Any] | None = None
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """The ``(event, data)`` frames of a streaming ``POST``.

        Raises:
            LoopbackError: When the API refuses the request.
        """
        status, buffer, error = 500, b"", b""
        exchange = contextlib.aclosing(self._exchange("POST", path, body, params))
        async with exchange as messages:
            async for message in messages:
                if message["type"] == "loopback.error":
                    raise LoopbackError(500, _describe(message["error"]))
                if message["type"] == "http.response.start":
                    status = message["status"]
                if message["type"] != "http.response.body":
                    continue
                if status >= 400:
                    error += message.get("body", b"")
                    continue
                # Joined before normalizing: a CRLF may span two chunks.
                buffer = (buffer + message.get("body", b"")).replace(b"\r\n", b"\n")
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    parsed = _parse_frame(frame)
                    if parsed is not None:
                        yield parsed
        if status >= 400:
            data = _json.loads(error) if error.strip() else None
            detail = data.get("detail", data) if isinstance(data, dict) else data
            raise LoopbackError(status, detail)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _parse_frame(frame: bytes) -> tuple[str, Any] | None:
    """An SSE frame's event name and decoded data (``None``: a comment)."""
    event, data = "message", []
    for line in frame.split(b"\n"):
        if line.startswith(b"event:"):
            event = line[6:].strip().decode()
        elif line.startswith(b"data:"):
            data.append(line[5:].strip())
    if not data:
        return None
    return event, _json.loads(b"\n".join(data))
