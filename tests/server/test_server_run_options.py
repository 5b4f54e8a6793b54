"""Run options and bulk endpoints: context, factories, durability, forks, delays."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from _server_graphs import FACTORY_CALLS
from langgraph_sdk.errors import NotFoundError

from conftest import HI, Api

pytestmark = pytest.mark.asyncio


async def test_context_config_and_graph_factory(api: Api) -> None:
    calls = len(FACTORY_CALLS)
    out = await api("runs.wait", None, "who", input={}, context={"user": "ann"})
    assert out == {"seen": "ann", "model": ""}
    out = await api(
        "runs.wait", None, "who", input={}, config={"configurable": {"model": "m1"}}
    )
    assert out == {"seen": "anon", "model": "m1"}
    assert len(FACTORY_CALLS) == calls + 2  # built per run, with the run's config
    assert FACTORY_CALLS[-1]["configurable"]["model"] == "m1"
    assistant = await api(
        "assistants.create", "who", context={"user": "bob"}, name="bob's"
    )
    out = await api("runs.wait", None, assistant["assistant_id"], input={})
    assert out["seen"] == "bob"


async def test_durability_exit_saves_fewer_checkpoints(api: Api) -> None:
    counts = {}
    for durability in ("async", "exit"):
        tid = (await api("threads.create"))["thread_id"]
        await api("runs.wait", tid, "agent", input=HI, durability=durability)
        counts[durability] = len(await api("threads.get_history", tid, limit=100))
    assert counts["exit"] < counts["async"]
    assert counts["exit"] >= 1


async def test_run_from_an_earlier_checkpoint_forks(api: Api) -> None:
    tid = (await api("threads.create"))["thread_id"]
    await api("runs.wait", tid, "agent", input=HI)
    history = await api("threads.get_history", tid, limit=100)
    before_chat = next(h for h in history if h["next"] == ["chat"])
    out = await api(
        "runs.wait",
        tid,
        "agent",
        input=None,
        checkpoint={"checkpoint_id": before_chat["checkpoint"]["checkpoint_id"]},
    )
    assert out["log"] == ["chat"]  # not ["chat", "chat"]: chat ran once on this branch
    head = await api("threads.get_state", tid)
    assert head["checkpoint"]["checkpoint_id"] != history[0]["checkpoint_id"]
    chain = {
        h["checkpoint_id"] for h in await api("threads.get_history", tid, limit=100)
    }
    assert before_chat["checkpoint_id"] in chain


async def test_delayed_run_is_pending_first(api: Api) -> None:
    tid = (await api("threads.create"))["thread_id"]
    run = await api("runs.create", tid, "agent", input=HI, after_seconds=1)
    assert (await api("runs.get", tid, run["run_id"]))["status"] == "pending"
    await api("runs.join", tid, run["run_id"])
    assert (await api("runs.get", tid, run["run_id"]))["status"] == "success"


async def test_run_metadata_and_status_filter(api: Api) -> None:
    tid = (await api("threads.create"))["thread_id"]
    run = await api("runs.create", tid, "agent", input=HI, metadata={"tag": "m"})
    await api("runs.join", tid, run["run_id"])
    got = await api("runs.get", tid, run["run_id"])
    assert got["metadata"]["tag"] == "m"
    assert got["metadata"]["graph_id"] == "agent"
    assert got["kwargs"]["config"]["configurable"]["thread_id"] == tid
    assert len(await api("runs.list", tid, status="success")) == 1
    assert await api("runs.list", tid, status="error") == []


async def test_batch_bulk_cancel_and_prune(api: Api, gate: tuple[str, Any]) -> None:
    name, _ = gate
    tids = [(await api("threads.create"))["thread_id"] for _ in range(2)]
    runs = await api(
        "runs.create_batch",
        [
            {
                "assistant_id": "agent",
                "thread_id": tids[0],
                "input": {**HI, "gate": name},
            },
            {"assistant_id": "agent", "thread_id": tids[0], "input": HI},
        ],
    )
    assert [r["thread_id"] for r in runs] == [tids[0], tids[0]]
    await api(
        "runs.cancel_many", thread_id=tids[0], run_ids=[r["run_id"] for r in runs]
    )
    await api("runs.join", tids[0], runs[0]["run_id"])  # its worker records the end
    statuses = [(await api("runs.get", tids[0], r["run_id"]))["status"] for r in runs]
    assert statuses == ["interrupted", "interrupted"]
    with pytest.raises(NotFoundError):
        await api("runs.cancel_many", thread_id=tids[0], run_ids=[runs[0]["run_id"]])
    await api("runs.wait", tids[1], "agent", input=HI)
    await api("runs.wait", tids[1], "agent", input=HI)
    kept = await api("threads.prune", [tids[1]], strategy="keep_latest")
    assert kept == {"pruned_count": 1}
    assert len(await api("threads.get_history", tids[1], limit=100)) == 1
    assert await api("threads.prune", tids) == {"pruned_count": 2}
    with pytest.raises(NotFoundError):
        await api("threads.get", tids[1])


async def test_stateless_run_stream_can_be_rejoined(
    url: str, gate: tuple[str, Any]
) -> None:
    name, held = gate
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        created = await http.post(
            "/runs",
            json={
                "assistant_id": "agent",
                "input": {**HI, "gate": name},
                "stream_mode": "updates",
                "stream_resumable": True,
            },
        )
        run_id = created.json()["run_id"]
        assert created.headers["content-location"] == f"/runs/{run_id}"
        headers = {"last-event-id": "-1"}
        async with http.stream("GET", f"/runs/{run_id}/stream", headers=headers) as s:
            lines = s.aiter_lines()
            assert await anext(lines) == "event: metadata"
            held.release()
            rest = [line async for line in lines]
        gone = await http.get(f"/runs/{run_id}/join")
    assert "event: updates" in rest
    assert "id: 1" in rest
    assert gone.status_code == 404  # the temporary thread and run are deleted
