"""App-level behaviour: SSE framing, disconnects, SQLite checkpoints, CORS, info."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server_graphs import CLOSED, SAVERS, agent

from conftest import HI, serve
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.server import create_app, runs
from stategraph.server._sse import encode_frame
from stategraph.server._storage import Query

EXAMPLE = Path(__file__).parents[2] / "examples" / "server"


def test_frames_are_event_data_id_lines() -> None:
    frame = encode_frame("values|a\nb", b'{"x":1}', "7\r")
    assert frame == b'event: values|ab\r\ndata: {"x":1}\r\nid: 7\r\n\r\n'
    assert encode_frame("metadata", b"{}") == b"event: metadata\r\ndata: {}\r\n\r\n"


@pytest.mark.asyncio
async def test_disconnect_cancels_when_asked(url: str, gate: tuple[str, Any]) -> None:
    name, _ = gate
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        body = {
            "assistant_id": "agent",
            "input": {**HI, "gate": name},
            "on_disconnect": "cancel",
        }
        async with http.stream("POST", f"/threads/{tid}/runs/stream", json=body) as s:
            run_path = s.headers["content-location"]
            assert s.headers["content-type"].startswith("text/event-stream")
            lines = s.aiter_lines()
            assert await anext(lines) == "event: metadata"
        # The connection is closed while the run waits at the gate.
        await http.get(f"{run_path}/join")
        run = (await http.get(run_path)).json()
    assert run["status"] == "interrupted"


@pytest.mark.asyncio
async def test_cors_info_and_health(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        preflight = await http.options(
            "/threads",
            headers={
                "origin": "http://localhost:3000",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type,x-api-key",
                "access-control-request-private-network": "true",
            },
        )
        created = await http.post(
            "/runs",
            json={"assistant_id": "agent", "input": HI},
            headers={"origin": "http://localhost:3000"},
        )
        info = (await http.get("/info")).json()
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-private-network"] == "true"
    exposed = created.headers["access-control-expose-headers"].lower()
    assert "content-location" in exposed
    assert created.headers["content-location"] == f"/runs/{created.json()['run_id']}"
    assert info["flags"]["assistants"] is True
    assert info["graphs"] == ["agent", "who", "talk", "memo"]


@pytest.mark.asyncio
async def test_sqlite_checkpoints_from_config(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "graph.py", tmp_path / "graph.py")
    config = json.loads((EXAMPLE / "langgraph.json").read_text())
    config["checkpointer"] = {"sqlite": "checkpoints.db"}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    served = serve(create_app(config=tmp_path / "langgraph.json"))
    url = next(served)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            paused = await http.post(
                f"/threads/{tid}/runs/wait",
                json={"assistant_id": "approval", "input": {"amount": 3}},
            )
    finally:
        served.close()
    assert paused.json()["__interrupt__"][0]["value"]["amount"] == 3
    with SqliteSaver.from_conn_string(str(tmp_path / "checkpoints.db")) as saver:
        saved = list(saver.list({"configurable": {"thread_id": tid}}))
    assert [c.metadata["source"] for c in saved] == ["loop", "input"]


@pytest.mark.asyncio
async def test_run_timeout(gate: tuple[str, Any]) -> None:
    name, _ = gate
    served = serve(create_app({"agent": agent}, run_timeout=1.0))
    url = next(served)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": "agent", "input": {**HI, "gate": name}}
            out = await http.post(f"/threads/{tid}/runs/wait", json=body)
            runs = (await http.get(f"/threads/{tid}/runs")).json()
            thread = (await http.get(f"/threads/{tid}")).json()
            tid2 = (await http.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": "agent", "input": {**HI, "fail_slowly": True}}
            own = await http.post(f"/threads/{tid2}/runs/wait", json=body)
            own_runs = (await http.get(f"/threads/{tid2}/runs")).json()
    finally:
        served.close()
    assert out.json() == {
        "__error__": {"error": "TimeoutError", "message": "Run timed out"}
    }
    assert [r["status"] for r in runs] == ["timeout"]
    assert thread["status"] == "error"
    # A TimeoutError raised by a node is an error of the run, not a timeout.
    assert own.json() == {
        "__error__": {"error": "TimeoutError", "message": "the backend is slow"}
    }
    assert [r["status"] for r in own_runs] == ["error"]


@pytest.mark.asyncio
async def test_heartbeats_while_a_run_is_quiet(
    url: str, gate: tuple[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, held = gate
    monkeypatch.setattr(runs, "HEARTBEAT_SECONDS", 0.05)
    body = {"assistant_id": "agent", "input": {**HI, "gate": name}}
    async with (
        httpx.AsyncClient(base_url=url, timeout=30) as http,
        http.stream("POST", "/runs/stream", json=body) as stream,
    ):
        lines = stream.aiter_lines()
        while await anext(lines) != ": heartbeat":
            pass
        held.release()
        rest = [line async for line in lines]
    assert "event: values" in rest


@pytest.mark.asyncio
async def test_deleting_a_busy_thread_stops_its_runs(gate: tuple[str, Any]) -> None:
    name, held = gate
    app = create_app({"agent": agent})
    served = serve(app)
    url = next(served)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            runs_url = f"/threads/{tid}/runs"
            gated = {"assistant_id": "agent", "input": {**HI, "gate": name}}
            await http.post(runs_url, json=gated)
            queued = (await http.post(runs_url, json={"assistant_id": "agent"})).json()
            assert await asyncio.to_thread(held.entered.wait, 30)
            join_url = f"{runs_url}/{queued['run_id']}/join"
            async with http.stream("GET", join_url) as join:  # waiting on it
                deleted = await http.delete(f"/threads/{tid}")
                joined = json.loads(await join.aread())
    finally:
        served.close()
    assert deleted.status_code == 204
    assert joined is None  # the queued run's readers were let go
    left = await app.state.stategraph.storage.search_runs(
        Query(equals={"thread_id": tid})
    )
    assert left.total == 0  # the interrupted run did not write itself back


@pytest.mark.asyncio
async def test_checkpointer_path_from_config(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "graph.py", tmp_path / "graph.py")
    config = json.loads((EXAMPLE / "langgraph.json").read_text())
    config["checkpointer"] = {"path": "_server_graphs:make_saver"}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    before = len(SAVERS)
    served = serve(create_app(config=tmp_path / "langgraph.json"))
    url = next(served)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            await http.post(
                f"/threads/{tid}/runs/wait",
                json={"assistant_id": "approval", "input": {"amount": 3}},
            )
    finally:
        served.close()
    saver = SAVERS[before]
    assert len(list(saver.list({"configurable": {"thread_id": tid}}))) == 2
    assert CLOSED[-1] is saver  # the context manager was exited at shutdown
