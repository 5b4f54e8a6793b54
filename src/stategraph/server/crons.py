"""``/runs/crons`` routes: runs on a schedule, per thread or on a new thread each.

A cron stores its run payload and ``next_run_date``; the scheduler
(``_scheduler``) fires it. Creating or changing a cron wakes the scheduler.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stategraph.server._auth import RequestAuth, authorize, request_auth
from stategraph.server._auth_filters import visible
from stategraph.server._auth_guards import (
    assistant_readable,
    cron_for,
    only_visible,
    thread_for,
)
from stategraph.server._context import ServerContext, context, new_id, now
from stategraph.server._cron import parse_schedule, zone
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
from stategraph.server._run_request import parse_run_create
from stategraph.server._scheduler import next_run_date
from stategraph.server._storage import Page, Query
from stategraph.server.assistants import resolve_assistant

_SORT = (
    "cron_id",
    "assistant_id",
    "thread_id",
    "next_run_date",
    "created_at",
    "updated_at",
)
#: Cron fields that are not part of the run payload.
_CRON_FIELDS = ("schedule", "timezone", "end_time", "enabled", "on_run_completed")
#: Cron fields the stored payload also keeps, as LangGraph's server does.
_PAYLOAD_FIELDS = ("schedule", "timezone")


def _check_schedule(body: dict[str, Any]) -> None:
    schedule = body.get("schedule")
    try:
        if not isinstance(schedule, str):
            raise ValueError("'schedule' must be a string")
        parse_schedule(schedule)
        zone(field(body, "timezone", str))
    except ValueError as exc:
        raise ApiError(
            422,
            f"Invalid cron schedule: {schedule!r}. Reason: {exc}. Use the standard"
            " format (minute hour day_of_month month day_of_week), such as"
            " '*/5 * * * *' for every 5 minutes.",
        ) from None


def _end_time(body: dict[str, Any]) -> str | None:
    raw = field(body, "end_time", str)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw).isoformat()
    except ValueError:
        raise ApiError(
            422, f"'end_time' must be an ISO 8601 time, got {raw!r}"
        ) from None


async def _create(request: Request, thread_id: str | None) -> Response:
    ctx = context(request)
    body = await read_body(request)
    _check_schedule(body)
    run_body = {k: v for k, v in body.items() if k not in _CRON_FIELDS}
    # Invalid run options fail now, not when the cron fires.
    parse_run_create(run_body, stateless=thread_id is None)
    assistant = await resolve_assistant(ctx, body["assistant_id"])
    cron_id = new_id()
    stamp = now()
    payload = {
        k: v
        for k, v in body.items()
        if v is not None and (k not in _CRON_FIELDS or k in _PAYLOAD_FIELDS)
    }
    payload["assistant_id"] = assistant["assistant_id"]
    config = dict(payload.get("config") or {})
    config["configurable"] = {**(config.get("configurable") or {}), "cron_id": cron_id}
    payload["config"] = config
    metadata = field(body, "metadata", dict, {})
    auth = request_auth(request)
    if auth is not None:
        value = {
            "payload": payload,
            "schedule": body["schedule"],
            "cron_id": UUID(cron_id),
            "thread_id": UUID(thread_id) if thread_id else None,
            "user_id": auth.identity,
            "end_time": _end_time(body),
            "metadata": metadata,
        }
        await auth.authorize("crons", "create", value)
        metadata = value.get("metadata") or {}
        if not await assistant_readable(request, assistant):
            raise ApiError(404, f"Assistant '{assistant['assistant_id']}' not found")
        _run_as(auth, payload)
    cron = {
        "cron_id": cron_id,
        "assistant_id": assistant["assistant_id"],
        "thread_id": thread_id,
        "user_id": auth.identity if auth is not None else "",
        "end_time": _end_time(body),
        "schedule": body["schedule"],
        "timezone": body.get("timezone"),
        "payload": payload,
        "next_run_date": None,
        "metadata": metadata,
        "on_run_completed": (
            None
            if thread_id
            else choice(body, "on_run_completed", ("delete", "keep"), "delete")
        ),
        "enabled": field(body, "enabled", bool, True),
        "created_at": stamp,
        "updated_at": stamp,
    }
    cron["next_run_date"] = next_run_date(cron, ctx.clock())
    await ctx.storage.put_cron(cron)
    _wake(ctx)
    return json_response(cron)


def _run_as(auth: RequestAuth, payload: dict[str, Any]) -> None:
    """Make the cron's runs name ``auth``'s user, as runs the user creates do."""
    config = dict(payload.get("config") or {})
    config["configurable"] = {
        **(config.get("configurable") or {}),
        **auth.configurable(),
    }
    payload["config"] = config


def _wake(ctx: ServerContext) -> None:
    if ctx.crons is not None:
        ctx.crons.wake()


async def create(request: Request) -> Response:
    """POST /runs/crons: a cron whose runs each get a new thread."""
    return await _create(request, None)


async def create_for_thread(request: Request) -> Response:
    """POST /threads/{thread_id}/runs/crons: a cron running on one thread."""
    thread = await thread_for(request, "read", request.path_params["thread_id"])
    return await _create(request, thread["thread_id"])


async def get(request: Request) -> Response:
    """GET /runs/crons/{cron_id}."""
    cron = await cron_for(request, "read", request.path_params["cron_id"])
    return json_response(cron)


async def patch(request: Request) -> Response:
    """PATCH /runs/crons/{cron_id}: change the schedule, payload or state."""
    ctx = context(request)
    body = await read_body(request)
    value = {"payload": dict(body), "schedule": body.get("schedule")}
    cron = await cron_for(request, "update", request.path_params["cron_id"], value)
    if "schedule" in body or "timezone" in body:
        _check_schedule({"schedule": cron["schedule"], **body})
    for key in _PAYLOAD_FIELDS:
        if key in body:
            cron[key] = cron["payload"][key] = body[key]
    if "end_time" in body:  # an explicit null clears it
        cron["end_time"] = _end_time(body)
    if body.get("enabled") is not None:
        cron["enabled"] = field(body, "enabled", bool)
    if body.get("on_run_completed") is not None and cron["thread_id"] is None:
        cron["on_run_completed"] = choice(
            body, "on_run_completed", ("delete", "keep"), "delete"
        )
    if body.get("metadata") is not None:
        cron["metadata"] = {**cron["metadata"], **field(body, "metadata", dict)}
    updates = {
        k: v
        for k, v in body.items()
        if v is not None and k not in (*_CRON_FIELDS, "metadata")
    }
    payload = {**cron["payload"], **updates}
    auth = request_auth(request)
    if auth is not None:
        _run_as(auth, payload)
    run_body = {k: v for k, v in payload.items() if k not in _PAYLOAD_FIELDS}
    parse_run_create(run_body, stateless=cron["thread_id"] is None)
    cron["payload"] = payload
    cron["next_run_date"] = next_run_date(cron, ctx.clock())
    cron["updated_at"] = now()
    await ctx.storage.put_cron(cron)
    _wake(ctx)
    return json_response(cron)


async def delete(request: Request) -> Response:
    """DELETE /runs/crons/{cron_id}."""
    ctx = context(request)
    cron = await cron_for(request, "delete", request.path_params["cron_id"])
    await ctx.storage.delete_cron(cron["cron_id"])
    return Response(status_code=204)


def _query(body: dict[str, Any], *, paged: bool) -> Query:
    equals: dict[str, Any] = {}
    for key in ("assistant_id", "thread_id"):
        if body.get(key) is not None:
            equals[key] = parse_uuid(field(body, key, str), key)
    if body.get("enabled") is not None:
        equals["enabled"] = field(body, "enabled", bool)
    limit, offset = page_args(body) if paged else (2**31, 0)
    return Query(
        metadata=field(body, "metadata", dict),
        equals=equals,
        limit=limit,
        offset=offset,
        sort_by=choice(body, "sort_by", _SORT, "created_at"),
        sort_order=choice(body, "sort_order", ("asc", "desc"), "desc"),  # type: ignore[arg-type]  # checked by choice
    )


async def _authorized(request: Request, query: Query) -> Query:
    """``query`` as the ``crons:search`` handler allows it."""
    if request_auth(request) is None:
        return query
    value = {
        "assistant_id": query.equals.get("assistant_id"),
        "thread_id": query.equals.get("thread_id"),
        "limit": query.limit,
        "offset": query.offset,
    }
    filters = await authorize(request, "crons", "search", value)
    return dataclasses.replace(query, auth=filters)


async def _found(request: Request, query: Query) -> Page:
    """The crons ``query`` finds, without those on threads the user cannot see.

    As in LangGraph's server, a cron on a thread is shown only when the
    thread passes the ``threads`` handler's filter (``read`` for one thread,
    ``search`` otherwise), whatever the ``crons`` handler said.
    """
    storage = context(request).storage
    auth = request_auth(request)
    thread_filters = None
    if auth is not None:
        thread_id = query.equals.get("thread_id")
        if thread_id is not None:
            value: dict[str, Any] = {"thread_id": UUID(thread_id)}
            thread_filters = await auth.authorize("threads", "read", value)
        else:
            thread_filters = await auth.authorize("threads", "search", {})
    if not thread_filters:
        return only_visible(await storage.search_crons(query), query)
    every = dataclasses.replace(query, limit=2**31, offset=0)
    shown: dict[str, bool] = {}
    kept = []
    for cron in only_visible(await storage.search_crons(every), query).items:
        thread_id = cron["thread_id"]
        if thread_id is not None and thread_id not in shown:
            thread = await storage.get_thread(thread_id)
            shown[thread_id] = visible(thread, thread_filters)
        if thread_id is None or shown[thread_id]:
            kept.append(cron)
    return Page(kept[query.offset : query.offset + query.limit], len(kept))


async def search(request: Request) -> Response:
    """POST /runs/crons/search."""
    body = await read_body(request, required=False)
    query = await _authorized(request, _query(body, paged=True))
    return page_response(await _found(request, query), query, body)


async def count(request: Request) -> Response:
    """POST /runs/crons/count."""
    body = await read_body(request, required=False)
    query = await _authorized(request, _query(body, paged=False))
    return json_response((await _found(request, query)).total)


routes = [
    Route("/runs/crons", create, methods=["POST"]),
    Route("/runs/crons/search", search, methods=["POST"]),
    Route("/runs/crons/count", count, methods=["POST"]),
    Route("/runs/crons/{cron_id}", get, methods=["GET"]),
    Route("/runs/crons/{cron_id}", patch, methods=["PATCH"]),
    Route("/runs/crons/{cron_id}", delete, methods=["DELETE"]),
    Route("/threads/{thread_id}/runs/crons", create_for_thread, methods=["POST"]),
]
