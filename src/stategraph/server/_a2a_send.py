"""A2A ``message/send``, and the checks and input it shares with ``message/stream``.

A message without ``taskId`` starts a task: a run on its ``contextId``
(thread; a new one when absent). A message with ``taskId`` continues the
task; when the thread waits on an interrupt, its text (or a data part's
``resume``) resumes it. ``message.command`` passes a LangGraph command as is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers

from stategraph.server._a2a_history import (
    check_history_length,
    history,
    run_messages,
    thread_interrupted,
)
from stategraph.server._a2a_parts import (
    input_role,
    interrupt_artifact,
    parts_to_input,
    response_artifact,
    response_parts,
)
from stategraph.server._a2a_tasks import (
    INVALID_PARAMS,
    TASK_NOT_FOUND,
    TERMINAL_STATES,
    context_runs,
    ids_by_start_id,
    now,
    resolve_task,
)
from stategraph.server._context import new_id
from stategraph.server._loopback import Loopback, LoopbackError

UNSUPPORTED_OPERATION = -32004
CONTENT_TYPE_NOT_SUPPORTED = -32005
#: Header choosing ``context`` (default) or ``task`` history.
HISTORY_SCOPE_HEADER = "LangGraph-A2A-History-Scope"


class RpcError(Exception):
    """A JSON-RPC error to answer with."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        """The ``{"error": ...}`` member of the response."""
        return {"error": {"code": self.code, "message": self.message}}


@dataclass(slots=True)
class Turn:
    """A checked message, ready to run.

    Attributes:
        context_id: The thread.
        task_id: The task continued (``None``: a new one, named after its run).
        start_id: The new task's ``task_start_id``.
        body: The run's request body (without ``thread_id``).
        message: The A2A message as sent.
    """

    context_id: str
    task_id: str | None
    start_id: str | None
    body: dict[str, Any]
    message: dict[str, Any]


def history_scope(options: dict[str, Any], headers: Headers) -> str | None:
    """``context`` or ``task`` (option first, then header); ``None``: invalid."""
    scope = options.get("historyScope")
    if scope is None:
        scope = headers.get(HISTORY_SCOPE_HEADER, "context")
    return scope if scope in ("context", "task") else None


async def fetch_assistant(
    api: Loopback, assistant_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The assistant and its schemas.

    Raises:
        RpcError: When the assistant is missing (or hidden from the user).
    """
    try:
        assistant = await api.call("GET", f"/assistants/{assistant_id}")
        schemas = await api.call("GET", f"/assistants/{assistant_id}/schemas")
    except LoopbackError as exc:
        if exc.status == 404:
            message = f"Assistant '{assistant_id}' not found"
        else:
            message = f"Failed to get assistant '{assistant_id}': {exc.detail}"
        raise RpcError(INVALID_PARAMS, message) from None
    return assistant, schemas


async def _assistant(api: Loopback, assistant_id: str, parts: list[Any]) -> None:
    """Check the assistant exists and takes messages if the parts need them."""
    assistant, schemas = await fetch_assistant(api, assistant_id)
    if not any(isinstance(p, dict) and ("text" in p or "file" in p) for p in parts):
        return
    schema = schemas.get("input_schema") or schemas.get("state_schema")
    if not schema:
        raise RpcError(
            INVALID_PARAMS,
            f"Assistant '{assistant_id}' has no input schema defined. A2A "
            "conversational agents using text or file parts must have an input "
            "schema with a 'messages' field.",
        )
    fields = list((schema.get("properties") or {}).keys())
    if "messages" not in fields:
        raise RpcError(
            INVALID_PARAMS,
            f"Assistant '{assistant_id}' (graph '{assistant['graph_id']}') does not "
            "support A2A conversational messages. Graph input schema must include "
            "a 'messages' field to accept text or file parts. Available input "
            f"fields: {fields}",
        )


def _checked_message(params: dict[str, Any]) -> dict[str, Any]:
    message = params.get("message")
    if not message:
        raise RpcError(INVALID_PARAMS, "Missing 'message' in params")
    if not message.get("messageId"):
        raise RpcError(INVALID_PARAMS, "Missing required 'messageId' in message")
    if not message.get("role"):
        raise RpcError(INVALID_PARAMS, "Missing required 'role' in message")
    parts = message.get("parts", [])
    if not isinstance(parts, list):
        raise RpcError(INVALID_PARAMS, "Invalid params: 'parts' must be an array")
    if not parts:
        raise RpcError(INVALID_PARAMS, "Message must contain at least one part")
    for key in ("contextId", "taskId"):
        if not isinstance(message.get(key), (str, type(None))):
            raise RpcError(INVALID_PARAMS, f"{key} must be a string")
    return dict(message)


def _resume_value(parts: list[Any]) -> tuple[str, Any] | None:
    """``("data", value)`` from a data part's ``resume``, else ``("text", text)``."""
    found = [
        p["data"]["resume"]
        for p in parts
        if isinstance(p.get("data"), dict) and "resume" in p["data"]
    ]
    if len(found) > 1:
        raise RpcError(INVALID_PARAMS, "Only one resume value is allowed in data parts")
    if found:
        return "data", found[0]
    texts = [p["text"] for p in parts if isinstance(p.get("text"), str)]
    return ("text", "\n".join(texts)) if texts else None


async def _resume(
    api: Loopback, parts: list[Any], turn: Turn, requested: str | None
) -> None:
    """Turn the message into ``Command(resume=...)`` when it answers an interrupt."""
    found = _resume_value(parts)
    if found is None:
        return
    source, value = found
    context_id = turn.context_id if turn.task_id else requested
    if source == "data" and not (context_id and turn.task_id):
        raise RpcError(
            INVALID_PARAMS, "contextId and taskId are required when resuming a task"
        )
    interrupted = bool(context_id and turn.task_id) and await thread_interrupted(
        api, str(context_id)
    )
    if source == "data" and not interrupted:
        raise RpcError(INVALID_PARAMS, "Task is not awaiting input")
    if not interrupted:
        return
    graph_input = dict(turn.body["input"])
    graph_input.pop("resume" if source == "data" else "messages", None)
    turn.body["input"] = graph_input
    turn.body["command"] = {"resume": value}


async def prepare(api: Loopback, params: dict[str, Any], assistant_id: str) -> Turn:
    """The run a ``message/send`` or ``message/stream`` asks for.

    Raises:
        RpcError: What to answer instead.
    """
    message = _checked_message(params)
    parts = message["parts"]
    await _assistant(api, assistant_id, parts)
    requested, task_id = message.get("contextId"), message.get("taskId")
    start_id: str | None = None
    if task_id is None:
        context_id, start_id = requested or str(uuid.uuid4()), new_id()
    else:
        task = await resolve_task(api, task_id, requested, assistant_id)
        if task is None:
            raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
        if task.state in TERMINAL_STATES:
            raise RpcError(
                UNSUPPORTED_OPERATION, "A terminal task cannot accept another message"
            )
        context_id, task_id = task.context_id, task.task_id
    stamp = {"task_id": task_id} if task_id else {"task_start_id": str(start_id)}
    try:
        role = input_role(str(message.get("role", "ROLE_USER")))
        graph_input = parts_to_input(parts, role, message["messageId"], stamp)
    except ValueError as exc:
        raise RpcError(CONTENT_TYPE_NOT_SUPPORTED, str(exc)) from None
    body: dict[str, Any] = {
        "assistant_id": assistant_id,
        "input": graph_input,
        "metadata": {"a2a": stamp},
        "if_not_exists": "create",
    }
    if params.get("context") is not None:
        body["context"] = params["context"]
    turn = Turn(context_id, task_id, start_id, body, message)
    command = message.get("command")
    if command is not None:
        if command.get("resume") and not requested:
            raise RpcError(
                INVALID_PARAMS,
                "contextId is required when resuming a task with command.resume",
            )
        if command.get("resume") and task_id is None:
            raise RpcError(INVALID_PARAMS, "taskId is required when resuming a task")
        body["command"] = command
    else:
        await _resume(api, parts, turn, requested)
    return turn


def run_error(exc: LoopbackError, assistant_id: str, context_id: str) -> RpcError:
    """The JSON-RPC error for a run the API refused."""
    if exc.status == 404 and "thread" in str(exc.detail).lower():
        return RpcError(
            INVALID_PARAMS,
            f"Thread '{context_id}' not found. Please create the thread first "
            "before sending messages to it.",
        )
    if exc.status == 404:
        return RpcError(INVALID_PARAMS, f"Assistant '{assistant_id}' not found")
    if exc.status == 403:
        return RpcError(INVALID_PARAMS, "Access denied to assistant or thread")
    if exc.status == 400:
        return RpcError(INVALID_PARAMS, f"Invalid request: {exc.detail}")
    return RpcError(INVALID_PARAMS, f"Failed to create run: {exc.detail}")


async def send_message(
    api: Loopback, params: dict[str, Any], assistant_id: str, headers: Headers
) -> dict[str, Any]:
    """``message/send``: run the message to its end; answer the task."""
    configuration = params.get("configuration") or {}
    if not isinstance(configuration, dict):
        raise RpcError(
            INVALID_PARAMS, "Invalid params: 'configuration' must be an object"
        )
    length = configuration.get("historyLength")
    if problem := check_history_length(length):
        raise RpcError(INVALID_PARAMS, problem)
    scope = history_scope(configuration, headers)
    if scope is None:
        raise RpcError(INVALID_PARAMS, "historyScope must be 'context' or 'task'")
    turn = await prepare(api, params, assistant_id)
    thread = f"/threads/{turn.context_id}"
    try:
        run = await api.call("POST", f"{thread}/runs", turn.body)
    except LoopbackError as exc:
        raise run_error(exc, assistant_id, turn.context_id) from None
    result = await api.call("GET", f"{thread}/runs/{run['run_id']}/join")
    task_id = turn.task_id or f"{turn.context_id}:{run['run_id']}"
    runs = await context_runs(api, turn.context_id)
    known = ids_by_start_id(runs, turn.context_id, assistant_id)
    result, added = result or {}, None
    if "messages" not in turn.body["input"] and (
        data_only(turn) or (scope == "task" and length != 0)
    ):
        ran = await run_messages(api, turn.context_id, run["run_id"])
        result = {**result, "messages": ran.stamped(task_id)}
        added = ran.added if data_only(turn) else None
    messages = list(result.get("messages") or [])
    task: dict[str, Any] = {"kind": "task", "id": task_id, "contextId": turn.context_id}
    if length != 0:
        task["history"] = history(
            messages, task_id, turn.context_id, length, scope, known
        )
    task.update(outcome(result, task_id, turn.context_id, assistant_id, added))
    return {"result": {"task": task}}


def data_only(turn: Turn) -> bool:
    """Whether the message is only data (no messages, no command)."""
    return "command" not in turn.body and "messages" not in turn.body["input"]


def outcome(
    result: dict[str, Any],
    task_id: str,
    context_id: str,
    assistant_id: str,
    added: list[Any] | None = None,
) -> dict[str, Any]:
    """A finished run's ``status`` (and ``artifacts``) as a task's.

    ``added``: the messages the run added, when the answer is among them.
    """
    if "__error__" in result:
        text = f"Error executing assistant: {result['__error__'].get('error')}"
        message = {
            "kind": "message",
            "role": "ROLE_AGENT",
            "parts": [{"kind": "text", "text": text}],
            "messageId": str(uuid.uuid4()),
            "taskId": task_id,
            "contextId": context_id,
        }
        return {"status": {"state": "TASK_STATE_FAILED", "message": message}}
    if "__interrupt__" in result:
        return {
            "status": {"state": "TASK_STATE_INPUT_REQUIRED", "timestamp": now()},
            "artifacts": [interrupt_artifact(result["__interrupt__"])],
        }
    parts = response_parts(result, added)
    return {
        "status": {"state": "TASK_STATE_COMPLETED", "timestamp": now()},
        "artifacts": [response_artifact(parts, assistant_id)],
    }
