"""``/mcp``: the Model Context Protocol over streamable HTTP, assistants as tools.

As LangGraph's server does, every assistant is one MCP tool named after the
assistant (normalized to MCP's ``[a-zA-Z0-9_.-]{1,128}``), whose input schema
is the graph's; calling the tool waits for a stateless run. The endpoint is
stateless and answers JSON only: ``POST`` takes one JSON-RPC message
(``initialize``, ``ping``, ``tools/list``, ``tools/call``; notifications and
responses get 202), ``GET`` is 405 (no server-sent stream) and ``DELETE`` 404
(no sessions). Protocol errors are ``{"error": message}`` with status 400;
method errors are JSON-RPC error objects with status 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import stategraph
from stategraph.server._http import json_response
from stategraph.server._loopback import Loopback, LoopbackError

logger = logging.getLogger(__name__)

PROTOCOL_VERSIONS = frozenset(("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"))
LATEST_PROTOCOL_VERSION = "2025-11-25"
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
#: Tools listed per ``tools/list`` page; the cursor is the next offset.
PAGE_SIZE = 100
#: Assistants searched for the one a ``tools/call`` names.
MAX_ASSISTANTS = 1000

_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_\-.]")
_MESSAGE_TYPES = frozenset(
    f"{kind}{suffix}"
    for kind in ("AI", "Human", "Chat", "System", "Function", "Tool")
    for suffix in ("Message", "MessageChunk")
)
_SUPPORT_TYPES = frozenset(
    ("ToolCall", "ToolCallChunk", "InvalidToolCall", "UsageMetadata")
) | {"InputTokenDetails", "OutputTokenDetails"}


def tool_name(name: str) -> str:
    """An assistant name as an MCP tool name: spaces to ``_``, others dropped."""
    name = re.sub(r"\s+", "_", name.strip())
    return _INVALID_NAME_CHARS.sub("", name)[:128]


def _lists_messages(prop: Any) -> bool:
    if not isinstance(prop, dict) or prop.get("type") != "array":
        return False
    items = prop.get("items") or {}
    options = items.get("oneOf") or items.get("anyOf") or []
    return any(
        str(option.get("$ref", "")).removeprefix("#/$defs/") in _MESSAGE_TYPES
        for option in options
        if isinstance(option, dict)
    )


def simplify_schema(schema: dict[str, Any]) -> None:
    """Replace LangChain message lists in ``schema`` by one string, in place.

    A model calling the tool writes the user's message; the server's input
    coercion turns a string into a human message.
    """
    defs = schema.get("$defs")
    if not isinstance(defs, dict) or not set(defs) & _MESSAGE_TYPES:
        return
    for name in _MESSAGE_TYPES | _SUPPORT_TYPES:
        defs.pop(name, None)
    if not defs:
        del schema["$defs"]
    props = schema.get("properties") or {}
    for key, prop in props.items():
        if _lists_messages(prop):
            props[key] = {
                "type": "string",
                "title": prop.get("title", key),
                "description": "The user message to send to the agent.",
            }


def _protocol_error(message: str) -> Response:
    # ``json.dumps`` spacing, byte for byte as LangGraph's server answers.
    body = json.dumps({"error": message})
    return Response(body, status_code=400, media_type="application/json")


def _accepts(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/event-stream" in accept


async def mcp_endpoint(request: Request) -> Response:
    """``/mcp``: one JSON-RPC message per ``POST``; no sessions or streams."""
    if request.method == "GET":
        return Response(status_code=405)
    if request.method == "DELETE":
        return Response(status_code=404)
    try:
        message = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _protocol_error("Invalid JSON")
    if not _accepts(request):
        return _protocol_error(
            "Accept header must include application/json or text/event-stream"
        )
    if not isinstance(message, dict):
        return _protocol_error("Invalid message format.")
    if message.get("jsonrpc") != "2.0":
        return _protocol_error(
            "Invalid JSON-RPC message. Missing or invalid jsonrpc version."
        )
    id_, method = message.get("id"), message.get("method")
    if id_ is not None and method:
        outcome = await _dispatch(request, str(method), message.get("params") or {})
        return json_response({"jsonrpc": "2.0", "id": id_, **outcome})
    if id_ is not None or method:  # a response or a notification
        return Response(status_code=202)
    return _protocol_error(
        "Invalid message format. A message is to be either a JSON-RPC request, "
        "response, or notification.Please see the Messages section of the "
        "Streamable HTTP RFC for more information."
    )


async def _dispatch(request: Request, method: str, params: Any) -> dict[str, Any]:
    """``{"result": ...}`` or ``{"error": ...}`` for one request."""
    if not isinstance(params, dict):
        params = {}
    if method == "initialize":
        requested = params.get("protocolVersion", LATEST_PROTOCOL_VERSION)
        version = (
            requested if requested in PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION
        )
        return {
            "result": {
                "protocolVersion": version,
                "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": "LangGraph", "version": stategraph.__version__},
            }
        }
    if method == "ping":
        return {"result": {}}
    if method == "tools/list":
        return await _tools_list(Loopback(request), params)
    if method == "tools/call":
        return await _tools_call(Loopback(request), params)
    return _error(METHOD_NOT_FOUND, f"Method not found: {method}")


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


async def _tools_list(api: Loopback, params: dict[str, Any]) -> dict[str, Any]:
    try:
        cursor = int(params.get("cursor", 0))
    except (TypeError, ValueError):
        cursor = 0
    found = await api.call(
        "POST", "/assistants/search", {"offset": cursor, "limit": PAGE_SIZE}
    )
    seen: set[str] = set()
    unique: list[tuple[dict[str, Any], str]] = []
    for assistant in found:
        name = tool_name(assistant["name"])
        if name in seen:
            logger.warning("Duplicate assistant name found %s", assistant["name"])
            continue
        seen.add(name)
        unique.append((assistant, name))
    tools = await asyncio.gather(*(_tool(api, a, n) for a, n in unique))
    result: dict[str, Any] = {"tools": [t for t in tools if t is not None]}
    if len(found) == PAGE_SIZE:
        result["nextCursor"] = cursor + PAGE_SIZE
    return {"result": result}


async def _tool(
    api: Loopback, assistant: dict[str, Any], name: str
) -> dict[str, Any] | None:
    """The tool for ``assistant``; ``None`` (left out) when it has no schema."""
    assistant_id = assistant["assistant_id"]
    try:
        schemas = await api.call("GET", f"/assistants/{assistant_id}/schemas")
    except LoopbackError as exc:
        logger.warning("MCP: no schema for assistant %s: %s", assistant_id, exc)
        return None
    schema = schemas.get("input_schema", {})
    if schema is None:
        logger.warning("MCP: assistant %s has no input schema", assistant_id)
        return None
    simplify_schema(schema)
    schema.setdefault("type", "object")  # MCP wants an object schema
    return {
        "name": name,
        "title": assistant["name"],
        "description": assistant.get("description")
        or f"Tool based on the {assistant['name']} assistant",
        "inputSchema": schema,
        "annotations": {
            "readOnlyHint": False,
            "destructiveHint": False,
            "idempotentHint": False,
            "openWorldHint": True,
        },
    }


async def _tools_call(api: Loopback, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("name")
    if not name:
        return _error(INVALID_PARAMS, f"Unknown tool: {name}")
    found = await api.call("POST", "/assistants/search", {"limit": MAX_ASSISTANTS})
    matching = [a for a in found if tool_name(a["name"]) == name]
    if not matching:
        return _error(INVALID_PARAMS, f"Unknown tool: {name}")
    if len(matching) > 1:
        return _error(INVALID_PARAMS, "Multiple tools found with the same name.")
    body: dict[str, Any] = {
        "assistant_id": matching[0]["assistant_id"],
        "input": params.get("arguments", {}),
    }
    if params.get("context") is not None:
        body["context"] = params["context"]
    value = await api.call("POST", "/runs/wait", body)
    if isinstance(value, dict) and "__error__" in value:
        text = str(value["__error__"].get("error"))
        content = [{"type": "text", "text": text}]
        return {"result": {"isError": True, "content": content}}
    return {"result": {"content": [{"type": "text", "text": repr(value)}]}}


#: The MCP routes (``http.disable_mcp`` leaves them out).
routes = [Route("/mcp", mcp_endpoint, methods=["GET", "POST", "DELETE"])]
