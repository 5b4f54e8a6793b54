"""The v3 protocol over a WebSocket: ``/threads/{thread_id}/stream/events``.

``langgraph_sdk``'s ``threads.stream(..., transport="websocket")`` opens one
socket per event stream and sends ``subscription.subscribe`` with the filter
it would have posted to the SSE route. As on LangGraph's server, every text
frame the client sends is a command (``subscription.subscribe``,
``subscription.unsubscribe``, ``run.start``, ``input.respond``) answered by a
``success`` or ``error`` envelope; events are sent as JSON text frames, once
per socket even when several subscriptions match.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
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

#: Event ids a socket remembers to send an event once to all subscriptions.
_DEDUP_WINDOW = 2048


class _Session:
    """One socket: its subscriptions, each following the thread on its own."""

    def __init__(self, websocket: WebSocket, thread_id: str) -> None:
        self.websocket = websocket
        self.thread_id = thread_id
        self.subscriptions: dict[str, asyncio.Task[None]] = {}
        self._next_id = 0
        self._send_lock = asyncio.Lock()
        self._recent: deque[str] = deque(maxlen=_DEDUP_WINDOW)
        self._sent: set[str] = set()

    async def send(self, message: Any) -> None:
        """Send one JSON text frame (frames from several tasks never interleave)."""
        async with self._send_lock:
            await self.websocket.send_text(_json.dumps(message).decode())

    async def _deliver(self, event: dict[str, Any]) -> None:
        event_id = event["event_id"]
        if event_id in self._sent:
            return
        if len(self._recent) == self._recent.maxlen:
            self._sent.discard(self._recent[0])
        self._recent.append(event_id)
        self._sent.add(event_id)
        await self.send(event)

    async def _follow(self, wanted: EventFilter, since: int | None) -> None:
        ctx = context(self.websocket)
        async for event in follow_thread(ctx, self.thread_id, since, HEARTBEAT_SECONDS):
            # Heartbeats are the client's pings on a WebSocket.
            if event is not None and wanted.matches(event):
                await self._deliver(event)

    def subscribe(self, params: Any) -> str:
        """Start a subscription; its id.

        Raises:
            ApiError: 422 for a filter the SSE route would refuse too.
        """
        from stategraph.server._protocol import parse_filter

        wanted, since = parse_filter(params if isinstance(params, dict) else {})
        self._next_id += 1
        subscription_id = f"sub-{self._next_id}"
        task = asyncio.get_running_loop().create_task(self._follow(wanted, since))
        self.subscriptions[subscription_id] = task
        return subscription_id

    def unsubscribe(self, subscription_id: Any) -> bool:
        """Stop a subscription; ``False`` if there was none by that id."""
        task = self.subscriptions.pop(str(subscription_id), None)
        if task is None:
            return False
        task.cancel()
        return True

    async def close(self) -> None:
        """Stop every subscription."""
        tasks = list(self.subscriptions.values())
        self.subscriptions.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                continue
            except GraphBubbleUp:
                raise
            except Exception:  # a send to the closed socket: it is gone anyway
                logger.debug("protocol subscription ended", exc_info=True)


def _success(command_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"type": "success", "id": command_id, "result": result, "meta": {}}


async def _handle(session: _Session, command: Any) -> dict[str, Any]:
    """The reply to one command frame."""
    from stategraph.server._protocol import error_reply, run_command

    if (
        not isinstance(command, dict)
        or not isinstance(command.get("id"), int)
        or not isinstance(command.get("method"), str)
    ):
        found = command.get("id") if isinstance(command, dict) else None
        message = "Protocol commands must include an integer id and string method."
        return error_reply(found, "invalid_argument", message)
    command_id, method = command["id"], command["method"]
    params = command.get("params") or {}
    if method == "subscription.subscribe":
        try:
            subscription_id = session.subscribe(params)
        except ApiError as exc:
            return error_reply(command_id, "invalid_argument", str(exc.detail))
        return _success(command_id, {"subscription_id": subscription_id})
    if method == "subscription.unsubscribe":
        if session.unsubscribe(params.get("subscription_id")):
            return _success(command_id, {})
        return error_reply(command_id, "no_such_subscription", "No such subscription.")
    return await run_command(session.websocket, session.thread_id, command)


async def _serve(session: _Session) -> None:
    while True:
        raw = await session.websocket.receive_text()
        try:
            command = _json.loads(raw.encode())
        except ValueError:
            message = "Protocol commands must be valid JSON."
            await session.send(
                {
                    "type": "error",
                    "id": None,
                    "error": "invalid_argument",
                    "message": message,
                }
            )
            continue
        await session.send(await _handle(session, command))


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
    try:
        await _serve(session)
    except WebSocketDisconnect:
        pass
    finally:
        await session.close()


websocket_route = WebSocketRoute("/threads/{thread_id}/stream/events", protocol_socket)
