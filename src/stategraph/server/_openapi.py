"""``GET /openapi.json`` and ``GET /docs``: the API described from the app's routes.

The document is built from the routes the app really serves, each looked up
in the ``_openapi_paths`` table (which refuses an undescribed route), with
object shapes from ``_openapi_schemas``. It is built once per app.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

import stategraph
from stategraph.server._http import json_response
from stategraph.server._openapi_paths import Operation, describe
from stategraph.server._openapi_schemas import SCHEMAS, ref

__all__ = ("build_openapi", "docs", "document_path", "openapi")

_CONVERTER = re.compile(r"{(\w+)(?::\w+)?}")
# Our routes name ids ``{id}``; the document uses LangGraph's names for them,
# so clients generated from either document agree.
_ID_NAMES = (
    ("/assistants/{id}", "/assistants/{assistant_id}"),
    ("/threads/{id}", "/threads/{thread_id}"),
)
_TAGS = (
    ("assistants", "Configured versions of the served graphs."),
    ("threads", "Conversations and their checkpointed state."),
    ("runs", "Graph executions, streamed, awaited or in the background."),
    ("crons", "Runs on a schedule."),
    ("store", "The long-term key-value store shared by graphs."),
    ("system", "Health, server information and this document."),
    ("mcp", "Assistants as tools of a Model Context Protocol server."),
    ("a2a", "Assistants as Agent-to-Agent protocol agents."),
    ("ui", "Generative-UI components langgraph.json declares."),
    ("custom", "Routes of the app langgraph.json's http.app names."),
)
_ERROR = {
    "description": "Error",
    "content": {"application/json": {"schema": ref("ErrorResponse")}},
}


def build_openapi(routes: list[Any], *, strict: bool = True) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` (a Starlette app's ``routes``).

    Args:
        routes: The routes to describe; mounts and websockets are skipped.
        strict: Refuse a route missing from ``_openapi_paths.OPERATIONS``.
            The served document is lenient (such a route is listed as
            undescribed) so one forgotten entry cannot break the endpoint;
            the test suite builds it strictly.

    Raises:
        LookupError: ``strict`` and a route has no entry in ``OPERATIONS``.
    """
    paths: dict[str, dict[str, Any]] = {}
    flat = _flatten(routes)
    for route, custom in flat:
        if not isinstance(route, Route) or not route.include_in_schema:
            continue
        path = route.path if custom else document_path(route.path)
        for method in sorted(route.methods or ()):
            if method == "HEAD":  # Starlette adds it to every GET route
                continue
            if custom:
                op = _custom(route)
            else:
                op = describe(method, route.path) if strict else _lenient(method, route)
            # The first route serving a path and method is the one it reaches.
            paths.setdefault(path, {}).setdefault(
                method.lower(), _operation(method, path, op)
            )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "stategraph server",
            "version": stategraph.__version__,
            "description": "The LangGraph Server API, served by stategraph.",
        },
        "tags": [
            {"name": name, "description": text}
            for name, text in _TAGS
            if name != "custom" or any(custom for _, custom in flat)
        ],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }


def document_path(path: str) -> str:
    """A Starlette route path as the document writes it."""
    path = _CONVERTER.sub(r"{\1}", path)
    for ours, theirs in _ID_NAMES:
        if path == ours or path.startswith(ours + "/"):
            return theirs + path[len(ours) :]
    return path


def _flatten(routes: list[Any]) -> list[tuple[Any, bool]]:
    """Routes, with the user's custom ones (``http.app``) flagged and in place."""
    out: list[tuple[Any, bool]] = []
    for route in routes:
        custom = getattr(route, "custom_routes", None)
        if custom is None:
            out.append((route, False))
        else:
            out += [(r, True) for r in custom]
    return out


def _custom(route: Route) -> Operation:
    """A user's route: described by its endpoint's docstring, if any."""
    doc = (route.endpoint.__doc__ or "").strip().splitlines()
    return Operation("custom", doc[0] if doc else "Custom route.", response="any")


def _lenient(method: str, route: Route) -> Operation:
    try:
        return describe(method, route.path)
    except LookupError:
        return Operation("undescribed", "Not described yet.", response="any")


def _operation(method: str, path: str, op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": _operation_id(method, path),
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _CONVERTER.findall(path)
    ]
    params += [
        {
            "name": q.name,
            "in": "header" if q.header else "query",
            "required": False,
            "schema": {"type": q.type},
            **({"description": q.description} if q.description else {}),
        }
        for q in op.query
    ]
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": _schema(op.body)}},
        }
    responses = {str(op.status): _response(op, op.status)}
    for status in op.extra_status:
        responses[str(status)] = _response(op, status)
    if path not in ("/ok", "/info", "/openapi.json", "/docs"):
        responses["4XX"] = _ERROR
    out["responses"] = responses
    return out


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[^a-zA-Z0-9]+", "_", path).strip("_")
    return f"{method.lower()}_{words}" if words else method.lower()


def _schema(name: str) -> dict[str, Any]:
    if name.startswith("["):
        return {"type": "array", "items": _schema(name[1:-1])}
    if name.endswith("?"):
        return {"anyOf": [_schema(name[:-1]), {"type": "null"}]}
    if name == "int":
        return {"type": "integer"}
    if name == "any":
        return {}
    return ref(name)


def _response(op: Operation, status: int) -> dict[str, Any]:
    if status == 204:
        return {"description": "No content"}
    if op.stream:
        return {
            "description": "Server-sent events: `event:` names the stream mode "
            "(with `|namespace` for subgraphs), `data:` holds its JSON payload.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    if op.response == "html":
        return {
            "description": "HTML page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    if op.response is None or (status == 202 and op.extra_status):
        return {"description": "Accepted" if status == 202 else "Success"}
    return {
        "description": "Success",
        "content": {"application/json": {"schema": _schema(op.response)}},
    }


async def openapi(request: Request) -> Response:
    """GET /openapi.json: the OpenAPI document of this app."""
    app = request.app
    document = getattr(app.state, "openapi", None)
    if document is None:
        from stategraph.server._auth import openapi_security

        document = openapi_security(
            build_openapi(app.routes, strict=False), getattr(app.state, "auth", None)
        )
        app.state.openapi = document
    return json_response(document)


_DOCS = """<!doctype html>
<html><head><meta charset="utf-8"><title>stategraph server API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}
code{background:#f3f3f3;padding:0 .25rem}h2{margin-top:2rem}
td{padding:.2rem .6rem;vertical-align:top}</style></head>
<body><h1>stategraph server API</h1>
<p>Machine-readable: <a href="openapi.json"><code>/openapi.json</code></a>
(OpenAPI 3.1).</p>{body}</body></html>"""


async def docs(request: Request) -> Response:
    """GET /docs: every route and what it does, as a plain HTML page."""
    import html

    await openapi(request)  # builds and caches the document
    document: dict[str, Any] = request.app.state.openapi
    sections = []
    for tag, text in _TAGS:
        rows = [
            f"<tr><td><code>{method.upper()}</code></td>"
            f"<td><code>{html.escape(path)}</code></td>"
            f"<td>{html.escape(op['summary'])}</td></tr>"
            for path, item in document["paths"].items()
            for method, op in item.items()
            if op["tags"] == [tag]
        ]
        sections.append(
            f"<h2>{tag}</h2><p>{html.escape(text)}</p><table>{''.join(rows)}</table>"
        )
    return HTMLResponse(_DOCS.replace("{body}", "".join(sections)))
