"""The v3 protocol over a WebSocket: ``/threads/{thread_id}/stream/events``.

Every text frame a client sends is a command (``subscription.subscribe``,
``subscription.unsubscribe``, ``run.start``, ``input.respond``) answered by
a ``success`` or ``error`` envelope; events go out as JSON text frames. The
Python SDK (``threads.stream(..., transport="websocket")``) opens a socket
per event stream and subscribes once; the JavaScript SDK sends all of a
thread stream's commands and subscriptions over one socket.

As on LangGraph's server, a socket follows the thread from the moment it
connects (one reader of the thread, see ``_protocol_session``) and sends
each event once, in order, when any subscription wants it; a new
subscription first gets the current run's events it matches again (the
SDKs drop the ones they have by ``event_id``). Events of runs older than
one this socket started are not sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from stategraph.errors import GraphBubbleUp
from stategraph.server import _json
from stategraph.server._auth_guards import thread_for
from stategraph.server._context import context
from stategraph.server._http import ApiError, parse_uuid
from stategraph.server._protocol_events import EventFilter
from stategraph.server._protocol_session import follow_thread
from stategraph.server._sse import HEARTBEAT_SECONDS

__all__ = ("websocket_route",)

logger = logging.getLogger(__name__)

#: Events of the current run a socket keeps to replay to new subscriptions.
_HISTORY_LIMIT = 10_000


class _Session:
    """One socket: its subscriptions and its reader of the thread."""

    def __init__(self, websocket: WebSocket, thread_id: str) -> None:
        self.websocket = websocket
        self.thread_id = thread_id
        #: Subscription id -> (filter, ``since``).
        self.subscriptions: dict[str, tuple[EventFilter, int]] = {}
        self._next_id = 0
        #: Events up to this seq belong to runs before one this socket started.
        self.floor = -1
        self._history: list[dict[str, Any]] = []
        self._run: str | None = None
        # Held while an event is sent or a subscription replays, so that a
        # socket's events go out in order and a replay is not interleaved.
        self._lock = asyncio.Lock()

    async def send(self, message: Any) -> None:
        """Send one JSON text frame."""
        await self.websocket.send_text(_json.dumps(message).decode())

    def _wanted(self, event: dict[str, Any]) -> bool:
        return any(
            event["seq"] > since and wanted.matches(event)
            for wanted, since in self.subscriptions.values()
        )

    async def follow(self) -> None:
        """Send the thread's events (run as a task for the socket's life)."""
        ctx = context(self.websocket)
        async for event in follow_thread(ctx, self.thread_id, None, HEARTBEAT_SECONDS):
            # Heartbeats are the client's pings on a WebSocket.
            if event is None or event["seq"] <= self.floor:
                continue
            async with self._lock:
                run = event["event_id"].rpartition(".")[0]
                if run != self._run:
                    self._run, self._history = run, []
                if len(self._history) < _HISTORY_LIMIT:
                    self._history.append(event)
                if self._wanted(event):
                    await self.send(event)

    async def subscribe(self, command_id: int, params: Any) -> None:
        """Add a subscription, answer, then replay the current run's matches."""
        from stategraph.server._protocol import error_reply, parse_filter

        try:
            wanted, since = parse_filter(params if isinstance(params, dict) else {})
        except ApiError as exc:
            await self.send(
                error_reply(command_id, "invalid_argument", str(exc.detail))
            )
            return
        async with self._lock:
            self._next_id += 1
            subscription_id = f"sub-{self._next_id}"
            self.subscriptions[subscription_id] = (
                wanted,
                -1 if since is None else since,
            )
            await self.send(_success(command_id, {"subscription_id": subscription_id}))
            for event in self._history:
                if (since is None or event["seq"] > since) and wanted.matches(event):
                    await self.send(event)

    async def command(self, command: dict[str, Any]) -> None:
        """Carry out a ``run.start`` / ``input.respond`` and answer it."""
        from stategraph.server._protocol import run_command

        reply = await run_command(self.websocket, self.thread_id, command)
        applied = (reply.get("meta") or {}).get("applied_through_seq")
        async with self._lock:
            if isinstance(applied, int):
                self.floor = max(self.floor, applied)
            await self.send(reply)


def _success(command_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"type": "success", "id": command_id, "result": result, "meta": {}}


async def _handle(session: _Session, command: Any) -> None:
    """Carry out one command frame and send its answer."""
    from stategraph.server._protocol import error_reply

    if (
        not isinstance(command, dict)
        or not isinstance(command.get("id"), int)
        or not isinstance(command.get("method"), str)
    ):
        found = command.get("id") if isinstance(command, dict) else None
        message = "Protocol commands must include an integer id and string method."
        async with session._lock:
            await session.send(error_reply(found, "invalid_argument", message))
        return
    command_id, method = command["id"], command["method"]
    params = command.get("params") or {}
    if method == "subscription.subscribe":
        await session.subscribe(command_id, params)
    elif method == "subscription.unsubscribe":
        found = session.subscriptions.pop(str(params.get("subscription_id")), None)
        reply = (
            _success(command_id, {})
            if found is not None
            else error_reply(
                command_id, "no_such_subscription", "No such subscription."
            )
        )
        async with session._lock:
            await session.send(reply)
    else:
        await session.command(command)


async def _serve(session: _Session) -> None:
    while True:
        raw = await session.websocket.receive_text()
        try:
            command = _json.loads(raw.encode())
        except ValueError:
            command = None
        await _handle(session, command)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except GraphBubbleUp:
        raise
    except Exception:  # a send to the closed socket: it is gone anyway
        logger.debug("protocol socket reader ended", exc_info=True)


async def protocol_socket(websocket: WebSocket) -> None:
    """WebSocket /threads/{thread_id}/stream/events: commands in, events out."""
    try:
        thread_id = parse_uuid(websocket.path_params["thread_id"], "thread ID")
        ctx = context(websocket)
        if await ctx.storage.get_thread(thread_id) is not None:
            await thread_for(websocket, "read", thread_id)
    except ApiError:
        # Refused before the handshake completes: the client sees a 403.
        await websocket.close(code=1008)
        return
    await websocket.accept()
    session = _Session(websocket, thread_id)
    reader = asyncio.get_running_loop().create_task(session.follow())
    try:
        await _serve(session)
    except WebSocketDisconnect:
        pass
    finally:
        await _stop(reader)


websocket_route = WebSocketRoute("/threads/{thread_id}/stream/events", protocol_socket)
