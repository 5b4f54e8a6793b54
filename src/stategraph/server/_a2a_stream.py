"""A2A ``message/stream``: the task's events as server-sent JSON-RPC responses.

Every frame is ``event: message`` whose data is a whole JSON-RPC response:
first the task (``submitted``, with the message as its history), then a
``working`` status update per streamed AI message, then the answer as an
``artifact-update`` and a final ``status-update`` (``completed``,
``input-required`` after an interrupt, with the interrupt artifact before it,
or ``failed``). Errors before the run starts are one JSON-RPC error frame.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.responses import Response

from stategraph.server import _json
from stategraph.server._a2a_history import run_messages
from stategraph.server._a2a_parts import (
    agent_message,
    content_to_parts,
    interrupt_artifact,
    message_role,
    response_artifact,
    response_parts,
    to_spec_format,
    tool_result,
    tool_results_part,
)
from stategraph.server._a2a_send import (
    RpcError,
    Turn,
    data_only,
    prepare,
    run_error,
)
from stategraph.server._a2a_tasks import INTERNAL_ERROR, now
from stategraph.server._loopback import Loopback, LoopbackError
from stategraph.server._sse import encode_frame, event_stream_response

logger = logging.getLogger(__name__)


def _encode(data: Any) -> bytes:
    # Separators JavaScript and some SSE parsers take as line ends stay escaped.
    raw = _json.dumps(data)
    raw = raw.replace(b"\xc2\x85", b"\\u0085").replace(b"\xe2\x80\xa8", b"\\u2028")
    return raw.replace(b"\xe2\x80\xa9", b"\\u2029")


def stream_message(
    api: Loopback, params: dict[str, Any], assistant_id: str, rpc_id: Any, spec: bool
) -> Response:
    """The SSE response to ``message/stream``."""

    async def frames() -> AsyncIterator[bytes]:
        async for result in _events(api, params, assistant_id):
            body = {"jsonrpc": "2.0", "id": rpc_id, **result}
            yield encode_frame(
                "message", _encode(to_spec_format(body) if spec else body)
            )

    return event_stream_response(frames())


def _status(
    task_id: str, context_id: str, state: str, message: Any = None, final: bool = True
) -> dict[str, Any]:
    status: dict[str, Any] = {"state": state}
    if message is not None:
        status["message"] = message
    status["timestamp"] = now()
    return {
        "result": {
            "taskId": task_id,
            "contextId": context_id,
            "kind": "status-update",
            "status": status,
            "final": final,
        }
    }


def _artifact(
    task_id: str, context_id: str, artifact: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    update = {"taskId": task_id, "contextId": context_id, "kind": "artifact-update"}
    return {"result": {**update, "artifact": artifact, **extra}}


def _progress(items: Any, task_id: str, context_id: str) -> dict[str, Any] | None:
    """A ``working`` update with a streamed message's text and tool results.

    ``None`` when there is neither (say, a chunk of metadata only).
    """
    if not isinstance(items, list):
        return None
    text: list[str] = []
    results: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if message_role(item) is None:
            result = tool_result(item)
            results += [result] if result is not None else []
            continue
        parts = content_to_parts(item.get("content"))
        text += [p["text"] for p in parts if p.get("kind") == "text"]
    parts = [{"kind": "text", "text": "".join(text)}] if "".join(text) else []
    if results:
        parts.append(tool_results_part(results))
    if not parts:
        return None
    message = agent_message(parts, task_id, context_id)
    return _status(task_id, context_id, "TASK_STATE_WORKING", message, final=False)


async def _events(
    api: Loopback, params: dict[str, Any], assistant_id: str
) -> AsyncIterator[dict[str, Any]]:
    """The ``result``/``error`` members of the frames, in order."""
    try:
        turn = await prepare(api, params, assistant_id)
        async for event in _run(api, turn, assistant_id):
            yield event
    except RpcError as exc:
        yield exc.body()
    except Exception:  # an HTTP boundary: graph interrupts never reach here
        # Any other failure ends the stream with an internal error frame.
        logger.exception("A2A message/stream for assistant %s failed", assistant_id)
        yield RpcError(INTERNAL_ERROR, "Internal server error").body()


async def _run(
    api: Loopback, turn: Turn, assistant_id: str
) -> AsyncIterator[dict[str, Any]]:
    body = {**turn.body, "stream_mode": ["messages", "values"]}
    path = f"/threads/{turn.context_id}/runs/stream"
    async with contextlib.aclosing(api.stream(path, body)) as stream:
        try:
            _, data = await anext(stream)  # the run's metadata
        except LoopbackError as exc:
            raise run_error(exc, assistant_id, turn.context_id) from None
        except StopAsyncIteration:
            raise RpcError(INTERNAL_ERROR, "Internal server error") from None
        context_id = turn.context_id
        task_id = turn.task_id or f"{context_id}:{data['run_id']}"
        sent = {"kind": "message", **turn.message}
        task = {
            "kind": "task",
            "id": task_id,
            "contextId": context_id,
            "history": [{**sent, "taskId": task_id, "contextId": context_id}],
            "status": {"state": "TASK_STATE_SUBMITTED", "timestamp": now()},
        }
        yield {"result": {"task": task}}
        run_id = str(data["run_id"])

        async def added() -> list[Any] | None:
            if not data_only(turn):
                return None
            return (await run_messages(api, context_id, run_id)).added

        follow = _follow(stream, task_id, context_id, assistant_id, added)
        async for update in follow:
            yield update


async def _follow(
    stream: AsyncIterator[tuple[str, Any]],
    task_id: str,
    context_id: str,
    assistant_id: str,
    added: Callable[[], Awaitable[list[Any] | None]],
) -> AsyncIterator[dict[str, Any]]:
    """Progress updates while the run streams, then its ending.

    ``added`` gives the messages a data-only message's run added: its answer.
    """
    result: Any = None
    error: Any = None
    async for event, data in stream:
        if event == "error":
            error = data
        elif event == "values":
            result, error = data, None
        elif event.startswith("messages"):
            error = None
            update = _progress(data, task_id, context_id)
            if update is not None:
                yield update
    completed = not error and isinstance(result, dict) and "__interrupt__" not in result
    turn = await added() if completed else None
    for final in _ending(result, error, task_id, context_id, assistant_id, turn):
        yield final


def _ending(
    result: Any,
    error: Any,
    task_id: str,
    context_id: str,
    assistant_id: str,
    turn: list[Any] | None,
) -> list[dict[str, Any]]:
    """The artifact and final status after the run's last event."""
    interrupted = isinstance(result, dict) and "__interrupt__" in result
    if error:
        text = error.get("message") if isinstance(error, dict) else error
        message = agent_message([{"kind": "text", "text": str(text or "")}], task_id)
        message["contextId"] = context_id
        return [_status(task_id, context_id, "TASK_STATE_FAILED", message)]
    if interrupted:
        artifact = interrupt_artifact(result["__interrupt__"])
        return [
            _artifact(task_id, context_id, artifact),
            _status(task_id, context_id, "TASK_STATE_INPUT_REQUIRED"),
        ]
    events = []
    if isinstance(result, dict):
        artifact = response_artifact(response_parts(result, turn), assistant_id)
        events.append(
            _artifact(task_id, context_id, artifact, append=False, lastChunk=True)
        )
    events.append(_status(task_id, context_id, "TASK_STATE_COMPLETED"))
    return events
