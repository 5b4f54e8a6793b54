"""A2A tasks on LangGraph threads and runs: finding them, their history, cancelling.

A context is a thread; a task is the run that started it plus the runs that
resumed it. Its id is ``"{thread_id}:{first run_id}"``, so ``tasks/get``
needs no context. Runs of a task carry ``metadata["a2a"]``: the first a
``task_start_id`` (the task id is not known before the run exists), later
ones the ``task_id``. Input messages are stamped with the same ids in their
``additional_kwargs["a2a"]``, which is how history tells whose turn a
message was. A task's state is its latest run's, and ``input-required`` when
that run is the thread's latest and left it interrupted.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from stategraph.server._a2a_history import (
    check_history_length,
    history,
    run_messages,
)
from stategraph.server._loopback import Loopback, LoopbackError

logger = logging.getLogger(__name__)

INTERNAL_ERROR = -32603
TASK_NOT_FOUND = -32001
NOT_CANCELABLE = -32002
INVALID_PARAMS = -32602
#: States a task cannot leave: no more messages, no cancelling.
TERMINAL_STATES = frozenset(
    ("TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED")
) | {"TASK_STATE_REJECTED"}
#: Runs of a context read to find a task's.
RUN_SCAN_LIMIT = 1000
_RUN_STATES = {
    "pending": "TASK_STATE_SUBMITTED",
    "running": "TASK_STATE_WORKING",
    "success": "TASK_STATE_COMPLETED",
    "interrupted": "TASK_STATE_CANCELED",  # a cancelled run, not a HITL interrupt
    "error": "TASK_STATE_FAILED",
    "timeout": "TASK_STATE_FAILED",
}


@dataclass(frozen=True, slots=True)
class Task:
    """A task found in its context.

    Attributes:
        task_id: As the client names it.
        context_id: The thread.
        run: The task's latest run.
        state: The A2A task state.
        by_start_id: Task ids of the context's tasks, by ``task_start_id``.
    """

    task_id: str
    context_id: str
    run: dict[str, Any]
    state: str
    by_start_id: dict[str, str]

    @property
    def timestamp(self) -> str:
        """When the latest run last changed."""
        return str(self.run.get("updated_at") or self.run.get("created_at") or now())


def now() -> str:
    """The current time, ISO 8601."""
    return datetime.now(timezone.utc).isoformat()


def a2a_meta(run: dict[str, Any]) -> dict[str, Any]:
    """A run's ``metadata["a2a"]`` (empty when it has none)."""
    found = (run.get("metadata") or {}).get("a2a")
    return found if isinstance(found, dict) else {}


def task_id_of(context_id: str, run: dict[str, Any]) -> str:
    """The id of the task ``run`` belongs to."""
    stored = a2a_meta(run).get("task_id")
    return (
        stored
        if isinstance(stored, str) and stored
        else f"{context_id}:{run['run_id']}"
    )


def ids_by_start_id(
    runs: list[dict[str, Any]], context_id: str, assistant_id: str
) -> dict[str, str]:
    """The context's task ids by the ``task_start_id`` their first run carries."""
    found: dict[str, str] = {}
    for run in runs:
        start = a2a_meta(run).get("task_start_id")
        if str(run.get("assistant_id")) == assistant_id and isinstance(start, str):
            found[start] = task_id_of(context_id, run)
    return found


async def context_runs(api: Loopback, context_id: str) -> list[dict[str, Any]]:
    """The context's runs, newest first."""
    runs: list[dict[str, Any]] = await api.call(
        "GET", f"/threads/{context_id}/runs", params={"limit": RUN_SCAN_LIMIT}
    )
    return sorted(runs, key=lambda r: (str(r["created_at"]), r["run_id"]), reverse=True)


def task_state(run: dict[str, Any], thread: dict[str, Any] | None) -> str:
    state = _RUN_STATES.get(str(run.get("status")), "TASK_STATE_SUBMITTED")
    interrupted = thread is not None and thread.get("status") == "interrupted"
    if run.get("status") == "success" and interrupted:
        return "TASK_STATE_INPUT_REQUIRED"
    return state


async def resolve_task(
    api: Loopback, task_id: str, context_id: str | None, assistant_id: str
) -> Task | None:
    """The task ``task_id`` names, or ``None`` if this assistant has no such task."""
    parsed, _, anchor = task_id.rpartition(":")
    if parsed and context_id and parsed != context_id:
        return None
    context_id = context_id or parsed
    if not context_id:
        return None
    try:
        first = await api.call("GET", f"/threads/{context_id}/runs/{anchor}")
        thread = await api.call("GET", f"/threads/{context_id}")
    except LoopbackError as exc:
        if exc.status in (400, 404, 422):
            return None
        raise
    if str(first.get("assistant_id")) != assistant_id:
        return None
    stored = a2a_meta(first).get("task_id")
    if isinstance(stored, str) and stored and stored != task_id:
        return None
    runs = await context_runs(api, context_id)
    latest, thread_state = first, None
    for run in runs:
        if str(run.get("assistant_id")) != assistant_id:
            continue
        if run["run_id"] == anchor or a2a_meta(run).get("task_id") == task_id:
            latest = run
            thread_state = thread if runs[0]["run_id"] == run["run_id"] else None
            break
    by_start = ids_by_start_id(runs, context_id, assistant_id)
    return Task(task_id, context_id, latest, task_state(latest, thread_state), by_start)


_CANCEL = {"wait": "true", "action": "interrupt"}


async def _cancel(api: Loopback, task: Task, assistant_id: str) -> None:
    """Interrupt the task's run; for a task waiting on input, end the wait."""
    thread = f"/threads/{task.context_id}"
    if task.state != "TASK_STATE_INPUT_REQUIRED":
        run_id = task.run["run_id"]
        await api.call("POST", f"{thread}/runs/{run_id}/cancel", params=_CANCEL)
        return
    # Nothing runs: a run of the task, cancelled before it starts, records the
    # cancel; moving the thread to the end drops the pending interrupt.
    marker = {**a2a_meta(task.run), "task_id": task_id_of(task.context_id, task.run)}
    body = {"assistant_id": assistant_id, "metadata": {"a2a": marker}}
    made = await api.call("POST", f"{thread}/runs", {**body, "after_seconds": 3600})
    try:
        await api.call("POST", f"{thread}/runs/{made['run_id']}/cancel", params=_CANCEL)
        await api.call(
            "POST", f"{thread}/state", {"values": None, "as_node": "__end__"}
        )
    except LoopbackError:
        await api.call("DELETE", f"{thread}/runs/{made['run_id']}")
        raise


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _task_params(params: dict[str, Any]) -> tuple[str, str | None] | dict[str, Any]:
    """``(task id, context id)`` from ``params``, or the error to answer."""
    task_id, context_id = params.get("id"), params.get("contextId")
    if not task_id:
        return _error(INVALID_PARAMS, "Missing required parameter: id (task_id)")
    if not isinstance(task_id, str) or not isinstance(context_id, (str, type(None))):
        return _error(INVALID_PARAMS, "Task id and contextId must be strings")
    return task_id, context_id


async def get_task(
    api: Loopback, params: dict[str, Any], assistant_id: str, scope: str | None
) -> dict[str, Any]:
    """``tasks/get``: the task's state and (up to ``historyLength``) history."""
    ids = _task_params(params)
    if isinstance(ids, dict):
        return ids
    task = await resolve_task(api, ids[0], ids[1], assistant_id)
    if task is None:
        where = f" in context '{ids[1]}'" if ids[1] else ""
        return _error(TASK_NOT_FOUND, f"Task not found: {ids[0]}{where}")
    length = params.get("historyLength")
    if problem := check_history_length(length):
        return _error(INVALID_PARAMS, problem)
    if scope is None:
        return _error(INVALID_PARAMS, "historyScope must be 'context' or 'task'")
    status: dict[str, Any] = {"state": task.state, "timestamp": task.timestamp}
    found: dict[str, Any] = {
        "kind": "task",
        "id": task.task_id,
        "contextId": task.context_id,
        "status": status,
    }
    if length != 0:
        ran = await run_messages(api, task.context_id, task.run["run_id"])
        messages = ran.stamped(task.task_id)
        found["history"] = history(
            messages, task.task_id, task.context_id, length, scope, task.by_start_id
        )
    if task.state == "TASK_STATE_COMPLETED":
        text = "Task completed successfully"
    elif task.state == "TASK_STATE_FAILED":
        text = f"Task failed with status: {task.run.get('status')}"
    else:
        return {"result": found}
    status["message"] = {
        "kind": "message",
        "role": "ROLE_AGENT",
        "parts": [{"kind": "text", "text": text}],
        "messageId": str(uuid.uuid4()),
        "taskId": task.task_id,
    }
    return {"result": found}


async def cancel_task(
    api: Loopback, params: dict[str, Any], assistant_id: str
) -> dict[str, Any]:
    """``tasks/cancel``: interrupt the task's run, or end its wait for input."""
    ids = _task_params(params)
    if isinstance(ids, dict):
        return ids
    task = await resolve_task(api, ids[0], ids[1], assistant_id)
    if task is None:
        return _error(TASK_NOT_FOUND, f"Task not found: {ids[0]}")
    if task.state in TERMINAL_STATES:
        return _error(NOT_CANCELABLE, "Task is not cancelable in its current state")
    if task.state != "TASK_STATE_INPUT_REQUIRED" and task.run.get("status") not in (
        "pending",
        "running",
    ):
        return _error(NOT_CANCELABLE, "Task has no active run to cancel")
    try:
        await _cancel(api, task, assistant_id)
    except LoopbackError as exc:
        logger.exception("A2A: cancelling task %s failed", ids[0])
        return _error(INTERNAL_ERROR, f"Failed to cancel task: {exc}")
    status = {
        "state": "TASK_STATE_CANCELED",
        "timestamp": now(),
        "message": {
            "kind": "message",
            "role": "ROLE_AGENT",
            "parts": [{"kind": "text", "text": "Task was canceled"}],
            "messageId": str(uuid.uuid4()),
            "taskId": ids[0],
        },
    }
    return {
        "result": {
            "kind": "task",
            "id": ids[0],
            "contextId": task.context_id,
            "status": status,
        }
    }
