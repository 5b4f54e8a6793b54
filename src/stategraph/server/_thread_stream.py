"""``GET /threads/{id}/stream``: one SSE stream following every run of a thread.

``run_modes`` sends each run's frames (from its start), ``lifecycle`` a
``metadata {"status": "run_done"}`` frame when a run ends, ``state_update``
the new state after ``update_state``. The stream ends when the client leaves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from stategraph.server import _json
from stategraph.server._auth_guards import thread_for
from stategraph.server._broker import ThreadWatch
from stategraph.server._context import ServerContext, context
from stategraph.server._http import ApiError
from stategraph.server._sse import (
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    encode_frame,
    event_stream_response,
)

_THREAD_STREAM_MODES = ("run_modes", "lifecycle", "state_update")


def _thread_stream_modes(request: Request) -> set[str]:
    raw = request.query_params.getlist("stream_modes") or ["run_modes"]
    modes = {mode for value in raw for mode in value.split(",") if mode}
    unknown = modes - set(_THREAD_STREAM_MODES)
    if unknown:
        raise ApiError(
            422,
            f"Unknown stream_modes {sorted(unknown)}; expected a comma list of"
            f" {', '.join(_THREAD_STREAM_MODES)}",
        )
    return modes


async def _thread_frames(
    ctx: ServerContext, watch: ThreadWatch, modes: set[str]
) -> AsyncIterator[bytes]:
    try:
        while True:
            event = await watch.next(HEARTBEAT_SECONDS)
            if event is None:
                yield HEARTBEAT
                continue
            kind, payload = event
            if kind == "state":
                if "state_update" in modes:
                    yield encode_frame("state_update", _json.dumps(payload))
                continue
            stream = await ctx.broker.get(payload)
            if stream is None:
                continue
            wanted = None if "run_modes" in modes else ()
            async for frame in stream.subscribe(
                after=-1, modes=wanted, heartbeat=HEARTBEAT_SECONDS
            ):
                if frame is None:
                    yield HEARTBEAT
                elif wanted is None:
                    yield encode_frame(frame.event, frame.data)
            if "lifecycle" in modes:
                done = {"status": "run_done", "run_id": payload}
                yield encode_frame("metadata", _json.dumps(done))
    finally:
        watch.close()


async def join_thread_stream(request: Request) -> Response:
    """GET /threads/{id}/stream: the events of every current and future run."""
    ctx = context(request)
    thread = await thread_for(request, "read", request.path_params["id"])
    modes = _thread_stream_modes(request)
    # Watch before answering, so a run created right after is not missed.
    watch = await ctx.broker.watch(thread["thread_id"])
    for run_id in await ctx.runs.in_flight(thread["thread_id"]):
        watch.put(("run", run_id))
    return event_stream_response(_thread_frames(ctx, watch, modes))
