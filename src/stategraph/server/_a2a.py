"""``/a2a/{assistant_id}``: the Agent-to-Agent protocol (JSON-RPC 2.0).

Each assistant is an A2A agent, as in LangGraph's server. ``POST`` takes one
JSON-RPC request: ``message/send``, ``message/stream`` (SSE), ``tasks/get``,
``tasks/cancel`` (0.x names, answered with lowercase roles and states) or
their 1.0 names (``SendMessage``, ``SendStreamingMessage``, ``GetTask``,
``CancelTask``, answered with ``ROLE_*``/``TASK_STATE_*``), ``ListTasks`` and
``GetExtendedAgentCard``.
``GET`` on the agent's URL, ``/a2a/{id}/.well-known/agent-card.json`` and
``/.well-known/agent-card.json?assistant_id=`` serve its agent card.
JSON-RPC errors are answered with status 200; only a wrong ``Accept`` header
is an HTTP 400. Push notifications are not supported.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import stategraph
from stategraph.server._a2a_list import list_tasks
from stategraph.server._a2a_parts import to_spec_format
from stategraph.server._a2a_send import (
    HISTORY_SCOPE_HEADER,
    RpcError,
    fetch_assistant,
    history_scope,
    send_message,
)
from stategraph.server._a2a_stream import stream_message
from stategraph.server._a2a_tasks import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    cancel_task,
    get_task,
)
from stategraph.server._http import json_response
from stategraph.server._loopback import Loopback

logger = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
#: Environment variable: the public URL agent cards advertise.
API_URL_ENV = "LANGGRAPH_API_URL"
#: Environment variable: the assistant ``/.well-known/agent-card.json`` describes.
DEFAULT_ASSISTANT_ENV = "DEFAULT_A2A_ASSISTANT_ID"
HISTORY_SCOPE_URI = "https://langchain.com/a2a/extensions/history-scope/v1"
_ALIASES = {
    "message/send": "SendMessage",
    "message/stream": "SendStreamingMessage",
    "tasks/get": "GetTask",
    "tasks/cancel": "CancelTask",
}
_METHODS = {*_ALIASES.values(), "ListTasks", "GetExtendedAgentCard"}
_MODES = ["application/json", "text/plain"]
#: The extension choosing ``context`` or ``task`` history (header or option).
_HISTORY_EXTENSION = {
    "uri": HISTORY_SCOPE_URI,
    "description": "Choose task-only or full-context response history",
    "required": False,
    "params": {
        "header": HISTORY_SCOPE_HEADER,
        "values": ["context", "task"],
        "default": "context",
        "methods": ["SendMessage", "GetTask", "ListTasks"],
    },
}


def _rpc_error(code: int, message: str, id_: Any = None) -> Response:
    body = {"jsonrpc": "2.0", "id": id_, "error": {"code": code, "message": message}}
    return json_response(body)


def _accepts(accept: str, media_type: str) -> bool:
    for item in accept.split(","):
        candidate = item.split(";", 1)[0].strip().lower()
        if candidate in ("*/*", media_type):
            return True
        if candidate.endswith("/*") and media_type.startswith(candidate[:-1]):
            return True
    return False


def _check(message: Any, accept: str) -> Response | tuple[Any, str]:
    """The request's ``(id, 1.0 method)``, or the response refusing it."""
    if not isinstance(message, dict):
        return _rpc_error(INVALID_REQUEST, "Invalid message format: expected object")
    id_, method = message.get("id"), message.get("method")
    if message.get("jsonrpc") != "2.0":
        return _rpc_error(
            INVALID_REQUEST,
            "Invalid JSON-RPC message: missing or invalid jsonrpc version",
            id_,
        )
    method = _ALIASES.get(method, method) if isinstance(method, str) else method
    if id_ is not None and not isinstance(id_, (str, int, float)):
        return _rpc_error(
            INVALID_REQUEST,
            "Invalid JSON-RPC request: 'id' must be a string, number, or null",
        )
    if method is not None and not isinstance(method, str):
        return _rpc_error(
            METHOD_NOT_FOUND, "Method not found: method must be a string", id_
        )
    if method is not None and method not in _METHODS:
        return _rpc_error(METHOD_NOT_FOUND, f"Method not found: {method}", id_)
    params = message.get("params", {})
    if method in ("SendMessage", "SendStreamingMessage"):
        if not isinstance(params, dict):
            return _rpc_error(INVALID_PARAMS, "Invalid params: must be an object", id_)
        if not params.get("message") or not isinstance(params["message"], dict):
            return _rpc_error(
                INVALID_PARAMS, "Missing or invalid 'message' in params", id_
            )
    streaming = method == "SendStreamingMessage"
    wanted = "text/event-stream" if streaming else "application/json"
    if not _accepts(accept, wanted):
        note = " for streaming" if streaming else ""
        return json_response(
            {"error": f"Accept header must include {wanted}{note}"}, 400
        )
    if id_ is not None and method:
        return id_, method
    if id_ is not None and ("result" in message or "error" in message):
        return Response(status_code=202)  # a response: nothing to answer
    if id_ is not None:
        return _rpc_error(
            INVALID_REQUEST, "Invalid JSON-RPC request: missing 'method' field", id_
        )
    return _rpc_error(
        INVALID_REQUEST,
        "Invalid message format: must be a JSON-RPC request or notification",
    )


async def a2a_endpoint(request: Request) -> Response:
    """``/a2a/{assistant_id}``: ``POST`` a JSON-RPC request, ``GET`` the card."""
    if request.method == "GET":
        return await assistant_card(request)
    if request.method == "DELETE":
        return Response(status_code=405)
    try:
        message = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _rpc_error(PARSE_ERROR, "Invalid JSON payload")
    checked = _check(message, request.headers.get("accept") or "")
    if isinstance(checked, Response):
        return checked
    id_, method = checked
    spec = message["method"] in _ALIASES
    try:
        assistant_id = str(uuid.UUID(request.path_params["assistant_id"]))
    except ValueError:
        return _rpc_error(INVALID_PARAMS, "Invalid assistant ID: must be a UUID", id_)
    params = message.get("params") or {}
    api = Loopback(request)
    if method == "SendStreamingMessage":
        return stream_message(api, params, assistant_id, id_, spec)
    outcome = await _call(api, request, method, params, assistant_id)
    body = {"jsonrpc": "2.0", "id": id_, **outcome}
    return json_response(to_spec_format(body) if spec else body)


async def _call(
    api: Loopback, request: Request, method: str, params: Any, assistant_id: str
) -> dict[str, Any]:
    """``{"result": ...}`` or ``{"error": ...}`` for one non-streaming method."""
    if not isinstance(params, dict):
        params = {}
    try:
        if method == "SendMessage":
            return await send_message(api, params, assistant_id, request.headers)
        if method == "GetTask":
            scope = history_scope(params, request.headers)
            return await get_task(api, params, assistant_id, scope)
        if method == "CancelTask":
            return await cancel_task(api, params, assistant_id)
        if method == "ListTasks":
            scope = history_scope(params, request.headers)
            return await list_tasks(api, params, assistant_id, scope)
        return {"result": await agent_card(api, request, assistant_id)}
    except RpcError as exc:
        return exc.body()
    except Exception:  # an HTTP boundary: graph interrupts never reach here
        # Any other failure is a JSON-RPC internal error, as LangGraph's answers.
        logger.exception("A2A %s for assistant %s failed", method, assistant_id)
        return RpcError(INTERNAL_ERROR, "Internal server error").body()


def _base_url(request: Request, assistant_id: str) -> str:
    """Where the API is served, as the request reached it (or as configured)."""
    configured = os.environ.get(API_URL_ENV)
    if configured:
        return configured.rstrip("/")
    scheme = request.headers.get("x-forwarded-proto") or request.url.scheme
    host, port = request.url.hostname or "localhost", request.url.port
    path = (
        request.url.path.removesuffix("/.well-known/agent-card.json")
        .removesuffix("/.well-known/agent.json")
        .removesuffix("/")
        .removesuffix(f"/a2a/{assistant_id}")
    )
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    netloc = host if port is None or default else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}"


def _modes(assistant: dict[str, Any], field: str) -> list[str]:
    """``metadata["a2a"][field]`` of the assistant, else the default modes.

    Raises:
        RpcError: When the assistant's metadata sets them wrongly.
    """
    metadata = assistant.get("metadata") or {}
    found = metadata.get("a2a") if isinstance(metadata, dict) else None
    if found is None:
        return list(_MODES)
    if not isinstance(found, dict):
        raise RpcError(INVALID_PARAMS, "Assistant metadata.a2a must be an object.")
    value = found.get(field)
    if value is None:
        return list(_MODES)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(m, str) and m.strip() for m in value)
    ):
        raise RpcError(
            INVALID_PARAMS,
            f"Assistant metadata.a2a.{field} must be a non-empty array of strings.",
        )
    return [m.strip() for m in value]


async def agent_card(
    api: Loopback, request: Request, assistant_id: str
) -> dict[str, Any]:
    """The assistant's agent card: one skill, the assistant itself.

    Raises:
        RpcError: When the assistant cannot be read.
    """
    try:
        uuid.UUID(assistant_id)  # the agent's URL takes no graph name
    except ValueError:
        message = "Invalid assistant ID: must be a UUID"
        raise RpcError(
            INVALID_PARAMS, f"Failed to get assistant '{assistant_id}': {message}"
        ) from None
    assistant, schemas = await fetch_assistant(api, assistant_id)
    schema = schemas.get("input_schema") or schemas.get("state_schema") or {}
    properties = schema.get("properties") or {}
    name = assistant["name"]
    description = assistant.get("description") or f"{name} assistant"
    url = f"{_base_url(request, assistant_id)}/a2a/{assistant_id}"
    inputs, outputs = (
        _modes(assistant, "input_modes"),
        _modes(assistant, "output_modes"),
    )
    skill = {
        "id": f"{assistant_id}-main",
        "name": f"{name} Capabilities",
        "description": description,
        "tags": ["assistant", "langgraph"],
        "examples": [],
        "inputModes": inputs,
        "outputModes": outputs,
        "metadata": {
            "inputSchema": {
                "required": schema.get("required", []),
                "properties": sorted(properties),
                "supportsA2A": "messages" in properties,
            }
        },
    }
    return {
        "name": name,
        "description": description,
        "url": url,
        "supportedInterfaces": [
            {"url": url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        ],
        "capabilities": {
            "streaming": True,
            "pushNotifications": False,
            "stateTransitionHistory": False,
            "extensions": [dict(_HISTORY_EXTENSION)],
        },
        "defaultInputModes": inputs,
        "defaultOutputModes": outputs,
        "skills": [skill],
        "version": stategraph.__version__,
    }


async def _card_response(request: Request, assistant_id: str | None) -> Response:
    if not assistant_id:
        error = {
            "code": INVALID_PARAMS,
            "message": "Missing required query parameter: assistant_id",
        }
        return json_response({"error": error}, 400)
    try:
        card = await agent_card(Loopback(request), request, assistant_id)
    except RpcError as exc:
        return json_response(exc.body(), 400)
    return json_response(card)


async def assistant_card(request: Request) -> Response:
    """``GET /a2a/{assistant_id}/.well-known/agent-card.json``."""
    return await _card_response(request, request.path_params["assistant_id"])


async def root_card(request: Request) -> Response:
    """``GET /.well-known/agent-card.json?assistant_id=...``."""
    found = request.query_params.get("assistant_id")
    return await _card_response(request, found or os.environ.get(DEFAULT_ASSISTANT_ENV))


_METHODS_ALL = ["GET", "POST", "DELETE"]
#: The A2A routes (``http.disable_a2a`` leaves them out).
routes = [
    Route("/a2a/{assistant_id}", a2a_endpoint, methods=_METHODS_ALL),
    Route(
        "/a2a/{assistant_id}/",
        a2a_endpoint,
        methods=_METHODS_ALL,
        include_in_schema=False,
    ),
    Route("/a2a/{assistant_id}/.well-known/agent-card.json", assistant_card),
    Route("/a2a/{assistant_id}/.well-known/agent.json", assistant_card),
    Route("/.well-known/agent-card.json", root_card),
]
