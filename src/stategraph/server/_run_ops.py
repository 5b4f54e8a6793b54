"""Creating and cancelling runs: validation, double texting, config, records.

Routes call ``create_run`` and ``cancel_run``; both leave executing runs to
the queue. The run's stream is opened before the run is queued so that its
first frames reach the client that created it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from stategraph.server import _json
from stategraph.server._auth_filters import visible
from stategraph.server._context import ServerContext, new_id, now
from stategraph.server._http import ApiError, parse_uuid
from stategraph.server._queue import CancelAction
from stategraph.server._run_request import parse_run_create
from stategraph.server._storage import Record
from stategraph.server._thread_state import new_thread, refresh_thread
from stategraph.server.assistants import resolve_assistant

if TYPE_CHECKING:
    from stategraph.server._auth import RequestAuth

_CHECKPOINT_KEYS = ("checkpoint_id", "checkpoint_ns", "checkpoint_map")


def run_config(
    assistant: Record, kwargs: Mapping[str, Any], thread_id: str, run_id: str
) -> dict[str, Any]:
    """The config a run's graph gets: assistant config, then request config.

    ``configurable`` carries the run's ids and its start checkpoint;
    ``metadata`` carries the ids too, so checkpoints record which run wrote
    them (a rollback deletes by ``run_id``).
    """
    base: dict[str, Any] = assistant.get("config") or {}
    request: dict[str, Any] = kwargs["config"]
    config = {**base, **request}
    ids = {
        "thread_id": thread_id,
        "run_id": run_id,
        "graph_id": assistant["graph_id"],
        "assistant_id": assistant["assistant_id"],
    }
    configurable = {
        **(base.get("configurable") or {}),
        **(request.get("configurable") or {}),
        **(kwargs.get("context") or {}),
        **ids,
    }
    for key in _CHECKPOINT_KEYS:
        value = (kwargs.get("checkpoint") or {}).get(key)
        if value is not None:
            configurable[key] = value
    config["configurable"] = configurable
    config["metadata"] = {
        **(assistant.get("metadata") or {}),
        **(base.get("metadata") or {}),
        **(request.get("metadata") or {}),
        **ids,
        "run_attempt": 1,
    }
    return config


def _run_context(assistant: Record, kwargs: Mapping[str, Any]) -> Any:
    if kwargs.get("context") is not None:
        return kwargs["context"]
    return assistant.get("context") or None


async def _thread_for_run(
    ctx: ServerContext, raw_thread_id: str | None, kwargs: dict[str, Any]
) -> tuple[Record, bool]:
    """The run's thread, and whether it existed before the run."""
    if raw_thread_id is None:
        thread_id = new_id()
    else:
        thread_id = parse_uuid(raw_thread_id, "thread ID")
        thread = await ctx.storage.get_thread(thread_id)
        if thread is not None:
            return thread, True
        if kwargs["if_not_exists"] != "create":
            raise ApiError(404, f"Thread {thread_id} not found")
    # It gets the run's metadata, as in LangGraph's server: an auth handler
    # stamping an owner on the run owns the new thread too.
    metadata = {**(kwargs["config"].get("metadata") or {}), **kwargs["metadata"]}
    return new_thread(thread_id, metadata), False


async def _authorize_run(
    auth: RequestAuth,
    assistant: Record,
    thread: tuple[Record, bool],
    kwargs: dict[str, Any],
) -> None:
    """Run the ``threads:create_run`` handler (and ``assistants:read``).

    Raises:
        ApiError: 404 when the thread or a non-system assistant is hidden from
            the user, and what the handlers raise.
    """
    record, existed = thread
    value = {
        "thread_id": None if kwargs["temporary"] else UUID(record["thread_id"]),
        "assistant_id": UUID(assistant["assistant_id"]),
        "run_id": None,
        "status": "pending",
        "metadata": kwargs["metadata"],
        "prevent_insert_if_inflight": kwargs["multitask_strategy"] == "reject",
        "multitask_strategy": kwargs["multitask_strategy"],
        "if_not_exists": kwargs["if_not_exists"],
        "after_seconds": kwargs["after_seconds"],
        "kwargs": kwargs,
    }
    filters = await auth.authorize("threads", "create_run", value)
    kwargs["metadata"] = dict(value.get("metadata") or {})
    if not existed:
        record["metadata"] = {**record["metadata"], **kwargs["metadata"]}
    hidden = existed and not visible(record, filters)
    if not hidden and assistant["metadata"].get("created_by") != "system":
        value = {"assistant_id": UUID(assistant["assistant_id"])}
        read = await auth.authorize("assistants", "read", value)
        hidden = not visible(assistant, read)
    if hidden:
        raise ApiError(404, "Thread or assistant not found.")


def _new_run(assistant: Record, thread: Record, kwargs: dict[str, Any]) -> Record:
    thread_id = thread["thread_id"]
    thread_metadata = thread["metadata"]
    run_id = new_id()
    kwargs["config"] = run_config(assistant, kwargs, thread_id, run_id)
    kwargs["context"] = _run_context(assistant, kwargs)
    stamp = now()
    # A delayed run is created "in the future", as LangGraph's server does.
    delay = kwargs.get("after_seconds") or 0
    created = (datetime.fromisoformat(stamp) + timedelta(seconds=delay)).isoformat()
    return {
        "run_id": run_id,
        "thread_id": thread_id,
        "assistant_id": assistant["assistant_id"],
        "created_at": created,
        "updated_at": stamp,
        "status": "pending",
        "metadata": {
            **assistant["metadata"],
            **thread_metadata,
            **kwargs["metadata"],
            "graph_id": assistant["graph_id"],
            "assistant_id": assistant["assistant_id"],
        },
        "kwargs": kwargs,
        "multitask_strategy": kwargs["multitask_strategy"],
    }


@dataclass(slots=True)
class PreparedRun:
    """A validated run and its thread, ready to be stored and queued.

    Attributes:
        run: The run record (status ``pending``).
        thread: The thread record as it is to be stored (``busy``).
        new_thread: Whether the thread is made for this run.
        in_flight: The thread's runs in flight when the run was prepared
            (``interrupt``/``rollback`` cancel them once it is stored).
    """

    run: Record
    thread: Record
    new_thread: bool
    in_flight: list[str]


async def prepare_run(
    ctx: ServerContext,
    body: Mapping[str, Any],
    raw_thread_id: str | None,
    auth: RequestAuth | None = None,
    headers: Mapping[str, str] | None = None,
) -> PreparedRun:
    """Validate a ``RunCreate`` body and build its run; nothing is written.

    Arguments and errors as ``create_run``: it is the first of its steps
    (then ``open_stream``, storing the thread and run, ``start_prepared``);
    the cron scheduler stores the run in the transaction claiming its tick.
    """
    kwargs = parse_run_create(body, stateless=raw_thread_id is None)
    assistant = await resolve_assistant(ctx, body["assistant_id"])
    found = await _thread_for_run(ctx, raw_thread_id, kwargs)
    if auth is not None:
        await _authorize_run(auth, assistant, found, kwargs)
    thread, existed = found
    in_flight = await ctx.runs.in_flight(thread["thread_id"])
    if in_flight and kwargs["multitask_strategy"] == "reject":
        raise ApiError(
            409,
            "Thread is already running a task. Wait for it to finish or"
            " choose a different multitask strategy.",
        )
    if headers:
        kwargs["config"]["configurable"] = {
            **(kwargs["config"].get("configurable") or {}),
            **headers,
        }
    run = _new_run(assistant, thread, kwargs)
    if auth is not None:
        # Set by the server alone: a client cannot name another user.
        kwargs["config"]["configurable"].update(auth.configurable())
    # Clients list a graph's threads by these keys (agent-chat-ui does).
    thread["metadata"] = {
        **thread["metadata"],
        "graph_id": assistant["graph_id"],
        "assistant_id": assistant["assistant_id"],
    }
    thread["status"] = "busy"
    thread["updated_at"] = run["updated_at"]
    return PreparedRun(run, thread, not existed, in_flight)


async def open_stream(
    ctx: ServerContext, prepared: PreparedRun, *, announce: bool = True
) -> None:
    """Open the run's stream; before the run is stored (see ``create_run``).

    ``announce=False`` leaves telling the thread's watchers to the caller,
    for a run that may yet not be stored (a cron tick another process wins).
    """
    run = prepared.run
    await ctx.broker.open(
        run["run_id"],
        resumable=run["kwargs"]["resumable"],
        thread_id=run["thread_id"] if announce else None,
    )


async def start_prepared(ctx: ServerContext, prepared: PreparedRun) -> None:
    """Queue a stored run; cancel the runs its strategy replaces."""
    run = prepared.run
    thread_id = run["thread_id"]
    # A thread made for a run lives as long as the config's default TTL says.
    if prepared.new_thread and ctx.ttl is not None:
        await ctx.ttl.set(thread_id, None)
    strategy = run["multitask_strategy"]
    if strategy in ("interrupt", "rollback"):
        for old in prepared.in_flight:
            await cancel_run(ctx, thread_id, old, strategy)
    await ctx.runs.submit(run)


async def create_run(
    ctx: ServerContext,
    body: Mapping[str, Any],
    raw_thread_id: str | None,
    auth: RequestAuth | None = None,
    headers: Mapping[str, str] | None = None,
) -> Record:
    """Validate a ``RunCreate`` body, apply double texting and queue the run.

    Args:
        ctx: The server.
        body: The request body.
        raw_thread_id: The thread from the path, ``None`` for stateless runs.
        auth: Who asks, when the server has auth: their handlers decide, and
            the run's config names them (``langgraph_auth_user``...).
        headers: Request headers ``http.configurable_headers`` lets the run
            see in ``configurable`` (over the body's values, as LangGraph's).

    Returns:
        The new run record (status ``pending``).

    Raises:
        ApiError: 4xx for invalid bodies, unknown threads or assistants, and
            409 when ``multitask_strategy="reject"`` meets a busy thread.
    """
    prepared = await prepare_run(ctx, body, raw_thread_id, auth, headers)
    # The stream first: once stored, the run may be claimed by a worker of
    # another process at once, and opening would then reset its frames.
    await open_stream(ctx, prepared)
    await ctx.storage.put_thread(prepared.thread)
    await ctx.storage.put_run(prepared.run)
    await start_prepared(ctx, prepared)
    return prepared.run


async def cancel_run(
    ctx: ServerContext, thread_id: str, run_id: str, action: CancelAction
) -> bool:
    """Cancel a run; a queued one is recorded here, a running one by its worker.

    Returns:
        Whether the run was in flight.
    """
    where = await ctx.runs.cancel(thread_id, run_id, action)
    if where == "absent":
        # Not queued here: another process of the server may be running it.
        run = await ctx.storage.get_run(run_id)
        if run is None or run["status"] != "running":
            return False
        await ctx.broker.request_cancel(run_id, action)
        return True
    if where == "running":
        return True
    if action == "rollback":
        await ctx.storage.delete_run(run_id)
        await ctx.broker.discard(run_id)
    else:
        run = await ctx.storage.get_run(run_id)
        if run is not None:
            run["status"] = "interrupted"
            run["updated_at"] = now()
            await ctx.storage.put_run(run)
        await ctx.broker.close(run_id, _json.dumps(None))
    await refresh_thread(ctx, thread_id)
    return True


_background: set[asyncio.Task[Any]] = set()


def cancel_soon(ctx: ServerContext, thread_id: str, run_id: str) -> None:
    """Cancel a run from code that cannot await (a client just disconnected)."""
    task = asyncio.get_running_loop().create_task(
        cancel_run(ctx, thread_id, run_id, "interrupt")
    )
    _background.add(task)
    task.add_done_callback(_background.discard)


async def cancel_here(ctx: ServerContext, run_id: str, action: CancelAction) -> None:
    """Cancel ``run_id`` if this process runs it (a broker's cancel signal)."""
    for thread_id, in_flight, running in await ctx.runs.all_in_flight():
        if running and in_flight == run_id:
            await ctx.runs.cancel(thread_id, run_id, action)
