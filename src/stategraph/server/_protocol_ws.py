"""The v3 protocol over a WebSocket: ``/threads/{thread_id}/stream/events``.

Every text frame a client sends is a command (``subscription.subscribe``,
``subscription.reconnect``, ``subscription.unsubscribe``, ``run.start``,
``input.respond``) answered by a ``success`` or ``error`` envelope; events
go out as JSON text frames. The Python SDK (``threads.stream(...,
transport="websocket")``) opens a socket per event stream and subscribes
once; the JavaScript SDK sends all of a thread stream's commands and
subscriptions over one socket.

As on LangGraph's server, a socket follows the thread from the moment it
connects (one reader of the thread, see ``_protocol_session``) and sends
each event once, in order, when any subscription wants it; a new
subscription first gets the current run's events it matches again (the
SDKs drop the ones they have by ``event_id``). Events of runs older than
one this socket started are not sent. A subscription with ``since``, or a
``subscription.reconnect`` (LangGraph's server's command: a subscription's
filter, a required ``since`` and optionally the ``subscription_id`` to keep),
gets every later event the server still has, or a ``resume_gap`` error.

A subscription's answer says how many events it gets again
(``replayed_events``, as LangGraph's servers count their per-socket replay
buffer): those the socket had read before it subscribed, sent right after
the answer. When the events after ``since`` are no longer kept by the
socket, its reader reads the thread again from there, and the answer waits
until the reader is back where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from stategraph.errors import GraphBubbleUp
from stategraph.server import _json
from stategraph.server._auth_guards import thread_for
from stategraph.server._context import context
from stategraph.server._http import ApiError, parse_uuid
from stategraph.server._protocol_events import EventFilter
from stategraph.server._protocol_session import follow_thread, gap_error, resume_gap
from stategraph.server._sse import HEARTBEAT_SECONDS

__all__ = ("websocket_route",)

logger = logging.getLogger(__name__)

#: Events of the current run a socket keeps to replay to new subscriptions.
_HISTORY_LIMIT = 10_000

#: Close code of a socket that cannot resume where it asked (4000 + 410).
_GONE = 4410

#: Seconds after which a reader that outlived its cancel is cancelled again.
_CANCEL_AGAIN_SECONDS = 1.0


@dataclass(slots=True)
class _Subscription:
    wanted: EventFilter
    #: The seq this subscription has had every event up to (sent or passed).
    cursor: int


@dataclass(slots=True)
class _Replay:
    """A subscription's answer, held while a rewound reader reads again."""

    command_id: Any
    subscription_id: str
    #: The seq the replaced reader had read up to: events up to it are replayed.
    upto: int
    events: list[dict[str, Any]]


class _Session:
    """One socket: its subscriptions and its reader of the thread."""

    def __init__(self, websocket: WebSocket, thread_id: str) -> None:
        self.websocket = websocket
        self.thread_id = thread_id
        self.subscriptions: dict[str, _Subscription] = {}
        self._next_id = 0
        #: Events up to this seq belong to runs before one this socket started.
        self.floor = -1
        self._history: list[dict[str, Any]] = []
        self._run: str | None = None
        #: The reader has read every event up to this seq (-1: not known, as
        #: for a reader that started with the thread's current run).
        self._position = -1
        self._reader: asyncio.Task[None] | None = None
        #: Readers replaced by a rewind, until they end.
        self._retired: set[asyncio.Task[None]] = set()
        self._generation = 0
        #: The answer a rewound reader sends once it is back at ``upto``.
        self._replay: _Replay | None = None
        # Held while an event is sent or a subscription replays, so that a
        # socket's events go out in order and a replay is not interleaved.
        self._lock = asyncio.Lock()

    async def send(self, message: Any) -> None:
        """Send one JSON text frame."""
        await self.websocket.send_text(_json.dumps(message).decode())

    def start(self, since: int | None) -> None:
        """(Re)start the reader: after ``since``, else from the current run.

        A replaced reader is cancelled, not awaited: the caller may hold the
        lock it waits for. It sends nothing more (its generation is past)
        and is awaited by ``stop``.
        """
        self._generation += 1
        if self._reader is not None:
            self._reader.cancel()
            self._retired.add(self._reader)
            self._reader.add_done_callback(self._retired.discard)
        self._position = -1 if since is None else since
        self._history, self._run = [], None
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._follow(since, self._generation))

    async def stop(self) -> None:
        """Stop the readers."""
        self._generation += 1
        readers = [*self._retired, *([self._reader] if self._reader else [])]
        self._reader = None
        for reader in readers:
            await _stop(reader)

    async def _follow(self, since: int | None, generation: int) -> None:
        ctx = context(self.websocket)
        events = follow_thread(ctx, self.thread_id, since, HEARTBEAT_SECONDS)
        async with contextlib.aclosing(events):
            async for event in events:
                if generation != self._generation:
                    return
                if event is None and self._replay is not None:
                    # The replaced reader's last event is gone (its run
                    # expired meanwhile): answer with what was read again.
                    async with self._lock:
                        if generation == self._generation:
                            await self._answer_replay()
                # Heartbeats are the client's pings on a WebSocket.
                if event is not None and event["seq"] > self.floor:
                    async with self._lock:
                        if generation != self._generation:
                            return
                        await self._take(event)

    async def _take(self, event: dict[str, Any]) -> None:
        """Keep one event for replays; send it if a subscription wants it."""
        seq = event["seq"]
        self._position = seq
        run = event["event_id"].rpartition(".")[0]
        if run != self._run:
            self._run, self._history = run, []
        if len(self._history) < _HISTORY_LIMIT:
            self._history.append(event)
        wanted = False
        for subscription in self.subscriptions.values():
            if seq > subscription.cursor:
                # A rewound reader reads events again: each goes out once.
                wanted = wanted or subscription.wanted.matches(event)
                subscription.cursor = seq
        replay = self._replay
        if replay is not None and seq > replay.upto:
            await self._answer_replay()
            replay = None
        if wanted and replay is not None:
            replay.events.append(event)
        elif wanted:
            await self.send(event)
        if replay is not None and seq == replay.upto:
            await self._answer_replay()

    async def _answer_replay(self) -> None:
        """Answer the rewound subscription: its count, then its events."""
        replay, self._replay = self._replay, None
        if replay is None:
            return
        result = {
            "subscription_id": replay.subscription_id,
            "replayed_events": len(replay.events),
        }
        await self.send(_success(replay.command_id, result))
        for event in replay.events:
            await self.send(event)

    async def subscribe(self, command: dict[str, Any], *, reconnect: bool) -> bool:
        """Add a subscription and answer; whether it was added.

        Without ``since`` it first gets the current run's matching events
        again. With one (required by ``subscription.reconnect``) it gets every
        later event: from the events kept, else the reader rewinds (when it
        read events of earlier runs after ``since``, or started with the
        current run), unless the server can no longer replay from there (a
        ``resume_gap`` error).
        """
        from stategraph.server._protocol import error_reply, parse_filter

        command_id, params = command["id"], command.get("params")
        params = params if isinstance(params, dict) else {}
        try:
            wanted, since = parse_filter(params)
            if reconnect and since is None:
                raise ApiError(422, "subscription.reconnect requires since.")
        except ApiError as exc:
            reply = error_reply(command_id, "invalid_argument", str(exc.detail))
            async with self._lock:
                await self.send(reply)
            return False
        if since is not None:
            ctx = context(self.websocket)
            available = await resume_gap(ctx, self.thread_id, since)
            if available is not None:
                async with self._lock:
                    await self.send(gap_error(command_id, since, available))
                return False
        async with self._lock:
            subscription_id = params.get("subscription_id") if reconnect else None
            if not isinstance(subscription_id, str) or not subscription_id:
                self._next_id += 1
                subscription_id = f"sub-{self._next_id}"
            if since is not None and not self._read_after(since):
                await self._rewind(command_id, subscription_id, wanted, since)
                return True
            after = self._position if since is None else max(since, self._position)
            self.subscriptions[subscription_id] = _Subscription(wanted, after)
            replayed = [
                event
                for event in self._history
                if (since is None or event["seq"] > since) and wanted.matches(event)
            ]
            result = {
                "subscription_id": subscription_id,
                "replayed_events": len(replayed),
            }
            await self.send(_success(command_id, result))
            for event in replayed:
                await self.send(event)
        return True

    def _read_after(self, since: int) -> bool:
        """Whether the events the reader has read after ``since`` are kept."""
        if 0 <= self._position <= since:
            return True  # none: the subscription starts with the next one
        history = self._history
        return (
            bool(history)
            and history[0]["seq"] <= since + 1
            and history[-1]["seq"] == self._position
        )

    async def _rewind(
        self, command_id: Any, subscription_id: str, wanted: EventFilter, since: int
    ) -> None:
        """Read the thread again from ``since`` for a new subscription.

        The answer waits until the new reader is back where the old one was,
        so that it can count the events replayed (sent after it, as for a
        subscription replayed from the kept events). A reader that had read
        nothing has nothing to replay: it is answered at once.
        """
        await self._answer_replay()  # a rewind replaced before its answer
        self.subscriptions[subscription_id] = _Subscription(wanted, since)
        upto = self._position
        self.start(since)
        if upto < 0:
            result = {"subscription_id": subscription_id, "replayed_events": 0}
            await self.send(_success(command_id, result))
        else:
            self._replay = _Replay(command_id, subscription_id, upto, [])

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


async def _handle(session: _Session, command: Any) -> bool:
    """Carry out one command frame and send its answer; whether to go on."""
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
        return True
    command_id, method = command["id"], command["method"]
    params = command.get("params") or {}
    if method in ("subscription.subscribe", "subscription.reconnect"):
        reconnect = method == "subscription.reconnect"
        added = await session.subscribe(command, reconnect=reconnect)
        # The Python SDK resumes a socket by subscribing with ``since`` and
        # ignores the answer: a socket left without subscriptions then
        # closes (4000 + 410 Gone, which the SDK does not retry) rather
        # than stay silent.
        return added or reconnect or bool(session.subscriptions)
    if method == "subscription.unsubscribe":
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
    return True


async def _serve(session: _Session) -> None:
    while True:
        raw = await session.websocket.receive_text()
        try:
            command = _json.loads(raw.encode())
        except ValueError:
            command = None
        if not await _handle(session, command):
            await session.websocket.close(code=_GONE, reason="resume gap")
            return


async def _stop(task: asyncio.Task[None]) -> None:
    # Python 3.11's ``wait_for`` (the broker's waits) can swallow a cancel
    # arriving as what it waits for is done: cancel again until it ends.
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_CANCEL_AGAIN_SECONDS)
    try:
        task.result()
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
    session.start(None)
    try:
        await _serve(session)
    except WebSocketDisconnect:
        pass
    finally:
        await session.stop()


websocket_route = WebSocketRoute("/threads/{thread_id}/stream/events", protocol_socket)
