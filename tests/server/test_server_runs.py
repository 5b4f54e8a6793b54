"""Runs through the real SDK: interrupts, breakpoints, double texting, errors."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from _server_graphs import agent
from langgraph_sdk.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)

from conftest import HI, Api
from stategraph.server import create_app

pytestmark = pytest.mark.asyncio


async def _status(api: Api, *args: Any, **kwargs: Any) -> tuple[int, str]:
    """Status and detail of a call that must fail (``runs.wait`` raises untyped)."""
    with pytest.raises(httpx.HTTPStatusError) as info:
        await api(*args, **kwargs)
    response = info.value.response
    return response.status_code, response.json()["detail"]


async def _thread(api: Api) -> str:
    thread: dict[str, Any] = await api("threads.create")
    return str(thread["thread_id"])


async def test_interrupt_then_resume_with_command(api: Api) -> None:
    tid = await _thread(api)
    paused = await api("runs.wait", tid, "agent", input={**HI, "need_review": True})
    assert paused["__interrupt__"][0]["value"] == {"question": "ok?"}
    thread = await api("threads.get", tid)
    assert thread["status"] == "interrupted"
    assert next(iter(thread["interrupts"].values()))[0]["value"] == {"question": "ok?"}
    state = await api("threads.get_state", tid)
    assert state["next"] == ["review"]
    assert state["tasks"][0]["interrupts"][0]["value"] == {"question": "ok?"}
    done = await api("runs.wait", tid, "agent", input={}, command={"resume": "yes"})
    assert done["log"] == ["chat", "review:yes"]
    assert "__interrupt__" not in done
    assert (await api("threads.get", tid))["status"] == "idle"
    runs = await api("runs.list", tid)
    assert [r["status"] for r in runs] == ["success", "success"]


async def test_breakpoint_then_continue_with_null_input(api: Api) -> None:
    tid = await _thread(api)
    run = await api("runs.create", tid, "agent", input=HI, interrupt_before=["chat"])
    await api("runs.join", tid, run["run_id"])
    state = await api("threads.get_state", tid)
    assert state["next"] == ["chat"]
    assert (await api("threads.get", tid))["status"] == "interrupted"
    done = await api("runs.wait", tid, "agent", input=None)
    assert [m["content"] for m in done["messages"]] == ["hi", "Hello", "from inner"]
    assert (await api("threads.get", tid))["status"] == "idle"


async def test_command_update_and_goto(api: Api) -> None:
    tid = await _thread(api)
    await api("runs.wait", tid, "agent", input=HI)
    out = await api(
        "runs.wait",
        tid,
        "agent",
        command={"update": {"log": ["patched"]}, "goto": "review"},
    )
    assert out["log"] == ["chat", "patched"]


async def test_reject_while_busy(api: Api, gate: tuple[str, Any]) -> None:
    name, held = gate
    tid = await _thread(api)
    first = await api("runs.create", tid, "agent", input={**HI, "gate": name})
    with pytest.raises(ConflictError):
        await api("runs.create", tid, "agent", input=HI, multitask_strategy="reject")
    assert (await api("threads.get", tid))["status"] == "busy"
    held.release()
    await api("runs.join", tid, first["run_id"])
    assert (await api("runs.get", tid, first["run_id"]))["status"] == "success"
    assert len(await api("runs.list", tid)) == 1


async def test_interrupt_strategy_cancels_the_running_run(
    api: Api, gate: tuple[str, Any]
) -> None:
    name, held = gate
    tid = await _thread(api)
    first = await api("runs.create", tid, "agent", input={**HI, "gate": name})
    assert held.entered.wait(30)
    # The first run's input (with the gate) is checkpointed; clear the gate.
    second = await api(
        "runs.create",
        tid,
        "agent",
        input={**HI, "gate": ""},
        multitask_strategy="interrupt",
    )
    await api("runs.join", tid, second["run_id"])
    assert (await api("runs.get", tid, first["run_id"]))["status"] == "interrupted"
    assert (await api("runs.get", tid, second["run_id"]))["status"] == "success"
    state = await api("threads.get_state", tid)
    assert state["values"]["log"] == ["chat"]  # the first run never reached chat


async def test_rollback_strategy_deletes_the_running_run(
    api: Api, gate: tuple[str, Any]
) -> None:
    name, held = gate
    tid = await _thread(api)
    first = await api("runs.create", tid, "agent", input={**HI, "gate": name})
    assert held.entered.wait(30)
    second = await api(
        "runs.create",
        tid,
        "agent",
        input={"log": ["two"]},
        multitask_strategy="rollback",
    )
    await api("runs.join", tid, second["run_id"])
    with pytest.raises(NotFoundError):
        await api("runs.get", tid, first["run_id"])
    history = await api("threads.get_history", tid, limit=100)
    run_ids = {h["metadata"]["run_id"] for h in history}
    assert run_ids == {second["run_id"]}  # the first run's checkpoints are gone
    assert history[0]["values"]["log"] == ["two", "chat"]


async def test_enqueue_runs_in_order(api: Api, gate: tuple[str, Any]) -> None:
    name, held = gate
    tid = await _thread(api)
    first = await api("runs.create", tid, "agent", input={**HI, "gate": name})
    second = await api(
        "runs.create",
        tid,
        "agent",
        input={"log": ["second"]},
        multitask_strategy="enqueue",
    )
    assert (await api("runs.get", tid, second["run_id"]))["status"] == "pending"
    held.release()
    await api("runs.join", tid, second["run_id"])
    statuses = [
        (await api("runs.get", tid, r["run_id"]))["status"] for r in (first, second)
    ]
    assert statuses == ["success", "success"]
    state = await api("threads.get_state", tid)
    assert state["values"]["log"] == ["chat", "second", "chat"]


async def test_cancel_running_and_pending(api: Api, gate: tuple[str, Any]) -> None:
    name, held = gate
    tid = await _thread(api)
    first = await api("runs.create", tid, "agent", input={**HI, "gate": name})
    second = await api("runs.create", tid, "agent", input=HI)
    await api("runs.cancel", tid, second["run_id"])
    assert (await api("runs.get", tid, second["run_id"]))["status"] == "interrupted"
    assert held.entered.wait(30)
    await api("runs.cancel", tid, first["run_id"], wait=True)
    assert (await api("runs.get", tid, first["run_id"]))["status"] == "interrupted"
    # Cancelled inside ``hold``: the head checkpoint still has work to do.
    assert (await api("threads.get", tid))["status"] == "interrupted"
    assert (await api("threads.get_state", tid))["next"] == ["hold"]
    with pytest.raises(NotFoundError):  # nothing left to cancel
        await api("runs.cancel", tid, first["run_id"])
    await api("runs.delete", tid, first["run_id"])
    assert [r["run_id"] for r in await api("runs.list", tid)] == [second["run_id"]]


async def test_join_returns_final_values(api: Api) -> None:
    tid = await _thread(api)
    run = await api("runs.create", tid, "agent", input=HI)
    values = await api("runs.join", tid, run["run_id"])
    assert values["log"] == ["chat"]
    again = await api("runs.join", tid, run["run_id"])
    assert again == values


async def test_stateless_runs_leave_no_thread(api: Api) -> None:
    before = await api("threads.count")
    values = await api("runs.wait", None, "agent", input=HI)
    assert values["log"] == ["chat"]
    parts = await api("runs.stream", None, "agent", input=HI, stream_mode="updates")
    assert parts[0].event == "metadata"
    assert {"hold": {"gate": ""}} in [p.data for p in parts]
    assert await api("threads.count") == before
    resume = await _status(api, "runs.wait", None, "agent", command={"resume": "x"})
    assert resume == (400, "Cannot resume a stateless run: it has no thread")


async def test_if_not_exists_create(api: Api) -> None:
    tid = str(uuid.uuid4())
    assert await _status(api, "runs.wait", tid, "agent", input=HI) == (
        404,
        f"Thread {tid} not found",
    )
    values = await api("runs.wait", tid, "agent", input=HI, if_not_exists="create")
    assert values["log"] == ["chat"]
    thread = await api("threads.get", tid)
    assert thread["metadata"]["graph_id"] == "agent"


async def test_graph_error_is_reported(api: Api) -> None:
    tid = await _thread(api)
    parts = await api("runs.stream", tid, "agent", input={"fail": True})
    assert parts[-1].event == "error"
    assert parts[-1].data == {"error": "ValueError", "message": "boom"}
    with pytest.raises(Exception, match="boom"):
        await api("runs.wait", tid, "agent", input={"fail": True})
    thread = await api("threads.get", tid)
    assert thread["status"] == "error"
    assert thread["error"] == {"error": "ValueError", "message": "boom"}
    runs = await api("runs.list", tid)
    assert {r["status"] for r in runs} == {"error"}


async def test_request_errors(api: Api) -> None:
    tid = await _thread(api)
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError):
        await api("runs.create", tid, missing, input=HI)
    status, detail = await _status(api, "runs.wait", tid, "no-such-graph", input=HI)
    assert status == 422
    assert detail.endswith(
        "expected a UUID or one of the graph ids: agent, who, talk, memo"
    )
    with pytest.raises(UnprocessableEntityError, match="bogus"):
        await api("runs.create", tid, "agent", input=HI, stream_mode="bogus")
    with pytest.raises(BadRequestError, match="both configurable and context"):
        await api(
            "runs.create",
            tid,
            "agent",
            input=HI,
            config={"configurable": {"a": 1}},
            context={"b": 2},
        )
    with pytest.raises(NotFoundError):
        await api("assistants.get", missing)
    with pytest.raises(NotFoundError):
        await api("threads.get", missing)
    assert (await api("runs.list", tid)) == []


async def test_oversized_bodies_get_413_and_change_nothing(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATEGRAPH_MAX_BODY_BYTES", "2048")
    big = {"metadata": {"blob": "x" * 4096}}
    async with httpx.AsyncClient(base_url=url) as http:
        before = (await http.post("/threads/search", json={"limit": 1000})).json()
        declared = await http.post("/threads", json=big)

        async def chunks() -> Any:
            for _ in range(4):
                yield b" " * 1024  # no Content-Length: counted as it arrives

        streamed = await http.post(
            "/threads", content=chunks(), headers={"content-type": "application/json"}
        )
        small = await http.post("/threads", json={"metadata": {"ok": 1}})
        after = (await http.post("/threads/search", json={"limit": 1000})).json()
    for response in (declared, streamed):
        assert response.status_code == 413
        assert "STATEGRAPH_MAX_BODY_BYTES" in response.json()["detail"]
    assert small.status_code == 200
    assert len(after) == len(before) + 1


async def test_malformed_bodies_and_content_types(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        bad_json = await http.post(
            "/threads", content=b"{nope", headers={"content-type": "application/json"}
        )
        form = await http.post(
            "/threads/search",
            content=b"limit=1",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        not_object = await http.post("/threads/search", json=[1, 2])
        no_body = await http.post("/assistants")
        bad_id = await http.get("/threads/not-a-uuid")
        unknown_route = await http.get("/nope")
    assert (bad_json.status_code, bad_json.json()["detail"][:12]) == (
        422,
        "Invalid JSON",
    )
    assert form.status_code == 422
    assert form.json()["detail"].startswith("Content-Type must be application/json")
    assert not_object.json() == {"detail": "Request body must be a JSON object"}
    assert no_body.json() == {"detail": "Request body is required"}
    assert bad_id.status_code == 422
    assert unknown_route.status_code == 404
    assert unknown_route.json() == {"detail": "Not Found"}


async def test_resume_as_agent_chat_ui_sends_it(api: Api) -> None:
    # useStream resumes with ``input: {}`` next to the command, from the head
    # checkpoint of the history it shows (without its thread_id).
    tid = await _thread(api)
    await api("runs.wait", tid, "agent", input={**HI, "need_review": True})
    head = (await api("threads.get_history", tid, limit=10))[0]["checkpoint"]
    checkpoint = {k: v for k, v in head.items() if k != "thread_id"}
    parts = await api(
        "runs.stream",
        tid,
        "agent",
        input={},
        command={"resume": {"decisions": ["approve"]}},
        checkpoint=checkpoint,
        stream_mode=["values", "messages-tuple", "custom"],
        stream_subgraphs=True,
        stream_resumable=True,
        on_disconnect="continue",
    )
    final = [p.data for p in parts if p.event == "values"][-1]
    assert final["log"] == ["chat", "review:{'decisions': ['approve']}"]
    assert (await api("threads.get", tid))["status"] == "idle"


@pytest.mark.parametrize(
    "path", ["/threads", "/threads/{}/commands", "/threads/{}/stream/events"]
)
async def test_a_request_its_client_left_before_the_body_ends_quietly(
    path: str,
) -> None:
    # The SDKs drop a v3 stream request they replaced at once, sometimes
    # before its body is read: a 499 no one reads, not an application error
    # the ASGI server logs with a traceback.
    app = create_app({"agent": agent})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    target = path.format(uuid.uuid4())
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"test"),
            (b"content-type", b"application/json"),
            (b"content-length", b"64"),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 499
