"""``/runs`` and ``/threads/{id}/runs`` routes: create, stream, wait, join, cancel.

Streams are ``text/event-stream`` (``_sse``); ``/wait`` and ``/join`` answer
``application/json`` whose body is preceded by a newline every few seconds
while the run goes on, so proxies keep the connection open.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from stategraph.server._auth import authorize, request_auth
from stategraph.server._auth_filters import visible
from stategraph.server._auth_guards import run_thread_visible, thread_for
from stategraph.server._broker import RunStream
from stategraph.server._context import ServerContext, context
from stategraph.server._custom_routes import run_headers
from stategraph.server._http import (
    ApiError,
    choice,
    field,
    json_response,
    parse_uuid,
    read_body,
    read_json,
)
from stategraph.server._run_ops import cancel_run, cancel_soon, create_run
from stategraph.server._run_request import public_run
from stategraph.server._sse import (
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    encode_frame,
    event_stream_response,
)
from stategraph.server._storage import Query, Record


def _locations(run: Record, stateless: bool, suffix: str) -> dict[str, str]:
    base = (
        f"/runs/{run['run_id']}"
        if stateless
        else f"/threads/{run['thread_id']}/runs/{run['run_id']}"
    )
    return {"Location": f"{base}/{suffix}", "Content-Location": base}


async def _sse_body(
    ctx: ServerContext,
    stream: RunStream,
    run: Record,
    *,
    after: int | None,
    modes: list[str] | None,
    cancel_on_disconnect: bool,
) -> AsyncIterator[bytes]:
    finished = False
    try:
        async for frame in stream.subscribe(
            after=after, modes=modes, heartbeat=HEARTBEAT_SECONDS
        ):
            if frame is None:
                yield HEARTBEAT
            else:
                yield encode_frame(frame.event, frame.data, stream.event_id(frame))
        finished = True
    finally:
        # A run that ended just now is no longer in flight: cancelling is a no-op.
        if not finished and cancel_on_disconnect:
            cancel_soon(ctx, run["thread_id"], run["run_id"])


async def _wait_body(
    ctx: ServerContext, stream: RunStream, run: Record, cancel_on_disconnect: bool
) -> AsyncIterator[bytes]:
    finished = False
    try:
        async for _ in stream.wait_done(HEARTBEAT_SECONDS):
            yield b"\n"
        finished = True
    finally:
        if not finished and cancel_on_disconnect:
            cancel_soon(ctx, run["thread_id"], run["run_id"])
    result = await stream.result()
    yield result if result is not None else b"null"


async def _stream_of(ctx: ServerContext, run: Record) -> RunStream:
    stream = await ctx.broker.get(run["run_id"])
    assert stream is not None, "a new run's stream is opened before it is queued"
    return stream


async def _create(request: Request) -> tuple[ServerContext, Record, bool]:
    ctx = context(request)
    thread_id = request.path_params.get("thread_id")
    body = await read_body(request)
    headers = run_headers(request)
    run = await create_run(ctx, body, thread_id, request_auth(request), headers)
    return ctx, run, thread_id is None


async def create_stream(request: Request) -> Response:
    """POST [/threads/{id}]/runs/stream: create a run and stream it."""
    ctx, run, stateless = await _create(request)
    kwargs = run["kwargs"]
    body = _sse_body(
        ctx,
        await _stream_of(ctx, run),
        run,
        after=-1,
        modes=None,
        cancel_on_disconnect=kwargs["on_disconnect"] == "cancel",
    )
    return event_stream_response(body, _locations(run, stateless, "stream"))


async def create_wait(request: Request) -> Response:
    """POST [/threads/{id}]/runs/wait: create a run and answer its final values."""
    ctx, run, stateless = await _create(request)
    cancel = run["kwargs"]["on_disconnect"] == "cancel"
    body = _wait_body(ctx, await _stream_of(ctx, run), run, cancel)
    return StreamingResponse(
        body,
        media_type="application/json",
        headers=_locations(run, stateless, "join"),
    )


async def create_background(request: Request) -> Response:
    """POST [/threads/{id}]/runs: create a run in the background."""
    _, run, stateless = await _create(request)
    headers = {"Content-Location": _locations(run, stateless, "")["Content-Location"]}
    return json_response(public_run(run), headers=headers)


async def create_batch(request: Request) -> Response:
    """POST /runs/batch: create background runs (each may name a thread_id)."""
    ctx = context(request)
    payloads = await read_json(request)
    if not isinstance(payloads, list) or not all(isinstance(p, dict) for p in payloads):
        raise ApiError(422, "Request body must be a JSON array of run payloads")
    created = []
    auth = request_auth(request)
    for payload in payloads:
        thread_id = payload.pop("thread_id", None)
        created.append(
            await create_run(ctx, payload, thread_id, auth, run_headers(request))
        )
    return json_response([public_run(run) for run in created])


async def _load_run(
    request: Request, event: str = "read", value: dict[str, Any] | None = None
) -> tuple[ServerContext, Record]:
    """The run of the path, when the user may do ``event`` to its thread."""
    ctx = context(request)
    run_id = parse_uuid(request.path_params["run_id"], "run ID")
    if "thread_id" in request.path_params:
        raw_thread_id = request.path_params["thread_id"]
        thread = await thread_for(request, event, raw_thread_id, value)
        thread_id: str | None = thread["thread_id"]
    else:  # a stateless run, found by its id alone
        thread_id = None
    run = await ctx.storage.get_run(run_id)
    if run is None or thread_id not in (None, run["thread_id"]):
        raise ApiError(404, f"Run {run_id} not found")
    if thread_id is None and not await run_thread_visible(request, event, run):
        raise ApiError(404, f"Run {run_id} not found")
    return ctx, run


async def list_runs(request: Request) -> Response:
    """GET /threads/{id}/runs."""
    ctx = context(request)
    thread = await thread_for(request, "read", request.path_params["thread_id"])
    params = request.query_params
    try:
        limit = int(params.get("limit", 10))
        offset = int(params.get("offset", 0))
    except ValueError:
        raise ApiError(422, "'limit' and 'offset' must be integers") from None
    equals: dict[str, Any] = {"thread_id": thread["thread_id"]}
    if params.get("status"):
        equals["status"] = params["status"]
    page = await ctx.storage.search_runs(
        Query(equals=equals, limit=limit, offset=offset)
    )
    return json_response([public_run(run) for run in page.items])


async def get_run(request: Request) -> Response:
    """GET /threads/{id}/runs/{run_id}."""
    _, run = await _load_run(request)
    return json_response(public_run(run))


async def delete_run(request: Request) -> Response:
    """DELETE /threads/{id}/runs/{run_id} (not while in flight)."""
    ctx, run = await _load_run(request, "delete")
    if run["run_id"] in await ctx.runs.in_flight(run["thread_id"]):
        raise ApiError(409, "Run is still in flight; cancel it before deleting it")
    await ctx.storage.delete_run(run["run_id"])
    await ctx.broker.discard(run["run_id"])
    return Response(status_code=204)


async def _joined(ctx: ServerContext, run: Record, cancel: bool) -> Response:
    stream = await ctx.broker.get(run["run_id"])
    result = None if stream is None else await stream.result()
    if stream is None or result is not None:
        if result is not None:
            return Response(result, media_type="application/json")
        thread = await ctx.storage.get_thread(run["thread_id"])
        return json_response((thread or {}).get("values"))
    return StreamingResponse(
        _wait_body(ctx, stream, run, cancel), media_type="application/json"
    )


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() in ("true", "1")


async def join(request: Request) -> Response:
    """GET .../runs/{run_id}/join: wait for the run, answer its final values."""
    ctx, run = await _load_run(request)
    return await _joined(ctx, run, _flag(request, "cancel_on_disconnect"))


def _join_modes(request: Request) -> list[str] | None:
    values = request.query_params.getlist("stream_mode")
    modes: list[str] = []
    for value in values:
        if value.startswith("["):
            try:
                modes += [str(m) for m in json.loads(value)]
            except ValueError:
                raise ApiError(422, f"Invalid stream_mode {value!r}") from None
        else:
            modes += [m for m in value.split(",") if m]
    return [m.replace("messages-tuple", "messages") for m in modes] or None


def _last_event_id(request: Request) -> int | None:
    raw = request.headers.get("last-event-id")
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(422, f"Invalid Last-Event-ID {raw!r}") from None


async def join_stream(request: Request) -> Response:
    """GET .../runs/{run_id}/stream: join the run's stream (Last-Event-ID)."""
    ctx, run = await _load_run(request)
    stream = await ctx.broker.get(run["run_id"])
    after = _last_event_id(request)
    # Location is where the JS SDK reconnects (with Last-Event-ID) when the
    # connection drops; without it a dropped join is an error.
    stateless = "thread_id" not in request.path_params
    headers = _locations(run, stateless, "stream")
    if stream is None:

        async def nothing() -> AsyncIterator[bytes]:
            return
            yield b""  # an async generator that ends at once

        return event_stream_response(nothing(), headers)
    body = _sse_body(
        ctx,
        stream,
        run,
        after=after,
        modes=_join_modes(request),
        cancel_on_disconnect=_flag(request, "cancel_on_disconnect"),
    )
    return event_stream_response(body, headers)


async def cancel(request: Request) -> Response:
    """POST .../runs/{run_id}/cancel: interrupt or roll back the run."""
    action = choice(
        dict(request.query_params), "action", ("interrupt", "rollback"), "interrupt"
    )
    ctx, run = await _load_run(request, "update", {"action": action})
    found = await cancel_run(ctx, run["thread_id"], run["run_id"], action)  # type: ignore[arg-type]  # checked by choice
    if not found:
        raise ApiError(404, f"Run {run['run_id']} is not pending or running")
    if _flag(request, "wait"):
        return await _joined(ctx, run, False)
    return Response(status_code=202)


async def cancel_many(request: Request) -> Response:
    """POST /runs/cancel: cancel runs by thread and ids, or by status."""
    ctx = context(request)
    body = await read_body(request)
    action = choice(
        dict(request.query_params), "action", ("interrupt", "rollback"), "interrupt"
    )
    status = choice(body, "status", ("pending", "running", "all"), "")
    thread_id = field(body, "thread_id", str)
    run_ids = field(body, "run_ids", list, [])
    if status:
        wanted = [
            (tid, rid)
            for tid, rid, running in await ctx.runs.all_in_flight()
            if status == "all" or running == (status == "running")
        ]
    elif thread_id is not None and run_ids:
        tid = parse_uuid(thread_id, "thread ID")
        flying = set(await ctx.runs.in_flight(tid))
        wanted = [(tid, parse_uuid(r, "run ID")) for r in run_ids]
        wanted = [(t, r) for t, r in wanted if r in flying]
    else:
        raise ApiError(422, "Give 'status', or 'thread_id' with 'run_ids'")
    wanted = await _cancellable(request, wanted, action, body)
    if not wanted:
        raise ApiError(404, "No matching runs to cancel")
    for tid, rid in wanted:
        await cancel_run(ctx, tid, rid, action)  # type: ignore[arg-type]  # checked by choice
    return Response(status_code=204)


async def _cancellable(
    request: Request, wanted: list[tuple[str, str]], action: str, body: Any
) -> list[tuple[str, str]]:
    """The runs of ``wanted`` whose threads the user may update."""
    if request_auth(request) is None:
        return wanted
    thread_id = body.get("thread_id")
    value = {
        "thread_id": UUID(parse_uuid(thread_id, "thread ID")) if thread_id else None,
        "action": action,
        "metadata": {"run_ids": body.get("run_ids"), "status": body.get("status")},
    }
    filters = await authorize(request, "threads", "update", value)
    if not filters:
        return wanted
    storage = context(request).storage
    return [
        (tid, rid)
        for tid, rid in wanted
        if visible(await storage.get_thread(tid), filters)
    ]


routes = [
    Route("/runs/stream", create_stream, methods=["POST"]),
    Route("/runs/wait", create_wait, methods=["POST"]),
    Route("/runs", create_background, methods=["POST"]),
    Route("/runs/batch", create_batch, methods=["POST"]),
    Route("/runs/cancel", cancel_many, methods=["POST"]),
    # Stateless runs: the SDK reconnects to the Location of their streams.
    Route("/runs/{run_id}/stream", join_stream, methods=["GET"]),
    Route("/runs/{run_id}/join", join, methods=["GET"]),
    Route("/threads/{thread_id}/runs/stream", create_stream, methods=["POST"]),
    Route("/threads/{thread_id}/runs/wait", create_wait, methods=["POST"]),
    Route("/threads/{thread_id}/runs", create_background, methods=["POST"]),
    Route("/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}", get_run, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}", delete_run, methods=["DELETE"]),
    Route("/threads/{thread_id}/runs/{run_id}/join", join, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}/stream", join_stream, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}/cancel", cancel, methods=["POST"]),
]
