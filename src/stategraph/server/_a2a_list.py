"""A2A ``ListTasks``: the assistant's tasks across the user's contexts.

Tasks are read from the threads the user may search (or the one
``contextId`` names) and their runs; newest status first, paged by an
offset token. Filters: ``status`` (either spelling of the state),
``statusTimestampAfter``. ``historyLength`` bounds each task's history
(0 leaves it out); without ``includeArtifacts`` tasks carry ``artifacts: []``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stategraph.server._a2a_history import check_history_length, history, run_messages
from stategraph.server._a2a_parts import STATE_TO_LEGACY
from stategraph.server._a2a_send import RpcError
from stategraph.server._a2a_tasks import (
    INVALID_PARAMS,
    RUN_SCAN_LIMIT,
    context_runs,
    ids_by_start_id,
    task_id_of,
    task_state,
)
from stategraph.server._loopback import Loopback, LoopbackError

_STATES = frozenset(STATE_TO_LEGACY)
_FROM_LEGACY = {v: k for k, v in STATE_TO_LEGACY.items()}
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class _Options:
    page_size: int
    offset: int
    history_length: int | None
    status: str | None
    after: str | None
    artifacts: bool
    context_id: str | None


def _options(params: dict[str, Any]) -> _Options:
    """The request's options, checked.

    Raises:
        RpcError: For an invalid one.
    """
    size = params.get("pageSize")
    if size is not None and (not isinstance(size, int) or not 1 <= size <= 100):
        raise RpcError(INVALID_PARAMS, "pageSize must be an integer between 1 and 100.")
    length = params.get("historyLength")
    if problem := check_history_length(length):
        raise RpcError(INVALID_PARAMS, problem)
    status = params.get("status")
    status = _FROM_LEGACY.get(status, status) if isinstance(status, str) else status
    if status is not None and status not in _STATES:
        raise RpcError(INVALID_PARAMS, f"Invalid status value: '{status}'.")
    after = params.get("statusTimestampAfter")
    if after is not None:
        try:
            datetime.fromisoformat(str(after).replace("Z", "+00:00"))
            if not isinstance(after, str):
                raise ValueError(after)
        except ValueError:
            message = "statusTimestampAfter must be a valid ISO 8601 timestamp."
            raise RpcError(INVALID_PARAMS, message) from None
    token = params.get("pageToken")
    if token is not None and not isinstance(token, str):
        raise RpcError(INVALID_PARAMS, "pageToken must be a string.")
    if token and not token.lstrip("-").isdigit():
        raise RpcError(INVALID_PARAMS, "Invalid pageToken.")
    context_id = params.get("contextId")
    if context_id is not None and not isinstance(context_id, str):
        raise RpcError(INVALID_PARAMS, "contextId must be a string.")
    return _Options(
        page_size=size or DEFAULT_PAGE_SIZE,
        offset=int(token) if token else 0,
        history_length=length,
        status=status,
        after=after,
        artifacts=bool(params.get("includeArtifacts", False)),
        context_id=context_id,
    )


async def _threads(api: Loopback, context_id: str | None) -> list[dict[str, Any]]:
    if context_id is None:
        found: list[dict[str, Any]] = await api.call(
            "POST", "/threads/search", {"limit": RUN_SCAN_LIMIT}
        )
        return found
    try:
        return [await api.call("GET", f"/threads/{context_id}")]
    except LoopbackError as exc:
        if exc.status in (400, 404, 422):
            return []
        raise


async def list_tasks(
    api: Loopback, params: dict[str, Any], assistant_id: str, scope: str | None
) -> dict[str, Any]:
    """``ListTasks``: ``{"tasks", "totalSize", "pageSize", "nextPageToken"}``."""
    options = _options(params)
    if scope is None:
        raise RpcError(INVALID_PARAMS, "historyScope must be 'context' or 'task'")
    tasks: dict[str, dict[str, Any]] = {}
    anchors: dict[str, tuple[str, dict[str, str]]] = {}
    for thread in await _threads(api, options.context_id):
        context_id = str(thread["thread_id"])
        runs = await context_runs(api, context_id)
        known = ids_by_start_id(runs, context_id, assistant_id)
        for run in runs:
            task_id = task_id_of(context_id, run)
            if str(run.get("assistant_id")) != assistant_id or task_id in tasks:
                continue
            latest = runs[0]["run_id"] == run["run_id"]
            state = task_state(run, thread if latest else None)
            stamp = str(run.get("updated_at") or run.get("created_at") or "")
            if options.status and state != options.status:
                continue
            if options.after and stamp < options.after:
                continue
            task: dict[str, Any] = {
                "kind": "task",
                "id": task_id,
                "contextId": context_id,
                "status": {"state": state, "timestamp": stamp},
            }
            if not options.artifacts:
                task["artifacts"] = []
            tasks[task_id] = task
            anchors[task_id] = (run["run_id"], known)
    ordered = sorted(
        tasks.values(), key=lambda t: t["status"]["timestamp"], reverse=True
    )
    page = ordered[options.offset : options.offset + options.page_size]
    if options.history_length != 0:
        for task in page:
            run_id, known = anchors[task["id"]]
            ran = await run_messages(api, task["contextId"], run_id)
            messages = ran.stamped(task["id"])
            task["history"] = history(
                messages,
                task["id"],
                task["contextId"],
                options.history_length,
                scope,
                known,
            )
    following = options.offset + len(page)
    return {
        "result": {
            "tasks": page,
            "totalSize": len(ordered),
            "pageSize": len(page),
            "nextPageToken": str(following) if following < len(ordered) else "",
        }
    }
