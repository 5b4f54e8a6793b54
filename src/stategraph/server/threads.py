"""``/threads`` routes: CRUD, search, copy, and the thread's state and history.

A thread record is the API's ``Thread``; its checkpoints live in the server's
checkpointer and are read through the graph named by ``metadata.graph_id``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stategraph._types import StateUpdate
from stategraph.server import _thread_stream
from stategraph.server._auth import authorize, request_auth
from stategraph.server._auth_filters import visible
from stategraph.server._auth_guards import authorized_search, only_visible, thread_for
from stategraph.server._context import ServerContext, context, new_id, now
from stategraph.server._http import (
    ApiError,
    choice,
    field,
    json_response,
    page_args,
    page_response,
    parse_uuid,
    read_body,
)
from stategraph.server._storage import Query, Record
from stategraph.server._thread_state import (
    checkpoint_json,
    delete_thread,
    empty_state,
    graph_of,
    load_thread,
    new_thread,
    refresh_thread,
    snapshot_json,
    thread_config,
)
from stategraph.server._thread_ttl import thread_ttl

_SORT = ("thread_id", "status", "created_at", "updated_at", "state_updated_at")
_STATUSES = ("idle", "busy", "interrupted", "error")


async def _replay_supersteps(
    ctx: ServerContext, thread: Record, supersteps: list[Any]
) -> None:
    graph = await graph_of(ctx, thread)
    if graph is None:
        raise ApiError(400, "'supersteps' needs a 'graph_id' in the thread metadata")
    steps = [
        [
            StateUpdate(u.get("values"), u.get("as_node"), u.get("task_id"))
            for u in step.get("updates", [])
        ]
        for step in supersteps
    ]
    await graph.abulk_update_state(thread_config(thread["thread_id"]), steps)
    await refresh_thread(ctx, thread["thread_id"])


async def create(request: Request) -> Response:
    """POST /threads."""
    ctx = context(request)
    body = await read_body(request, required=False)
    ttl = thread_ttl(body)
    raw_id = field(body, "thread_id", str)
    thread_id = parse_uuid(raw_id, "thread ID") if raw_id else new_id()
    if_exists = choice(body, "if_exists", ("raise", "do_nothing"), "raise")
    metadata = dict(field(body, "metadata", dict, {}))
    if body.get("graph_id") is not None:
        metadata["graph_id"] = field(body, "graph_id", str)
    value: dict[str, Any] = {
        "thread_id": UUID(thread_id),
        "metadata": metadata,
        "if_exists": if_exists,
    }
    filters = await authorize(request, "threads", "create", value)
    existing = await ctx.storage.get_thread(thread_id)
    if existing is not None:
        # Someone else's thread is not revealed: it just "already exists".
        if if_exists == "raise" or not visible(existing, filters):
            raise ApiError(409, f"Thread {thread_id} already exists")
        return json_response(existing)
    thread = new_thread(thread_id, dict(value.get("metadata") or {}))
    await ctx.storage.put_thread(thread)
    await ctx.sweeper.set(thread_id, ttl)
    supersteps = field(body, "supersteps", list)
    if supersteps:
        await _replay_supersteps(ctx, thread, supersteps)
        thread = await load_thread(ctx, thread_id)
    return json_response(thread)


async def get(request: Request) -> Response:
    """GET /threads/{id}; ``?include=ttl`` adds the thread's TTL (or null)."""
    thread = await thread_for(request, "read", request.path_params["id"])
    include = request.query_params.get("include", "")
    fields = {name.strip() for name in include.split(",") if name.strip()}
    if fields - {"ttl"}:
        raise ApiError(422, f"'include' accepts only 'ttl', got {include!r}")
    if "ttl" in fields:
        thread = {
            **thread,
            "ttl": await context(request).sweeper.describe(thread["thread_id"]),
        }
    return json_response(thread)


async def patch(request: Request) -> Response:
    """PATCH /threads/{id}: merge metadata."""
    ctx = context(request)
    body = await read_body(request, required=False)
    value = {"metadata": dict(field(body, "metadata", dict, {}))}
    thread = await thread_for(request, "update", request.path_params["id"], value)
    ttl = thread_ttl(body)
    if ttl is not None:
        await ctx.sweeper.set(thread["thread_id"], ttl)
    thread["metadata"] = {**thread["metadata"], **(value.get("metadata") or {})}
    thread["updated_at"] = now()
    await ctx.storage.put_thread(thread)
    if "return=minimal" in request.headers.get("prefer", ""):
        return Response(status_code=204)
    return json_response(thread)


async def delete(request: Request) -> Response:
    """DELETE /threads/{id} with its runs and checkpoints."""
    ctx = context(request)
    thread = await thread_for(request, "delete", request.path_params["id"])
    await delete_thread(ctx, thread["thread_id"])
    return Response(status_code=204)


def _query(body: dict[str, Any], *, paged: bool) -> Query:
    ids = field(body, "ids", list)
    status = choice(body, "status", _STATUSES, "")
    limit, offset = page_args(body) if paged else (2**31, 0)
    return Query(
        metadata=field(body, "metadata", dict),
        values=field(body, "values", dict),
        equals={"status": status} if status else {},
        ids=[parse_uuid(i, "thread ID") for i in ids] if ids is not None else None,
        limit=limit,
        offset=offset,
        sort_by=choice(body, "sort_by", _SORT, "created_at"),
        sort_order=choice(body, "sort_order", ("asc", "desc"), "desc"),  # type: ignore[arg-type]  # checked by choice
    )


async def _authorized(request: Request, query: Query) -> Query:
    """``query`` as the ``threads:search`` handler allows it."""
    if request_auth(request) is None:
        return query
    status = query.equals.get("status")
    value: dict[str, Any] = {
        "metadata": dict(query.metadata or {}),
        "values": query.values,
        "status": status,
        "limit": query.limit,
        "offset": query.offset,
        "ids": query.ids,
    }
    return await authorized_search(request, "threads", query, value)


async def search(request: Request) -> Response:
    """POST /threads/search."""
    ctx = context(request)
    body = await read_body(request, required=False)
    query = await _authorized(request, _query(body, paged=True))
    page = only_visible(await ctx.storage.search_threads(query), query)
    return page_response(page, query, body)


async def count(request: Request) -> Response:
    """POST /threads/count."""
    ctx = context(request)
    body = await read_body(request, required=False)
    query = await _authorized(request, _query(body, paged=False))
    page = await ctx.storage.search_threads(query)
    return json_response(page.total)


async def copy(request: Request) -> Response:
    """POST /threads/{id}/copy: a new thread with the same checkpoints."""
    ctx = context(request)
    source = await thread_for(request, "read", request.path_params["id"])
    target_id = new_id()
    await authorize(request, "threads", "create", {"thread_id": UUID(target_id)})
    target = {
        **source,
        "thread_id": target_id,
        "created_at": now(),
        "updated_at": now(),
    }
    if target["status"] == "busy":
        target["status"] = "idle"
    await ctx.checkpointer.acopy_thread(source["thread_id"], target["thread_id"])
    await ctx.storage.put_thread(target)
    return json_response(target)


async def prune(request: Request) -> Response:
    """POST /threads/prune: delete threads, or keep only their latest checkpoint."""
    ctx = context(request)
    body = await read_body(request)
    ids = [parse_uuid(i, "thread ID") for i in field(body, "thread_ids", list, [])]
    strategy = choice(body, "strategy", ("delete", "keep_latest"), "delete")
    filters = await authorize(request, "threads", "delete", {"thread_ids": ids})
    if filters:
        for thread_id in ids:
            if not visible(await ctx.storage.get_thread(thread_id), filters):
                raise ApiError(404, "At least one thread not found or not authorized")
    busy = [thread_id for thread_id in ids if await ctx.runs.in_flight(thread_id)]
    if busy:  # checked first, so a refused prune changes nothing
        raise ApiError(409, f"Threads busy with a run: {', '.join(busy)}")
    pruned = 0
    for thread_id in ids:
        if await ctx.storage.get_thread(thread_id) is None:
            continue
        if strategy == "delete":
            await ctx.storage.delete_thread(thread_id)
            await ctx.checkpointer.adelete_thread(thread_id)
        else:
            await ctx.checkpointer.aprune([thread_id], strategy="keep_latest")
        pruned += 1
    return json_response({"pruned_count": pruned})


async def _state_at(
    ctx: ServerContext,
    thread: Record,
    checkpoint: dict[str, Any] | None,
    subgraphs: bool,
) -> dict[str, Any]:
    graph = await graph_of(ctx, thread)
    if graph is None:
        return empty_state()
    config = thread_config(thread["thread_id"], checkpoint)
    snapshot = await graph.aget_state(config, subgraphs=subgraphs)
    return snapshot_json(snapshot)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").lower() in ("true", "1")


async def get_state(request: Request) -> Response:
    """GET /threads/{id}/state[/{checkpoint_id}]."""
    ctx = context(request)
    thread = await thread_for(request, "read", request.path_params["id"])
    checkpoint_id = request.path_params.get("checkpoint_id")
    checkpoint = {"checkpoint_id": checkpoint_id} if checkpoint_id else None
    state = await _state_at(ctx, thread, checkpoint, _flag(request, "subgraphs"))
    return json_response(state)


async def post_state_checkpoint(request: Request) -> Response:
    """POST /threads/{id}/state/checkpoint (no id: the latest)."""
    ctx = context(request)
    thread = await thread_for(request, "read", request.path_params["id"])
    body = await read_body(request)
    checkpoint = field(body, "checkpoint", dict, {})
    subgraphs = bool(field(body, "subgraphs", bool, False))
    return json_response(await _state_at(ctx, thread, checkpoint, subgraphs))


async def update_state(request: Request) -> Response:
    """POST /threads/{id}/state: ``update_state`` as a node."""
    ctx = context(request)
    thread = await thread_for(request, "update", request.path_params["id"])
    body = await read_body(request)
    if await ctx.runs.in_flight(thread["thread_id"]):
        raise ApiError(409, "Thread is busy with a run; update its state once it ends")
    graph = await graph_of(ctx, thread)
    if graph is None:
        raise ApiError(400, "Thread has no graph yet: run it or set metadata.graph_id")
    checkpoint = dict(field(body, "checkpoint", dict, {}))
    if body.get("checkpoint_id") is not None:
        checkpoint["checkpoint_id"] = field(body, "checkpoint_id", str)
    config = thread_config(thread["thread_id"], checkpoint)
    # Recorded in the new checkpoint's metadata, as for checkpoints of runs.
    config["configurable"]["graph_id"] = thread["metadata"]["graph_id"]
    try:
        new_config = await graph.aupdate_state(
            config, body.get("values"), as_node=field(body, "as_node", str)
        )
    except (ValueError, KeyError) as exc:
        raise ApiError(400, str(exc)) from None
    await refresh_thread(ctx, thread["thread_id"])
    if await ctx.broker.watched(thread["thread_id"]):
        state = await _state_at(ctx, thread, None, False)
        event = {"state": state, "thread_id": thread["thread_id"]}
        await ctx.broker.notify(thread["thread_id"], ("state", event))
    wire = checkpoint_json(new_config)
    return json_response(
        {
            "checkpoint": wire,
            "configurable": new_config["configurable"],
            "checkpoint_id": wire and wire["checkpoint_id"],
        }
    )


def _history_args(source: dict[str, Any]) -> tuple[int, Any, Any, dict[str, Any]]:
    # LangGraph's server answers with the newest state alone unless told
    # otherwise; its POST route reads ``limit or 1``, so 0 means 1 there too.
    limit = field(source, "limit", int, 1)
    before = source.get("before")
    if isinstance(before, str):
        before = {"checkpoint_id": before}
    elif before is not None and not isinstance(before, dict):
        raise ApiError(
            422, f"'before' must be a checkpoint id or object, got {before!r}"
        )
    metadata = field(source, "metadata", dict)
    checkpoint = field(source, "checkpoint", dict, {})
    return limit, before, metadata, checkpoint


async def history(request: Request) -> Response:
    """GET or POST /threads/{id}/history: checkpoints, newest first."""
    ctx = context(request)
    thread = await thread_for(request, "read", request.path_params["id"])
    if request.method == "GET":
        query: dict[str, Any] = dict(request.query_params)
        if "limit" in query:
            if not query["limit"].isdigit():
                raise ApiError(
                    422, f"'limit' must be an integer, got {query['limit']!r}"
                )
            query["limit"] = int(query["limit"])
    else:
        query = await read_body(request, required=False)
        if type(query.get("limit")) is int and query["limit"] == 0:
            query["limit"] = 1
    limit, before, metadata, checkpoint = _history_args(query)
    graph = await graph_of(ctx, thread)
    if graph is None:
        return json_response([])
    config = thread_config(thread["thread_id"], checkpoint)
    before_config = (
        thread_config(thread["thread_id"], before) if before is not None else None
    )
    states = [
        snapshot_json(snapshot)
        async for snapshot in graph.aget_state_history(
            config, filter=metadata, before=before_config, limit=limit
        )
    ]
    return json_response(states)


routes = [
    Route("/threads", create, methods=["POST"]),
    Route("/threads/search", search, methods=["POST"]),
    Route("/threads/count", count, methods=["POST"]),
    Route("/threads/prune", prune, methods=["POST"]),
    Route("/threads/{id}", get, methods=["GET"]),
    Route("/threads/{id}", patch, methods=["PATCH"]),
    Route("/threads/{id}", delete, methods=["DELETE"]),
    Route("/threads/{id}/copy", copy, methods=["POST"]),
    Route("/threads/{id}/state", get_state, methods=["GET"]),
    Route("/threads/{id}/state", update_state, methods=["POST"]),
    Route("/threads/{id}/state/checkpoint", post_state_checkpoint, methods=["POST"]),
    Route("/threads/{id}/state/{checkpoint_id}", get_state, methods=["GET"]),
    Route("/threads/{id}/history", history, methods=["GET", "POST"]),
    Route("/threads/{id}/stream", _thread_stream.join_thread_stream, methods=["GET"]),
]
