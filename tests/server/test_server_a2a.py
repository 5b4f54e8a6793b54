"""``/a2a/{assistant_id}``: A2A JSON-RPC against a live server, through httpx."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _protocol_project import write_project
from _server_graphs import Gate, agent

from conftest import serve
from stategraph.server import create_app

JSON = {"accept": "application/json"}
SSE = {"accept": "text/event-stream"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = write_project(tmp_path_factory.mktemp("a2a"))
    yield from serve(create_app({"agent": agent}, config=path))


@pytest.fixture(scope="module")
def ids(url: str) -> dict[str, str]:
    found = httpx.post(f"{url}/assistants/search", json={}).json()
    return {a["graph_id"]: a["assistant_id"] for a in found}


def rpc(url: str, assistant: str, method: str, params: Any, headers: Any = None) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    reply = httpx.post(
        f"{url}/a2a/{assistant}", json=body, headers=headers or JSON, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


def text(words: str, **extra: Any) -> dict[str, Any]:
    """``message/send`` params for a user's text message."""
    message = {"role": "user", "parts": [{"kind": "text", "text": words}]}
    return {"message": {**message, "messageId": f"m-{words}", **extra}}


def frames(body: str) -> list[dict[str, Any]]:
    """The JSON-RPC responses of an A2A event stream."""
    found = []
    for frame in body.replace("\r\n", "\n").split("\n\n"):
        lines = frame.strip().splitlines()
        if lines:
            assert lines[0] == "event: message"
            found.append(json.loads(lines[1].removeprefix("data: ")))
    return found


def test_send_runs_the_message_and_answers_the_task(
    url: str, ids: dict[str, str]
) -> None:
    task = rpc(url, ids["echo"], "message/send", text("hello"))["result"]
    assert task["kind"] == "task"
    context_id, run_id = task["id"].split(":")
    assert task["contextId"] == context_id
    assert task["status"]["state"] == "completed"
    assert task["artifacts"][0]["name"] == "Assistant Response"
    assert task["artifacts"][0]["parts"] == [{"kind": "text", "text": "echo: hello"}]
    roles = [(m["role"], m["parts"][0]["text"]) for m in task["history"]]
    assert roles == [("user", "hello"), ("agent", "echo: hello")]
    assert task["history"][0]["messageId"] == "m-hello"
    run = httpx.get(f"{url}/threads/{context_id}/runs/{run_id}").json()
    assert run["metadata"]["a2a"]["task_start_id"]


def test_get_answers_state_and_history_in_the_names_asked(
    url: str, ids: dict[str, str]
) -> None:
    task_id = rpc(url, ids["echo"], "message/send", text("again"))["result"]["id"]
    old = rpc(url, ids["echo"], "tasks/get", {"id": task_id})["result"]
    assert old["status"]["state"] == "completed"
    assert old["status"]["message"]["parts"][0]["text"] == "Task completed successfully"
    assert [m["role"] for m in old["history"]] == ["user", "agent"]
    new = rpc(url, ids["echo"], "GetTask", {"id": task_id, "historyLength": 1})
    assert new["result"]["status"]["state"] == "TASK_STATE_COMPLETED"
    assert [m["role"] for m in new["result"]["history"]] == ["ROLE_AGENT"]
    bare = rpc(url, ids["echo"], "GetTask", {"id": task_id, "historyLength": 0})
    assert "history" not in bare["result"]


def test_interrupts_ask_for_input_and_the_next_message_resumes(
    url: str, ids: dict[str, str]
) -> None:
    asked = rpc(url, ids["ask"], "message/send", text("start"))["result"]
    assert asked["status"]["state"] == "input-required"
    artifact = asked["artifacts"][0]
    assert (artifact["name"], artifact["parts"][0]["data"]["value"]) == (
        "Interrupt",
        "what?",
    )
    resume = text("blue", taskId=asked["id"], contextId=asked["contextId"])
    done = rpc(url, ids["ask"], "message/send", resume)["result"]
    assert done["id"] == asked["id"]
    assert done["status"]["state"] == "completed"
    assert done["artifacts"][0]["parts"] == [{"kind": "text", "text": "got blue"}]
    again = rpc(url, ids["ask"], "message/send", resume)["error"]
    assert again == {
        "code": -32004,
        "message": "A terminal task cannot accept another message",
    }


def test_cancel_ends_a_task_waiting_for_input(url: str, ids: dict[str, str]) -> None:
    asked = rpc(url, ids["ask"], "message/send", text("wait"))["result"]
    cancelled = rpc(url, ids["ask"], "tasks/cancel", {"id": asked["id"]})["result"]
    assert cancelled["status"]["state"] == "canceled"
    assert cancelled["status"]["message"]["parts"][0]["text"] == "Task was canceled"
    got = rpc(url, ids["ask"], "tasks/get", {"id": asked["id"], "historyLength": 0})
    assert got["result"]["status"]["state"] == "canceled"
    thread = httpx.get(f"{url}/threads/{asked['contextId']}").json()
    assert thread["status"] == "idle"  # the pending interrupt is gone
    twice = rpc(url, ids["ask"], "tasks/cancel", {"id": asked["id"]})["error"]
    assert twice["code"] == -32002


def test_cancel_interrupts_a_running_task(
    url: str, ids: dict[str, str], gate: tuple[str, Gate]
) -> None:
    name, held = gate
    parts = [{"kind": "text", "text": "hi"}, {"kind": "data", "data": {"gate": name}}]
    params = {"message": {"role": "user", "parts": parts, "messageId": "g"}}
    answers: list[Any] = []
    sender = threading.Thread(
        target=lambda: answers.append(rpc(url, ids["agent"], "message/send", params))
    )
    sender.start()
    assert held.entered.wait(30)
    listed = rpc(url, ids["agent"], "ListTasks", {"historyLength": 0})["result"]
    running = [
        t for t in listed["tasks"] if t["status"]["state"] == "TASK_STATE_WORKING"
    ]
    assert len(running) == 1
    cancelled = rpc(url, ids["agent"], "tasks/cancel", {"id": running[0]["id"]})
    assert cancelled["result"]["status"]["state"] == "canceled"
    sender.join(30)
    assert answers[0]["result"]["id"] == running[0]["id"]
    got = rpc(url, ids["agent"], "tasks/get", {"id": running[0]["id"]})["result"]
    assert got["status"]["state"] == "canceled"


def test_stream_sends_task_progress_artifact_and_final_status(
    url: str, ids: dict[str, str]
) -> None:
    body = {"jsonrpc": "2.0", "id": 9, "method": "message/stream", "params": text("yo")}
    reply = httpx.post(f"{url}/a2a/{ids['echo']}", json=body, headers=SSE, timeout=30)
    assert reply.headers["content-type"].startswith("text/event-stream")
    results = [f["result"] for f in frames(reply.text)]
    assert all(f["id"] == 9 for f in frames(reply.text))
    assert results[0]["kind"] == "task"
    assert results[0]["status"]["state"] == "submitted"
    assert results[0]["history"][0]["parts"] == [{"kind": "text", "text": "yo"}]
    kinds = [(r["kind"], r.get("status", {}).get("state")) for r in results[1:]]
    assert kinds == [
        ("status-update", "working"),
        ("artifact-update", None),
        ("status-update", "completed"),
    ]
    assert results[2]["artifact"]["parts"] == [{"kind": "text", "text": "echo: yo"}]
    assert results[3]["final"] is True
    assert results[3]["taskId"] == results[0]["id"]


def test_stream_stops_at_an_interrupt_and_a_data_part_resumes(
    url: str, ids: dict[str, str]
) -> None:
    body = {"jsonrpc": "2.0", "id": 3, "method": "message/stream", "params": text("q")}
    reply = httpx.post(f"{url}/a2a/{ids['ask']}", json=body, headers=SSE, timeout=30)
    results = [f["result"] for f in frames(reply.text)]
    assert results[-2]["artifact"]["name"] == "Interrupt"
    assert results[-1]["status"] == {
        "state": "input-required",
        "timestamp": results[-1]["status"]["timestamp"],
    }
    task = results[0]
    parts = [{"kind": "data", "data": {"resume": "green"}}]
    message = {"role": "user", "parts": parts, "messageId": "r"}
    message |= {"taskId": task["id"], "contextId": task["contextId"]}
    done = rpc(url, ids["ask"], "message/send", {"message": message})["result"]
    assert done["artifacts"][0]["parts"] == [{"kind": "text", "text": "got green"}]
    again = rpc(url, ids["ask"], "message/send", text("x", taskId=task["id"]))["error"]
    assert again["code"] == -32004


def test_stream_of_a_failing_run_ends_failed(url: str, ids: dict[str, str]) -> None:
    params = text("x")
    body = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "SendStreamingMessage",
        "params": params,
    }
    reply = httpx.post(f"{url}/a2a/{ids['broken']}", json=body, headers=SSE, timeout=30)
    last = frames(reply.text)[-1]["result"]
    assert last["status"]["state"] == "TASK_STATE_FAILED"
    assert last["status"]["message"]["parts"][0]["text"] == "boom"


def test_data_parts_are_graph_input(url: str, ids: dict[str, str]) -> None:
    params = {
        "message": {"role": "user", "parts": [{"data": {"x": 4}}], "messageId": "d"}
    }
    task = rpc(url, ids["adder"], "message/send", params)["result"]
    assert task["status"]["state"] == "completed"
    assert task["artifacts"][0]["parts"] == [
        {"kind": "text", "text": "{'x': 5, 'messages': []}"}
    ]
    refused = rpc(url, ids["adder"], "message/send", text("hi"))["error"]
    assert refused["code"] == -32602
    assert "does not support A2A conversational messages" in refused["message"]


def test_tool_results_are_data_parts_unless_not_allowed(
    url: str, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    task = rpc(url, ids["tooled"], "message/send", text("go"))["result"]
    parts = [m["parts"][0] for m in task["history"]]
    result = {"toolCallId": "c1", "content": "42", "name": "calc", "status": "success"}
    assert parts == [
        {"kind": "text", "text": "go"},
        {"kind": "data", "data": {"tool_results": [result]}},
        {"kind": "text", "text": "done"},
    ]
    body = {"jsonrpc": "2.0", "id": 1, "method": "message/stream", "params": text("s")}
    reply = httpx.post(f"{url}/a2a/{ids['tooled']}", json=body, headers=SSE, timeout=30)
    working = [
        f["result"]["status"]["message"]["parts"] for f in frames(reply.text)[1:3]
    ]
    assert working == [
        [{"kind": "data", "data": {"tool_results": [result]}}],
        [{"kind": "text", "text": "done"}],
    ]
    monkeypatch.setenv("A2A_ALLOWED_TOOL_CALL_RESULTS", "search, fetch")
    hidden = rpc(url, ids["tooled"], "message/send", text("again"))["result"]
    assert [m["parts"][0]["text"] for m in hidden["history"]] == ["again", "done"]


def test_a_data_only_turn_owns_the_messages_its_run_added(
    url: str, ids: dict[str, str]
) -> None:
    first = rpc(url, ids["echo"], "message/send", text("one"))["result"]
    data = {"role": "user", "parts": [{"data": {"foo": 1}}], "messageId": "d1"}
    data["contextId"] = first["contextId"]
    second = rpc(url, ids["echo"], "message/send", {"message": data})["result"]
    assert second["artifacts"][0]["parts"] == [
        {"kind": "text", "text": "echo: echo: one"}
    ]
    owners = [(m["parts"][0]["text"], m["taskId"]) for m in second["history"]]
    assert owners == [
        ("one", first["id"]),
        ("echo: one", first["id"]),
        ("echo: echo: one", second["id"]),
    ]
    params = {"id": second["id"], "historyScope": "task"}
    mine = rpc(url, ids["echo"], "tasks/get", params)["result"]["history"]
    assert [m["parts"][0]["text"] for m in mine] == ["echo: echo: one"]


def test_list_tasks_pages_newest_first(url: str, ids: dict[str, str]) -> None:
    first = rpc(url, ids["echo"], "message/send", text("one"))["result"]["id"]
    second = rpc(url, ids["echo"], "message/send", text("two"))["result"]["id"]
    page = rpc(url, ids["echo"], "ListTasks", {"pageSize": 1, "historyLength": 0})
    result = page["result"]
    assert [t["id"] for t in result["tasks"]] == [second]
    assert result["tasks"][0]["artifacts"] == []
    assert (result["pageSize"], result["nextPageToken"]) == (1, "1")
    rest = rpc(url, ids["echo"], "ListTasks", {"pageToken": "1"})["result"]
    assert first in [t["id"] for t in rest["tasks"]]
    bad = rpc(url, ids["echo"], "ListTasks", {"status": "sleeping"})["error"]
    assert bad == {"code": -32602, "message": "Invalid status value: 'sleeping'."}


def test_agent_cards_describe_the_assistant(url: str, ids: dict[str, str]) -> None:
    echo = ids["echo"]
    card = httpx.get(f"{url}/a2a/{echo}/.well-known/agent-card.json").json()
    assert card["name"] == "echo"
    assert card["url"] == f"{url}/a2a/{echo}"
    assert card["capabilities"]["streaming"] is True
    skill = card["skills"][0]
    assert skill["metadata"]["inputSchema"]["supportsA2A"] is True
    assert httpx.get(f"{url}/a2a/{echo}").json() == card
    root = httpx.get(
        f"{url}/.well-known/agent-card.json", params={"assistant_id": echo}
    )
    assert root.json()["name"] == "echo"
    missing = httpx.get(f"{url}/.well-known/agent-card.json")
    assert missing.status_code == 400
    by_name = httpx.get(f"{url}/a2a/echo/.well-known/agent-card.json")
    assert by_name.status_code == 400
    assert by_name.json()["error"]["message"] == (
        "Failed to get assistant 'echo': Invalid assistant ID: must be a UUID"
    )
    extended = rpc(url, echo, "GetExtendedAgentCard", {})["result"]
    assert extended["skills"] == card["skills"]


def test_assistant_metadata_sets_the_cards_modes(url: str) -> None:
    modes = {"input_modes": ["text/plain"], "output_modes": ["image/png "]}
    body = {"graph_id": "echo", "metadata": {"a2a": modes}}
    made = httpx.post(f"{url}/assistants", json=body).json()
    path = f"{url}/a2a/{made['assistant_id']}/.well-known/agent.json"
    card = httpx.get(path).json()
    assert card["defaultInputModes"] == card["skills"][0]["inputModes"]
    assert (card["defaultInputModes"], card["defaultOutputModes"]) == (
        ["text/plain"],
        ["image/png"],
    )
    body = {"graph_id": "echo", "metadata": {"a2a": {"input_modes": []}}}
    bad = httpx.post(f"{url}/assistants", json=body).json()
    refused = httpx.get(f"{url}/a2a/{bad['assistant_id']}/.well-known/agent.json")
    assert refused.status_code == 400
    assert "input_modes must be a non-empty array" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ("{", (-32700, "Invalid JSON payload")),
        ([1], (-32600, "Invalid message format: expected object")),
        (
            {"jsonrpc": "1.0", "id": 1, "method": "tasks/get"},
            (-32600, "Invalid JSON-RPC message: missing or invalid jsonrpc version"),
        ),
        (
            {"jsonrpc": "2.0", "id": 1, "method": "foo"},
            (-32601, "Method not found: foo"),
        ),
        (
            {"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {}},
            (-32602, "Missing or invalid 'message' in params"),
        ),
        (
            {"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "a:b"}},
            (-32001, "Task not found: a:b"),
        ),
    ],
)
def test_json_rpc_errors_are_status_200(
    url: str, ids: dict[str, str], payload: Any, error: tuple[int, str]
) -> None:
    content = payload if isinstance(payload, str) else json.dumps(payload)
    reply = httpx.post(f"{url}/a2a/{ids['echo']}", content=content, headers=JSON)
    assert reply.status_code == 200
    found = reply.json()["error"]
    assert (found["code"], found["message"]) == error


def test_transport_errors(url: str, ids: dict[str, str]) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "message/stream", "params": text("a")}
    wrong = httpx.post(f"{url}/a2a/{ids['echo']}", json=body, headers=JSON)
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": "Accept header must include text/event-stream for streaming"
    }
    not_uuid = rpc(url, "not-a-uuid", "tasks/get", {"id": "a"})["error"]
    assert not_uuid["message"] == "Invalid assistant ID: must be a UUID"
    unknown = "00000000-0000-0000-0000-000000000000"
    gone = rpc(url, unknown, "message/send", text("a"))["error"]
    assert gone["message"] == f"Assistant '{unknown}' not found"
    assert httpx.delete(f"{url}/a2a/{ids['echo']}").status_code == 405
    response = {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert (
        httpx.post(f"{url}/a2a/{ids['echo']}", json=response, headers=JSON).status_code
        == 202
    )


def test_custom_auth_scopes_tasks_to_their_user(tmp_path: Path) -> None:
    app = create_app(config=write_project(tmp_path, with_auth=True))
    alice = {**JSON, "authorization": "Bearer alice"}
    bob = {**JSON, "authorization": "Bearer bob"}
    for base in serve(app):
        echo = httpx.post(f"{base}/assistants/search", json={}, headers=alice).json()
        assistant = next(a["assistant_id"] for a in echo if a["graph_id"] == "echo")
        assert (
            httpx.post(f"{base}/a2a/{assistant}", json={}, headers=JSON).status_code
            == 401
        )
        task = rpc(base, assistant, "message/send", text("secret"), alice)["result"]
        thread = httpx.get(f"{base}/threads/{task['contextId']}", headers=alice).json()
        assert thread["metadata"]["owner"] == "alice"
        hidden = rpc(base, assistant, "tasks/get", {"id": task["id"]}, bob)["error"]
        assert hidden["code"] == -32001
        mine = rpc(base, assistant, "tasks/get", {"id": task["id"]}, alice)["result"]
        assert mine["status"]["state"] == "completed"
        assert rpc(base, assistant, "ListTasks", {}, bob)["result"]["tasks"] == []


def test_http_disable_a2a_removes_the_routes(tmp_path: Path) -> None:
    app = create_app(config=write_project(tmp_path, http={"disable_a2a": True}))
    for base in serve(app):
        assistant = httpx.post(f"{base}/assistants/search", json={}).json()[0]
        path = f"/a2a/{assistant['assistant_id']}"
        assert httpx.post(f"{base}{path}", json={}, headers=JSON).status_code == 404
        assert httpx.get(f"{base}/.well-known/agent-card.json").status_code == 404
