"""Loading a resource on behalf of the request's user: authorize, load, hide.

Each loader runs the auth handler for the action, loads the record and
answers 404 when the record does not pass the handler's filter, as if it did
not exist (LangGraph's server does the same: no leak of other users' ids).
Without auth configured they are the plain loaders.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import UUID

from starlette.requests import HTTPConnection, Request

from stategraph.server._auth import Filters, authorize, request_auth
from stategraph.server._auth_filters import visible
from stategraph.server._context import context
from stategraph.server._http import ApiError, parse_uuid
from stategraph.server._storage import Page, Query, Record
from stategraph.server._thread_state import load_thread


async def thread_for(
    request: HTTPConnection,
    action: str,
    raw_id: str,
    value: dict[str, Any] | None = None,
) -> Record:
    """The thread ``raw_id`` names, when the user may ``action`` it.

    ``value`` is what the handler gets, with ``thread_id`` added; the handler
    may change it and the caller reads it back.

    Raises:
        ApiError: 404 for unknown and hidden threads, 422 for a bad id, and
            what the handler raises.
    """
    ctx = context(request)
    auth = request_auth(request)
    if auth is None:
        return await load_thread(ctx, raw_id)
    thread_id = parse_uuid(raw_id, "thread ID")
    value = {} if value is None else value
    value["thread_id"] = UUID(thread_id)
    filters = await auth.authorize("threads", action, value)
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None or not visible(thread, filters):
        raise ApiError(404, f"Thread {thread_id} not found")
    return thread


async def assistant_for(
    request: Request, action: str, raw_id: str, value: dict[str, Any] | None = None
) -> Record:
    """The assistant ``raw_id`` (UUID or graph id) names, if the user may ``action`` it.

    Raises:
        ApiError: 404 for unknown and hidden assistants, 422 for a bad id,
            and what the handler raises.
    """
    from stategraph.server.assistants import resolve_assistant

    ctx = context(request)
    auth = request_auth(request)
    if auth is None:
        return await resolve_assistant(ctx, raw_id)
    record = await resolve_assistant(ctx, raw_id)
    assistant_id = record["assistant_id"]
    value = {} if value is None else value
    value["assistant_id"] = UUID(assistant_id)
    filters = await auth.authorize("assistants", action, value)
    if not visible(record, filters):
        raise ApiError(404, f"Assistant {assistant_id} not found")
    return record


async def cron_for(
    request: Request, action: str, raw_id: str, value: dict[str, Any] | None = None
) -> Record:
    """The cron ``raw_id`` names, when the user may ``action`` it.

    Raises:
        ApiError: 404 for unknown and hidden crons, 422 for a bad id, and
            what the handler raises.
    """
    ctx = context(request)
    cron_id = parse_uuid(raw_id, "cron ID")
    auth = request_auth(request)
    filters = None
    if auth is not None:
        value = {} if value is None else value
        value["cron_id"] = UUID(cron_id)
        filters = await auth.authorize("crons", action, value)
    cron = await ctx.storage.get_cron(cron_id)
    if cron is None or not visible(cron, filters):
        raise ApiError(404, f"Cron {cron_id} not found")
    return cron


async def run_thread_visible(
    request: Request, action: str, run: Record, **value: Any
) -> bool:
    """Whether the user may ``action`` the thread of ``run`` (a stateless run too).

    A stateless run's thread is gone once it ends: its own metadata, which
    copies the thread's, decides then.
    """
    auth = request_auth(request)
    if auth is None:
        return True
    value = {
        "thread_id": UUID(run["thread_id"]),
        "run_id": UUID(run["run_id"]),
        **value,
    }
    filters = await auth.authorize("threads", action, value)
    if not filters:
        return True
    thread = await context(request).storage.get_thread(run["thread_id"])
    return visible(thread if thread is not None else run, filters)


def only_visible(page: Page, query: Query) -> Page:
    """``page`` without records the query's auth filter hides.

    Storages apply ``Query.auth`` themselves; this second look keeps a storage
    that ignores it from showing one user's records to another.
    """
    if query.auth is None:
        return page
    items = [item for item in page.items if visible(item, query.auth)]
    if len(items) == len(page.items):
        return page
    return Page(items, page.total - (len(page.items) - len(items)))


async def assistant_readable(request: Request, assistant: Record) -> bool:
    """Whether a run or cron may use ``assistant`` (system ones: always)."""
    auth = request_auth(request)
    if auth is None or assistant["metadata"].get("created_by") == "system":
        return True
    value = {"assistant_id": UUID(assistant["assistant_id"])}
    filters: Filters | None = await auth.authorize("assistants", "read", value)
    return visible(assistant, filters)


async def authorized_search(
    request: Request, resource: str, query: Query, value: dict[str, Any]
) -> Query:
    """``query`` as the ``<resource>:search`` handler allows it.

    The handler sees ``value`` (the search as LangGraph hands it over) and may
    change its ``metadata``; what it returns becomes ``query.auth``.
    """
    filters = await authorize(request, resource, "search", value)
    metadata = value.get("metadata") or None
    return dataclasses.replace(query, metadata=metadata, auth=filters)
