"""``/assistants`` routes: system assistants per graph, CRUD, versions, graphs.

Each served graph has a system assistant whose id is LangGraph's
``uuid5(NS, graph_id)``; ``assistant_id`` in any request may be that UUID, any
other assistant's UUID, or a graph id.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stategraph.server._auth import authorize, request_auth
from stategraph.server._auth_filters import visible
from stategraph.server._auth_guards import (
    assistant_for,
    authorized_search,
    only_visible,
)
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
from stategraph.server._registry import system_assistant_id
from stategraph.server._schemas import drawable_json, graph_schemas, named
from stategraph.server._storage import Query, Record

_SORT = ("assistant_id", "graph_id", "name", "created_at", "updated_at")


def system_assistant(ctx: ServerContext, graph_id: str) -> Record:
    """The record of a graph's system assistant."""
    stamp = now()
    return {
        "assistant_id": system_assistant_id(graph_id),
        "graph_id": graph_id,
        "config": {},
        "context": {},
        "metadata": {"created_by": "system"},
        "version": 1,
        "name": ctx.registry.display_name(graph_id),
        "description": None,
        "created_at": stamp,
        "updated_at": stamp,
    }


async def resolve_assistant(ctx: ServerContext, assistant_id: str) -> Record:
    """The assistant a request names by UUID or graph id.

    Raises:
        ApiError: 422 for a value that is neither, 404 for an unknown UUID.
    """
    if assistant_id in ctx.registry:
        assistant_id = system_assistant_id(assistant_id)
    else:
        try:
            assistant_id = parse_uuid(assistant_id, "assistant ID")
        except ApiError:
            names = ", ".join(ctx.registry.ids())
            raise ApiError(
                422,
                f"Invalid assistant ID {assistant_id!r}: expected a UUID or one of"
                f" the graph ids: {names}",
            ) from None
    record = await ctx.storage.get_assistant(assistant_id)
    if record is None:
        raise ApiError(404, f"Assistant {assistant_id} not found")
    return record


async def _graph_of(ctx: ServerContext, record: Record) -> Any:
    return await ctx.registry.get(record["graph_id"], {"configurable": {}})


def _check_graph(ctx: ServerContext, graph_id: Any) -> str:
    if not isinstance(graph_id, str) or graph_id not in ctx.registry:
        raise ApiError(404, f"Graph {graph_id!r} not found")
    return graph_id


async def create(request: Request) -> Response:
    """POST /assistants: create an assistant for a served graph."""
    ctx = context(request)
    body = await read_body(request)
    graph_id = _check_graph(ctx, body.get("graph_id"))
    raw_id = field(body, "assistant_id", str)
    assistant_id = parse_uuid(raw_id, "assistant ID") if raw_id else new_id()
    if_exists = choice(body, "if_exists", ("raise", "do_nothing"), "raise")
    value: dict[str, Any] = {
        "assistant_id": UUID(assistant_id),
        "graph_id": graph_id,
        "config": field(body, "config", dict, {}),
        "context": field(body, "context", dict, {}),
        "metadata": field(body, "metadata", dict, {}),
        "if_exists": if_exists,
        "name": field(body, "name", str, "Untitled"),
    }
    filters = await authorize(request, "assistants", "create", value)
    existing = await ctx.storage.get_assistant(assistant_id)
    if existing is not None:
        # Someone else's assistant is not revealed: it just "already exists".
        if if_exists == "raise" or not visible(existing, filters):
            raise ApiError(409, f"Assistant {assistant_id} already exists")
        return json_response(existing)
    stamp = now()
    record = {
        "assistant_id": assistant_id,
        "graph_id": graph_id,
        "config": value.get("config") or {},
        "context": value.get("context") or {},
        "metadata": value.get("metadata") or {},
        "version": 1,
        "name": value.get("name") or "Untitled",
        "description": field(body, "description", str),
        "created_at": stamp,
        "updated_at": stamp,
    }
    await ctx.storage.put_assistant(record)
    await ctx.storage.put_assistant_version(record)
    return json_response(record)


async def get(request: Request) -> Response:
    """GET /assistants/{id}."""
    return json_response(
        await assistant_for(request, "read", request.path_params["id"])
    )


async def patch(request: Request) -> Response:
    """PATCH /assistants/{id}: update it as a new version."""
    ctx = context(request)
    body = await read_body(request, required=False)
    value = {
        key: body.get(key)
        for key in ("graph_id", "config", "context", "metadata", "name")
    }
    value["metadata"] = dict(field(body, "metadata", dict, {}))
    record = await assistant_for(request, "update", request.path_params["id"], value)
    if body.get("graph_id") is not None:
        record["graph_id"] = _check_graph(ctx, body["graph_id"])
    for key in ("config", "context"):
        if body.get(key) is not None:
            record[key] = field(body, key, dict)
    for key in ("name", "description"):
        if body.get(key) is not None:
            record[key] = field(body, key, str)
    record["metadata"] = {**record["metadata"], **(value.get("metadata") or {})}
    versions = await ctx.storage.assistant_versions(
        record["assistant_id"], Query(limit=1, sort_by="version")
    )
    latest = versions.items[0]["version"] if versions.items else record["version"]
    record["version"] = latest + 1
    record["updated_at"] = now()
    await ctx.storage.put_assistant(record)
    await ctx.storage.put_assistant_version(record)
    return json_response(record)


async def delete(request: Request) -> Response:
    """DELETE /assistants/{id}."""
    ctx = context(request)
    record = await assistant_for(request, "delete", request.path_params["id"])
    await ctx.storage.delete_assistant(record["assistant_id"])
    return Response(status_code=204)


def _query(body: dict[str, Any], *, paged: bool) -> Query:
    equals = {k: body[k] for k in ("graph_id", "name") if body.get(k) is not None}
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
    """``query`` as the ``assistants:search`` handler allows it."""
    if request_auth(request) is None:
        return query
    value: dict[str, Any] = {
        "graph_id": query.equals.get("graph_id"),
        "metadata": dict(query.metadata or {}),
        "limit": query.limit,
        "offset": query.offset,
    }
    return await authorized_search(request, "assistants", query, value)


async def search(request: Request) -> Response:
    """POST /assistants/search."""
    ctx = context(request)
    body = await read_body(request, required=False)
    query = await _authorized(request, _query(body, paged=True))
    page = only_visible(await ctx.storage.search_assistants(query), query)
    return page_response(page, query, body)


async def count(request: Request) -> Response:
    """POST /assistants/count."""
    ctx = context(request)
    body = await read_body(request, required=False)
    query = await _authorized(request, _query(body, paged=False))
    page = await ctx.storage.search_assistants(query)
    return json_response(page.total)


async def versions(request: Request) -> Response:
    """POST /assistants/{id}/versions: its versions, newest first."""
    ctx = context(request)
    record = await resolve_assistant(ctx, request.path_params["id"])
    value = {"assistant_id": UUID(record["assistant_id"])}
    filters = await authorize(request, "assistants", "read", value)
    if not visible(record, filters):
        raise ApiError(404, f"Assistant {record['assistant_id']} not found")
    body = await read_body(request, required=False)
    limit, offset = page_args(body)
    query = Query(
        metadata=field(body, "metadata", dict),
        limit=limit,
        offset=offset,
        sort_by="version",
        auth=filters,  # an older version may belong to someone else
    )
    page = await ctx.storage.assistant_versions(record["assistant_id"], query)
    return json_response(only_visible(page, query).items)


async def set_latest(request: Request) -> Response:
    """POST /assistants/{id}/latest: make a stored version current."""
    ctx = context(request)
    body = await read_body(request)
    version = field(body, "version", int)
    value = {"version": version}
    record = await assistant_for(request, "update", request.path_params["id"], value)
    page = await ctx.storage.assistant_versions(
        record["assistant_id"], Query(equals={"version": version}, limit=1)
    )
    if not page.items:
        raise ApiError(404, f"Assistant version {version} not found")
    chosen = {**page.items[0], "updated_at": now()}
    await ctx.storage.put_assistant(chosen)
    return json_response(chosen)


def _xray(request: Request) -> int | bool:
    # langgraph-api's parsing: empty is false, else a boolean or int() > 0.
    raw = request.query_params.get("xray")
    if not raw:
        return False
    if raw in ("true", "True", "false", "False"):
        return raw in ("true", "True")
    try:
        depth = int(raw)
    except ValueError:
        raise ApiError(422, "Invalid xray value") from None
    if depth <= 0:
        raise ApiError(422, "Invalid xray value")
    return depth


async def graph(request: Request) -> Response:
    """GET /assistants/{id}/graph: the drawable graph as JSON."""
    ctx = context(request)
    record = await assistant_for(request, "read", request.path_params["id"])
    drawable = (await _graph_of(ctx, record)).get_graph(xray=_xray(request))
    return json_response(drawable_json(drawable))


async def schemas(request: Request) -> Response:
    """GET /assistants/{id}/schemas: the graph's JSON schemas."""
    ctx = context(request)
    record = await assistant_for(request, "read", request.path_params["id"])
    graph_id = record["graph_id"]
    built = named(await _graph_of(ctx, record), graph_id)
    return json_response({"graph_id": graph_id, **graph_schemas(built)})


async def subgraphs(request: Request) -> Response:
    """GET /assistants/{id}/subgraphs[/{namespace}]: schemas of subgraphs."""
    ctx = context(request)
    record = await assistant_for(request, "read", request.path_params["id"])
    built = named(await _graph_of(ctx, record), record["graph_id"])
    recurse = request.query_params.get("recurse", "False") in ("true", "True")
    namespace = request.path_params.get("namespace")
    found = built.get_subgraphs(namespace=namespace, recurse=recurse)
    return json_response({ns: graph_schemas(sub) for ns, sub in found})


routes = [
    Route("/assistants", create, methods=["POST"]),
    Route("/assistants/search", search, methods=["POST"]),
    Route("/assistants/count", count, methods=["POST"]),
    Route("/assistants/{id}", get, methods=["GET"]),
    Route("/assistants/{id}", patch, methods=["PATCH"]),
    Route("/assistants/{id}", delete, methods=["DELETE"]),
    Route("/assistants/{id}/versions", versions, methods=["POST"]),
    Route("/assistants/{id}/latest", set_latest, methods=["POST"]),
    Route("/assistants/{id}/graph", graph, methods=["GET"]),
    Route("/assistants/{id}/schemas", schemas, methods=["GET"]),
    Route("/assistants/{id}/subgraphs", subgraphs, methods=["GET"]),
    Route("/assistants/{id}/subgraphs/{namespace:path}", subgraphs, methods=["GET"]),
]
