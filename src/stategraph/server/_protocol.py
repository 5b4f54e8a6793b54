"""The v3 protocol routes: ``/threads/{id}/commands`` and ``/stream/events``.

``langgraph_sdk``'s ``client.threads.stream()`` (and so
``RemoteGraph.stream_events(version="v3")``) sends commands as
``{"id", "method", "params"}`` and reads events through filtered SSE
connections whose body is ``{"channels", "namespaces"?, "depth"?, "since"?}``
(or, with ``transport="websocket"``, over a WebSocket on the same path: see
``_protocol_ws``). ``run.start`` creates an ordinary run (the thread is made
on first use) and resumes instead when the thread waits on an interrupt,
wrapping ``input`` as ``Command(resume=input)``; ``input.respond`` answers
one interrupt by id. A ``since`` the server can no longer resume from gets a
``resume_gap`` error frame instead of events.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stategraph.errors import GraphBubbleUp
from stategraph.server import _json
from stategraph.server._auth import request_auth
from stategraph.server._auth_guards import thread_for
from stategraph.server._context import ServerContext, context
from stategraph.server._custom_routes import run_headers
from stategraph.server._http import ApiError, json_response, parse_uuid, read_body
from stategraph.server._protocol_events import (
    PROTOCOL_CONFIG_KEY,
    RUN_STREAM_MODES,
    EventFilter,
    seq_base,
    supported_channel,
)
from stategraph.server._protocol_session import follow_thread, gap_error, resume_gap
from stategraph.server._protocol_ws import websocket_route
from stategraph.server._run_ops import create_run
from stategraph.server._sse import (
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    encode_frame,
    event_stream_response,
)

__all__ = ("parse_filter", "routes", "run_command")

#: Frames a reader translates ahead of a client that does not keep up.
_BATCH_LIMIT = 256


def error_reply(command_id: Any, code: str, message: str) -> dict[str, Any]:
    """The error envelope of a command."""
    return {"type": "error", "id": command_id, "error": code, "message": message}


def _run_body(params: Mapping[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The ``RunCreate`` body of a protocol run (``payload``: input or command)."""
    strategy = params.get("multitask_strategy") or params.get("multitaskStrategy")
    config = dict(params.get("config") or {})
    config["configurable"] = {
        **(config.get("configurable") or {}),
        PROTOCOL_CONFIG_KEY: True,
    }
    return {
        "assistant_id": params["assistant_id"],
        **payload,
        "config": config,
        "metadata": params.get("metadata") or {},
        "stream_mode": RUN_STREAM_MODES,
        "stream_subgraphs": True,
        "stream_resumable": True,
        "if_not_exists": "create",
        "multitask_strategy": strategy or "enqueue",
    }


async def _run_payload(
    ctx: ServerContext, thread_id: str, method: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``{"input": ...}`` or ``{"command": ...}`` of a run.start / input.respond."""
    if method == "input.respond":
        if not isinstance(params.get("interrupt_id"), str):
            raise ApiError(422, "input.respond requires an interrupt_id.")
        resume = {params["interrupt_id"]: params.get("response")}
        return {"command": {"resume": resume}}
    value = params.get("input")
    if value is not None:
        thread = await ctx.storage.get_thread(thread_id)
        if thread is not None and thread.get("interrupts"):
            return {"command": {"resume": value}}
    return {"input": value}


async def run_command(
    conn: HTTPConnection, thread_id: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Carry out a ``run.start`` or ``input.respond`` command; its reply."""
    ctx = context(conn)
    command_id = body.get("id")
    method = body.get("method")
    params = body.get("params") or {}
    if method not in ("run.start", "input.respond"):
        return error_reply(
            command_id, "unknown_command", f"Unknown command {method!r}."
        )
    if method == "input.respond":
        thread = await ctx.storage.get_thread(thread_id)
        assistant = (thread or {}).get("metadata", {}).get("assistant_id")
        params = {**params, "assistant_id": assistant}
    if not isinstance(params.get("assistant_id"), str):
        return error_reply(
            command_id, "invalid_argument", f"{method} needs an assistant."
        )
    try:
        payload = await _run_payload(ctx, thread_id, method, params)
        body = _run_body(params, payload)
        run = await create_run(
            ctx, body, thread_id, request_auth(conn), run_headers(conn)
        )
    except ApiError as exc:
        return error_reply(command_id, "invalid_argument", str(exc.detail))
    return {
        "type": "success",
        "id": command_id,
        "result": {"run_id": run["run_id"]},
        # Events up to here belong to earlier runs: the SDK resumes its
        # streams from this seq, so they start with the new run.
        "meta": {
            "thread_id": thread_id,
            "applied_through_seq": seq_base(run["run_id"]),
        },
    }


async def commands(request: Request) -> Response:
    """POST /threads/{thread_id}/commands: one v3 protocol command."""
    thread_id = parse_uuid(request.path_params["thread_id"], "thread ID")
    return json_response(
        await run_command(request, thread_id, await read_body(request))
    )


def parse_filter(body: Mapping[str, Any]) -> tuple[EventFilter, int | None]:
    """The filter and ``since`` of an event stream request.

    Raises:
        ApiError: 422 when ``channels`` is missing or names no protocol channel.
    """
    channels = body.get("channels")
    if not isinstance(channels, list) or not channels:
        raise ApiError(422, "Field 'channels' must be a non-empty list")
    bad = [c for c in channels if not isinstance(c, str) or not supported_channel(c)]
    if bad:
        raise ApiError(
            422,
            f"Field 'channels' has unsupported entries {bad!r}; allowed: values, "
            "updates, checkpoints, messages, tools, custom, lifecycle, input, "
            "tasks, or custom:<name>",
        )
    namespaces = body.get("namespaces")
    if isinstance(namespaces, list):
        namespaces = [list(ns) for ns in namespaces if isinstance(ns, list)] or None
    else:
        namespaces = None
    depth = body.get("depth")
    since = body.get("since")
    wanted = EventFilter(
        frozenset(channels),
        namespaces,
        depth if _count(depth) else None,
    )
    return wanted, since if _count(since) else None


def _count(value: Any) -> bool:
    # ``True`` is an int too: a JSON boolean must not pass as 1.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


async def _frames(
    ctx: ServerContext, thread_id: str, wanted: EventFilter, since: int | None
) -> AsyncIterator[bytes]:
    async for event in follow_thread(ctx, thread_id, since, HEARTBEAT_SECONDS):
        if event is None:
            yield HEARTBEAT
        elif wanted.matches(event):
            data = _json.dumps(event)
            yield encode_frame(event["method"], data, str(event["seq"]))


async def _batched(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``frames`` joined into one chunk per batch that is ready at once.

    A run's events mostly come in bursts (a replay, a model's tokens); each
    chunk costs a trip through the ASGI stack, so a reader sends what the
    translation produced while it was busy in one write. The queue is
    bounded: a slow client holds the translation back, not memory.
    """
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=_BATCH_LIMIT)
    failure: list[BaseException] = []

    async def produce() -> None:
        try:
            async for frame in frames:
                await queue.put(frame)
        except GraphBubbleUp:
            raise
        except Exception as exc:  # handed to the response, which raises it
            failure.append(exc)
        await queue.put(None)

    task = asyncio.get_running_loop().create_task(produce())
    try:
        done = False
        while not done:
            item = await queue.get()
            batch: list[bytes] = []
            while item is not None:
                batch.append(item)
                if queue.empty():
                    break
                item = queue.get_nowait()
            done = item is None
            if batch:
                yield b"".join(batch)
        if failure:
            raise failure[0]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def stream_events(request: Request) -> Response:
    """POST /threads/{thread_id}/stream/events: the thread's events, filtered."""
    ctx = context(request)
    thread_id = parse_uuid(request.path_params["thread_id"], "thread ID")
    if await ctx.storage.get_thread(thread_id) is not None:
        await thread_for(request, "read", thread_id)
    wanted, since = parse_filter(await read_body(request))
    if since is not None:
        available = await resume_gap(ctx, thread_id, since)
        if available is not None:
            return event_stream_response(_gap_frame(since, available))
    return event_stream_response(_batched(_frames(ctx, thread_id, wanted, since)))


async def _gap_frame(since: int, available: int) -> AsyncIterator[bytes]:
    """A stream that only says it cannot resume at ``since``, then ends.

    The SDK reads an error envelope with no id as the stream's failure (and
    reopens no stream that ended normally).
    """
    yield encode_frame("error", _json.dumps(gap_error(None, since, available)))


routes: list[BaseRoute] = [
    Route("/threads/{thread_id}/commands", commands, methods=["POST"]),
    Route("/threads/{thread_id}/stream/events", stream_events, methods=["POST"]),
    websocket_route,
]
