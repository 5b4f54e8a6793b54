"""The v3 protocol routes: ``/threads/{id}/commands`` and ``/stream/events``.

``langgraph_sdk``'s ``client.threads.stream()`` (and so
``RemoteGraph.stream_events(version="v3")``) sends commands as
``{"id", "method", "params"}`` and reads events through filtered SSE
connections whose body is ``{"channels", "namespaces"?, "depth"?, "since"?}``.
``run.start`` creates an ordinary run (the thread is made on first use) and
resumes instead when the thread waits on an interrupt, wrapping ``input`` as
``Command(resume=input)``; ``input.respond`` answers one interrupt by id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stategraph.server import _json
from stategraph.server._auth import request_auth
from stategraph.server._auth_guards import thread_for
from stategraph.server._context import ServerContext, context
from stategraph.server._custom_routes import run_headers
from stategraph.server._http import ApiError, json_response, parse_uuid, read_body
from stategraph.server._protocol_session import (
    RUN_STREAM_MODES,
    EventFilter,
    ThreadLog,
    thread_log,
)
from stategraph.server._run_ops import create_run
from stategraph.server._sse import (
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    encode_frame,
    event_stream_response,
)

__all__ = ("routes",)


def _error(command_id: Any, code: str, message: str) -> Response:
    body = {"type": "error", "id": command_id, "error": code, "message": message}
    return json_response(body)


def _run_body(params: Mapping[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The ``RunCreate`` body of a protocol run (``payload``: input or command)."""
    strategy = params.get("multitask_strategy") or params.get("multitaskStrategy")
    return {
        "assistant_id": params["assistant_id"],
        **payload,
        "config": params.get("config") or {},
        "metadata": params.get("metadata") or {},
        "stream_mode": RUN_STREAM_MODES,
        "stream_subgraphs": True,
        "if_not_exists": "create",
        "multitask_strategy": strategy or "enqueue",
    }


async def _waits_on_interrupt(ctx: ServerContext, thread_id: str) -> bool:
    thread = await ctx.storage.get_thread(thread_id)
    return thread is not None and bool(thread.get("interrupts"))


async def _start(
    request: Request, log: ThreadLog, params: Mapping[str, Any], payload: Any
) -> str:
    """Create the run, start translating its frames; its id."""
    ctx = context(request)
    body = _run_body(params, payload)
    run = await create_run(
        ctx, body, log.thread_id, request_auth(request), run_headers(request)
    )
    stream = await ctx.broker.get(run["run_id"])
    assert stream is not None, "a new run's stream is opened before it is queued"
    graph_name = run["kwargs"]["config"].get("configurable", {}).get("graph_id")
    log.pump(stream, str(graph_name or params["assistant_id"]))
    return str(run["run_id"])


async def _run_payload(
    request: Request, log: ThreadLog, method: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """``{"input": ...}`` or ``{"command": ...}`` of a run.start / input.respond."""
    if method == "input.respond":
        if not isinstance(params.get("interrupt_id"), str):
            raise ApiError(422, "input.respond requires an interrupt_id.")
        resume = {params["interrupt_id"]: params.get("response")}
        return {"command": {"resume": resume}}
    value = params.get("input")
    if value is not None and await _waits_on_interrupt(context(request), log.thread_id):
        return {"command": {"resume": value}}
    return {"input": value}


async def commands(request: Request) -> Response:
    """POST /threads/{thread_id}/commands: one v3 protocol command."""
    thread_id = parse_uuid(request.path_params["thread_id"], "thread ID")
    body = await read_body(request)
    command_id = body.get("id")
    method = body.get("method")
    params = body.get("params") or {}
    if method not in ("run.start", "input.respond"):
        return _error(command_id, "unknown_command", f"Unknown command {method!r}.")
    log = thread_log(request.app.state, thread_id)
    if method == "input.respond":
        thread = await context(request).storage.get_thread(thread_id)
        assistant = (thread or {}).get("metadata", {}).get("assistant_id")
        params = {**params, "assistant_id": assistant}
    if not isinstance(params.get("assistant_id"), str):
        return _error(command_id, "invalid_argument", f"{method} needs an assistant.")
    # Readers that saw up to here missed nothing of the new run: the SDK
    # resumes its streams from this seq.
    applied = log.last_seq
    try:
        payload = await _run_payload(request, log, method, params)
        run_id = await _start(request, log, params, payload)
    except ApiError as exc:
        return _error(command_id, "invalid_argument", str(exc.detail))
    return json_response(
        {
            "type": "success",
            "id": command_id,
            "result": {"run_id": run_id},
            "meta": {"thread_id": thread_id, "applied_through_seq": applied},
        }
    )


def _filter(body: Mapping[str, Any]) -> tuple[EventFilter, int | None]:
    channels = body.get("channels")
    if not isinstance(channels, list) or not channels:
        raise ApiError(422, "Field 'channels' must be a non-empty list")
    namespaces = body.get("namespaces")
    depth = body.get("depth")
    since = body.get("since")
    wanted = EventFilter(
        frozenset(str(channel) for channel in channels),
        [list(ns) for ns in namespaces] if isinstance(namespaces, list) else None,
        depth if isinstance(depth, int) else None,
    )
    return wanted, since if isinstance(since, int) else None


async def _frames(
    log: ThreadLog, wanted: EventFilter, since: int | None
) -> AsyncIterator[bytes]:
    async for event in log.follow(wanted, since, HEARTBEAT_SECONDS):
        if event is None:
            yield HEARTBEAT
        else:
            data = _json.dumps(event)
            yield encode_frame(event["method"], data, event["event_id"])


async def stream_events(request: Request) -> Response:
    """POST /threads/{thread_id}/stream/events: the thread's events, filtered."""
    ctx = context(request)
    thread_id = parse_uuid(request.path_params["thread_id"], "thread ID")
    if await ctx.storage.get_thread(thread_id) is not None:
        await thread_for(request, "read", thread_id)
    wanted, since = _filter(await read_body(request))
    log = thread_log(request.app.state, thread_id)
    return event_stream_response(_frames(log, wanted, since))


routes = [
    Route("/threads/{thread_id}/commands", commands, methods=["POST"]),
    Route("/threads/{thread_id}/stream/events", stream_events, methods=["POST"]),
]
