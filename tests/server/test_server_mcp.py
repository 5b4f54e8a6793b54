"""``/mcp``: assistants as MCP tools over streamable HTTP (JSON-RPC through httpx)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _protocol_project import write_project

from conftest import serve
from stategraph.server import create_app
from stategraph.server._mcp import simplify_schema, tool_name

JSON = {"accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = write_project(tmp_path_factory.mktemp("mcp"))
    yield from serve(create_app(config=path))


def rpc(url: str, method: str, params: Any = None, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": 7, "method": method}
    if params is not None:
        body["params"] = params
    return httpx.post(f"{url}/mcp", json=body, headers={**JSON, **headers}, timeout=30)


def test_initialize_negotiates_the_protocol_version(url: str) -> None:
    reply = rpc(url, "initialize", {"protocolVersion": "2025-03-26"})
    assert reply.status_code == 200
    body = reply.json()
    assert (body["id"], body["jsonrpc"]) == (7, "2.0")
    assert body["result"]["protocolVersion"] == "2025-03-26"
    assert body["result"]["capabilities"] == {"tools": {"listChanged": False}}
    assert body["result"]["serverInfo"]["name"] == "LangGraph"
    unknown = rpc(url, "initialize", {"protocolVersion": "1999-01-01"}).json()
    assert unknown["result"]["protocolVersion"] == "2025-11-25"
    assert rpc(url, "ping").json() == {"jsonrpc": "2.0", "id": 7, "result": {}}


def test_tools_list_has_one_tool_per_assistant(url: str) -> None:
    tools = {t["name"]: t for t in rpc(url, "tools/list").json()["result"]["tools"]}
    # a superset: the PostgreSQL variant shares its server with other suites
    assert {"adder", "echo", "ask", "broken", "tooled"} <= set(tools)
    adder = tools["adder"]
    assert adder["title"] == "adder"
    assert adder["description"] == "Tool based on the adder assistant"
    assert adder["inputSchema"]["properties"]["x"]["type"] == "integer"
    assert adder["inputSchema"]["type"] == "object"
    assert adder["annotations"]["openWorldHint"] is True
    assert "messages" in tools["echo"]["inputSchema"]["properties"]


def test_a_messages_state_tool_takes_the_user_message_as_a_string(url: str) -> None:
    # The served schema lists LangChain's message models (as langgraph-api's
    # does), so the tool gets langgraph-api's simplified input, byte for byte.
    tools = {t["name"]: t for t in rpc(url, "tools/list").json()["result"]["tools"]}
    assert json.dumps(tools["echo"]["inputSchema"]) == json.dumps(
        {
            "properties": {
                "messages": {
                    "type": "string",
                    "title": "Messages",
                    "description": "The user message to send to the agent.",
                }
            },
            "required": ["messages"],
            "title": "MessagesState",
            "type": "object",
        }
    )


def test_tools_call_runs_the_assistant(url: str) -> None:
    reply = rpc(url, "tools/call", {"name": "adder", "arguments": {"x": 41}}).json()
    assert reply["result"] == {"content": [{"type": "text", "text": "{'x': 42}"}]}
    echoed = rpc(url, "tools/call", {"name": "echo", "arguments": {"messages": "hi"}})
    assert "echo: hi" in echoed.json()["result"]["content"][0]["text"]


def test_a_failing_tool_call_is_a_tool_error(url: str) -> None:
    reply = rpc(url, "tools/call", {"name": "broken", "arguments": {"messages": "x"}})
    result = reply.json()["result"]
    assert result["isError"] is True
    assert result["content"] == [{"type": "text", "text": "ValueError"}]


def test_unknown_tools_and_methods_are_json_rpc_errors(url: str) -> None:
    reply = rpc(url, "tools/call", {"name": "nope", "arguments": {}})
    assert reply.status_code == 200
    assert reply.json()["error"] == {"code": -32602, "message": "Unknown tool: nope"}
    missing = rpc(url, "resources/list").json()["error"]
    assert missing == {"code": -32601, "message": "Method not found: resources/list"}


def test_protocol_errors_are_http_400(url: str) -> None:
    post = httpx.post
    bad_json = post(f"{url}/mcp", content=b"{", headers=JSON)
    assert (bad_json.status_code, bad_json.json()) == (400, {"error": "Invalid JSON"})
    no_accept = post(f"{url}/mcp", json={}, headers={"accept": "text/html"})
    assert no_accept.status_code == 400
    assert "Accept header" in no_accept.json()["error"]
    old = post(f"{url}/mcp", json={"jsonrpc": "1.0", "id": 1}, headers=JSON)
    assert old.status_code == 400
    assert post(f"{url}/mcp", json=[1], headers=JSON).status_code == 400


def test_notifications_are_accepted_and_sessions_are_not_kept(url: str) -> None:
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert httpx.post(f"{url}/mcp", json=note, headers=JSON).status_code == 202
    answer = {"jsonrpc": "2.0", "id": 3, "result": {}}
    assert httpx.post(f"{url}/mcp", json=answer, headers=JSON).status_code == 202
    assert httpx.get(f"{url}/mcp").status_code == 405
    assert httpx.delete(f"{url}/mcp").status_code == 404


def test_tool_names_are_normalized() -> None:
    assert tool_name("  my  agent v2! ") == "my_agent_v2"
    assert tool_name("x" * 200) == "x" * 128


def test_message_lists_are_offered_as_one_string() -> None:
    ref = {"$ref": "#/$defs/HumanMessage"}
    schema: dict[str, Any] = {
        "$defs": {"HumanMessage": {}, "ToolCall": {}, "Other": {}},
        "properties": {
            "messages": {"type": "array", "items": {"oneOf": [ref]}},
            "n": {"type": "integer"},
        },
    }
    simplify_schema(schema)
    assert schema["$defs"] == {"Other": {}}
    assert schema["properties"]["messages"] == {
        "type": "string",
        "title": "messages",
        "description": "The user message to send to the agent.",
    }
    assert schema["properties"]["n"] == {"type": "integer"}


def test_schemas_without_messages_are_left_alone() -> None:
    schema: dict[str, Any] = {"properties": {"x": {"type": "integer"}}}
    simplify_schema(schema)
    assert schema == {"properties": {"x": {"type": "integer"}}}


def test_custom_auth_guards_mcp(tmp_path: Path) -> None:
    app = create_app(config=write_project(tmp_path, with_auth=True))
    for base in serve(app):
        assert rpc(base, "ping").status_code == 401
        alice = {"authorization": "Bearer alice"}
        tools = rpc(base, "tools/list", **alice).json()["result"]["tools"]
        assert len(tools) == 5
        call = {"name": "adder", "arguments": {"x": 1}}
        assert "'x': 2" in rpc(base, "tools/call", call, **alice).text
        assert rpc(base, "tools/list", authorization="Bearer eve").status_code == 401


def test_http_disable_mcp_removes_the_route(tmp_path: Path) -> None:
    app = create_app(config=write_project(tmp_path, http={"disable_mcp": True}))
    for base in serve(app):
        assert rpc(base, "ping").status_code == 404
        assert httpx.get(f"{base}/ok").status_code == 200


def test_under_a_mount_prefix_tools_still_reach_the_api(tmp_path: Path) -> None:
    app = create_app(config=write_project(tmp_path, http={"mount_prefix": "/api"}))
    for base in serve(app):
        call = {"name": "adder", "arguments": {"x": 1}}
        reply = rpc(f"{base}/api", "tools/call", call).json()
        assert reply["result"]["content"] == [{"type": "text", "text": "{'x': 2}"}]
        found = httpx.post(f"{base}/api/assistants/search", json={}).json()[0]
        card_path = f"/api/a2a/{found['assistant_id']}/.well-known/agent-card.json"
        card = httpx.get(f"{base}{card_path}").json()
        assert card["url"] == f"{base}/api/a2a/{found['assistant_id']}"
