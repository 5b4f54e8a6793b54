"""Request parsing and responses in the API's conventions.

Errors are ``{"detail": ...}`` JSON with the API's status codes (404 unknown
resource, 409 conflict, 422 validation); bodies are JSON objects; ids are
UUIDs. Route modules use these helpers instead of reading requests directly.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from stategraph.server import _json

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_BODY_ENV = "STATEGRAPH_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
#: The status logged for a request its client left before it was read
#: (nginx's "client closed request", as LangGraph's server records it).
CLIENT_CLOSED = 499


class ApiError(HTTPException):
    """An error answered as ``{"detail": message}`` with ``status_code``."""


def json_response(
    data: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response encoded with the server's serializer."""
    return Response(
        _json.dumps(data),
        status_code=status_code,
        media_type="application/json",
        headers=dict(headers or {}),
    )


async def read_json(request: Request, *, required: bool = True) -> Any:
    """The request's JSON body (``None`` when empty and not ``required``).

    Raises:
        ApiError: 422 for form-encoded bodies and bodies that are not JSON.
    """
    raw = await _read_limited(request)
    if not raw.strip():
        if required:
            raise ApiError(422, "Request body is required")
        return None
    content_type = request.headers.get("content-type", "")
    # Browsers send JSON as text/plain to skip CORS preflights, and LangGraph's
    # server parses any body as JSON; only form encodings are certainly wrong.
    if content_type.lower().startswith(_FORM_TYPES):
        raise ApiError(
            422, f"Content-Type must be application/json, got {content_type!r}"
        )
    try:
        return _json.loads(raw)
    except ValueError as exc:
        raise ApiError(422, f"Invalid JSON body: {exc}") from None


def max_body_bytes() -> int:
    """The largest request body accepted, from ``STATEGRAPH_MAX_BODY_BYTES``."""
    value = os.environ.get(MAX_BODY_ENV)
    if value is None:
        return DEFAULT_MAX_BODY_BYTES
    try:
        return int(value)
    except ValueError:
        raise ApiError(
            500, f"{MAX_BODY_ENV} must be a number of bytes, got {value!r}"
        ) from None


def _too_large(size: str | int, limit: int) -> ApiError:
    return ApiError(
        413,
        f"Request body of {size} bytes is larger than the limit of {limit} bytes;"
        f" send less or raise {MAX_BODY_ENV}",
    )


async def _read_limited(request: Request) -> bytes:
    """The body, refused with 413 as soon as it passes the limit.

    A declared ``Content-Length`` over the limit is refused before reading;
    a chunked body is counted as it arrives, so it is never held whole.

    Raises:
        ApiError: 413 past the limit; 499 when the client left first (the
            SDKs drop a stream request they replaced at once). Starlette's
            ``ClientDisconnect`` would go up to the server, which logs it as
            an application error; nobody reads the 499.
    """
    limit = max_body_bytes()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(declared, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(f"more than {limit}", limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(CLIENT_CLOSED, "Client closed the request") from None
    return b"".join(chunks)


async def read_body(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty and not ``required``).

    Raises:
        ApiError: 422 when the body is not a JSON object (see ``read_json``).
    """
    body = await read_json(request, required=required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(422, "Request body must be a JSON object")
    return body


def parse_uuid(value: str, what: str) -> str:
    """``value`` as a canonical UUID string, or a 422 naming ``what``."""
    try:
        return str(UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise ApiError(422, f"Invalid {what}: {value!r} is not a UUID") from None


def field(
    body: Mapping[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    default: Any = None,
) -> Any:
    """``body[name]`` checked against ``kind``; ``default`` when absent or null."""
    value = body.get(name)
    if value is None:
        return default
    # bool is an int subclass; a flag is never a count.
    bad_bool = isinstance(value, bool) and bool not in (
        kind if isinstance(kind, tuple) else (kind,)
    )
    if not isinstance(value, kind) or bad_bool:
        names = (
            kind.__name__
            if isinstance(kind, type)
            else "/".join(k.__name__ for k in kind)
        )
        raise ApiError(422, f"Field {name!r} must be of type {names}, got {value!r}")
    return value


def choice(
    body: Mapping[str, Any], name: str, allowed: Collection[str], default: str
) -> str:
    """``body[name]``, one of ``allowed``, else a 422."""
    value = body.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise ApiError(
            422, f"Field {name!r} must be one of {sorted(allowed)}, got {value!r}"
        )
    return str(value)


def page_args(body: Mapping[str, Any], *, limit: int = 10) -> tuple[int, int]:
    """``limit`` and ``offset`` of a search body, validated."""
    got_limit = field(body, "limit", int, limit)
    offset = field(body, "offset", int, 0)
    if got_limit < 0 or offset < 0:
        raise ApiError(422, "'limit' and 'offset' must not be negative")
    return got_limit, offset


def pagination_headers(total: int, limit: int, offset: int) -> dict[str, str]:
    """``X-Pagination-Total`` and, when more results follow, ``-Next``."""
    headers = {"X-Pagination-Total": str(total)}
    if offset + limit < total:
        headers["X-Pagination-Next"] = str(offset + limit)
    return headers


def page_response(page: Any, query: Any, body: Mapping[str, Any]) -> Response:
    """A search's page of records, cut to ``select`` fields, with pagination headers."""
    items = page.items
    select = field(body, "select", list)
    if select:
        items = [{k: item.get(k) for k in select} for item in items]
    headers = pagination_headers(page.total, query.limit, query.offset)
    return json_response(items, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Answer any ``HTTPException`` as ``{"detail": ...}``."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return json_response({"detail": exc.detail}, exc.status_code, exc.headers)
