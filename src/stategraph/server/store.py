"""``/store`` routes: the long-term memory store graphs share with API clients.

Items live in the app's ``BaseStore`` (``ServerContext.store``), the same
object served graphs get as ``runtime.store``, so a node's writes are what
``client.store.get_item`` reads. Namespaces travel as label lists, except in
``GET /store/items`` where they are dot-joined; labels may therefore be
neither empty nor contain ``.``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stategraph.server._auth import authorize, request_auth
from stategraph.server._auth_filters import and_store_filters
from stategraph.server._context import context
from stategraph.server._http import (
    ApiError,
    field,
    json_response,
    page_args,
    read_body,
)


def _namespace(value: Any, name: str, *, required: bool = True) -> tuple[str, ...]:
    """A namespace from a request, checked as LangGraph's server checks it."""
    if value is None or value == []:
        if required:
            raise ApiError(400, f"Field {name!r} is required")
        return ()
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ApiError(422, f"Field {name!r} must be a list of strings, got {value!r}")
    for label in value:
        if not label or "." in label:
            raise ApiError(
                422,
                "Namespace labels cannot be empty or contain periods."
                f" Received: {'.'.join(value)!r}",
            )
    return tuple(value)


@contextlib.contextmanager
def _store_errors() -> Iterator[None]:
    """A request the store refuses is the client's mistake: 422, not 500."""
    try:
        yield
    except (NotImplementedError, ValueError) as exc:
        # e.g. ``ttl`` on InMemoryStore (no TTLs, as LangGraph's), a bad filter.
        raise ApiError(422, str(exc)) from None


def _key(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ApiError(422, f"Field 'key' must be a non-empty string, got {value!r}")
    return value


def _index(body: dict[str, Any]) -> Any:
    """``index`` of a put: ``False``, a list of field paths, or not given."""
    index = body.get("index")
    if index is None or index is False:
        return index
    if isinstance(index, list) and all(isinstance(p, str) for p in index):
        return index
    raise ApiError(
        422, f"Field 'index' must be false or a list of paths, got {index!r}"
    )


async def put_item(request: Request) -> Response:
    """PUT /store/items: create or replace one item."""
    body = await read_body(request)
    namespace = _namespace(body.get("namespace"), "namespace")
    key = _key(body.get("key"))
    value = field(body, "value", dict)
    if value is None:
        raise ApiError(422, "Field 'value' is required")
    kwargs: dict[str, Any] = {}
    index = _index(body)
    if index is not None:
        kwargs["index"] = index
    ttl = field(body, "ttl", (int, float))
    if ttl is not None:
        kwargs["ttl"] = ttl
    if request_auth(request) is not None:
        event = {"namespace": namespace, "key": key, "value": value, **kwargs}
        event.setdefault("index", None)
        event.setdefault("ttl", None)
        await authorize(request, "store", "put", event)
        namespace = _namespace(_listed(event["namespace"]), "namespace")
        key, value = _key(event["key"]), event["value"]
        kwargs = {k: event[k] for k in kwargs}
    with _store_errors():
        await context(request).store.aput(namespace, key, value, **kwargs)
    return Response(status_code=204)


async def get_item(request: Request) -> Response:
    """GET /store/items: one item, or ``null`` when there is none."""
    params = request.query_params
    key = params.get("key")
    if not key:
        raise ApiError(400, "Query parameter 'key' is required")
    raw = params.get("namespace") or ""
    namespace = tuple(raw.split(".")) if raw else ()
    refresh = _flag(params.get("refresh_ttl"))
    if request_auth(request) is not None:
        event: dict[str, Any] = {
            "namespace": namespace,
            "key": key,
            "refresh_ttl": refresh,
        }
        await authorize(request, "store", "get", event)
        namespace = _namespace(_listed(event["namespace"]), "namespace", required=False)
        key, refresh = _key(event["key"]), event["refresh_ttl"]
    with _store_errors():
        item = await context(request).store.aget(namespace, key, refresh_ttl=refresh)
    return json_response(None if item is None else item.dict())


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered not in ("true", "false", "1", "0"):
        raise ApiError(
            422, f"Query parameter 'refresh_ttl' must be a boolean: {value!r}"
        )
    return lowered in ("true", "1")


async def delete_item(request: Request) -> Response:
    """DELETE /store/items: remove one item (no error when it is absent)."""
    body = await read_body(request)
    namespace = _namespace(body.get("namespace"), "namespace", required=False)
    key = _key(body.get("key"))
    if request_auth(request) is not None:
        event = {"namespace": namespace, "key": key}
        await authorize(request, "store", "delete", event)
        namespace = _namespace(_listed(event["namespace"]), "namespace", required=False)
        key = _key(event["key"])
    with _store_errors():
        await context(request).store.adelete(namespace, key)
    return Response(status_code=204)


async def search_items(request: Request) -> Response:
    """POST /store/items/search: items under a namespace prefix."""
    body = await read_body(request, required=False)
    prefix = _namespace(
        body.get("namespace_prefix"), "namespace_prefix", required=False
    )
    limit, offset = page_args(body, limit=10)
    filter_ = field(body, "filter", dict)
    query = field(body, "query", str)
    refresh = field(body, "refresh_ttl", bool)
    if request_auth(request) is not None:
        event = {
            "namespace": prefix,
            "filter": filter_,
            "limit": limit,
            "offset": offset,
            "query": query,
            "refresh_ttl": refresh,
        }
        allowed = await authorize(request, "store", "search", event)
        prefix = _namespace(_listed(event["namespace"]), "namespace", required=False)
        filter_ = event["filter"]
        if allowed:
            filter_ = and_store_filters(filter_, allowed)
        limit, offset, query = event["limit"], event["offset"], event["query"]
    with _store_errors():
        items = await context(request).store.asearch(
            prefix,
            filter=filter_,
            query=query,
            limit=limit,
            offset=offset,
            refresh_ttl=refresh,
        )
    return json_response({"items": [item.dict() for item in items]})


async def list_namespaces(request: Request) -> Response:
    """POST /store/namespaces: the namespaces holding items, filtered."""
    body = await read_body(request, required=False)
    prefix = _namespace(body.get("prefix"), "prefix", required=False)
    suffix = _namespace(body.get("suffix"), "suffix", required=False)
    limit, offset = page_args(body, limit=100)
    max_depth = field(body, "max_depth", int)
    if request_auth(request) is not None:
        event = {
            "namespace": prefix or None,
            "suffix": suffix or None,
            "max_depth": max_depth,
            "limit": limit,
            "offset": offset,
        }
        await authorize(request, "store", "list_namespaces", event)
        prefix = _namespace(_listed(event["namespace"]), "prefix", required=False)
        suffix = _namespace(_listed(event["suffix"]), "suffix", required=False)
        max_depth, limit, offset = event["max_depth"], event["limit"], event["offset"]
    found: Sequence[tuple[str, ...]] = await context(request).store.alist_namespaces(
        prefix=prefix or None,
        suffix=suffix or None,
        max_depth=max_depth,
        limit=limit,
        offset=offset,
    )
    return json_response({"namespaces": [list(ns) for ns in found]})


def _listed(namespace: Any) -> Any:
    """A namespace a handler set, as ``_namespace`` reads it (a tuple is a list)."""
    return list(namespace) if isinstance(namespace, tuple) else namespace


routes = [
    Route("/store/items", put_item, methods=["PUT"]),
    Route("/store/items", get_item, methods=["GET"]),
    Route("/store/items", delete_item, methods=["DELETE"]),
    Route("/store/items/search", search_items, methods=["POST"]),
    Route("/store/namespaces", list_namespaces, methods=["POST"]),
]
