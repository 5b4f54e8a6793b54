"""Thread TTLs: ``ttl`` on create and update, ``checkpointer.ttl``, the sweeper."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from _server_graphs import agent
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError
from starlette.applications import Starlette

from conftest import HI, Api, serve
from stategraph.server import create_app
from stategraph.server._thread_ttl import ThreadTTL, ThreadTTLConfig, parse_ttl_config

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
NOW = [T0]
APP: list[Starlette] = []


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """A server whose clock the tests move (it overrides conftest's ``url``)."""
    app = create_app({"agent": agent}, clock=lambda: NOW[0])
    APP.append(app)
    yield from serve(app)


async def _sweep(minutes: float) -> list[str]:
    """Move the clock on by ``minutes`` and sweep on the server's loop.

    The server's own sweeping task may get there first (it wakes when a ttl
    is set), so tests check which threads remain rather than who swept them.
    """
    NOW[0] += timedelta(minutes=minutes)
    swept: list[str] = await asyncio.wrap_future(
        APP[-1].state.stategraph.sweeper.sweep_soon()
    )
    return swept


@pytest.mark.asyncio
async def test_threads_expire_after_their_ttl(api: Api) -> None:
    short = await api("threads.create", ttl=1)
    long = await api("threads.create", ttl={"ttl": 10, "strategy": "delete"})
    forever = await api("threads.create")
    await api("runs.wait", short["thread_id"], "agent", input=HI)
    await _sweep(2)
    with pytest.raises(NotFoundError):
        await api("threads.get", short["thread_id"])
    saver = APP[-1].state.stategraph.checkpointer
    config = {"configurable": {"thread_id": short["thread_id"]}}
    assert await saver.aget_tuple(config) is None  # checkpoints went too
    assert (await api("threads.get", long["thread_id"]))["thread_id"]
    # An update with a ttl restarts the countdown from now.
    await api("threads.update", long["thread_id"], metadata={"a": 1}, ttl=1)
    await _sweep(0.5)
    assert (await api("threads.get", long["thread_id"]))["metadata"] == {"a": 1}
    await _sweep(1)
    with pytest.raises(NotFoundError):
        await api("threads.get", long["thread_id"])
    await _sweep(10_000)
    assert (await api("threads.get", forever["thread_id"]))["thread_id"]


@pytest.mark.asyncio
async def test_deleted_threads_are_forgotten(api: Api) -> None:
    thread = await api("threads.create", ttl=1)
    await api("threads.delete", thread["thread_id"])
    storage = APP[-1].state.stategraph.storage
    assert await storage.get_thread_ttl(thread["thread_id"]) is None
    assert await _sweep(2) == []


@pytest.mark.asyncio
async def test_keep_latest_prunes_history_and_keeps_the_thread(api: Api) -> None:
    thread = await api("threads.create", ttl={"ttl": 1, "strategy": "keep_latest"})
    tid = thread["thread_id"]
    for _ in range(2):
        await api("runs.wait", tid, "agent", input=HI)
    before = await api("threads.get_history", tid, limit=100)
    assert len(before) > 1
    values = (await api("threads.get_state", tid))["values"]
    await _sweep(2)
    after = await api("threads.get_history", tid, limit=100)
    assert len(after) == 1  # only the latest checkpoint is left
    assert (
        after[0]["checkpoint"]["checkpoint_id"]
        == (before[0]["checkpoint"]["checkpoint_id"])
    )
    assert (await api("threads.get_state", tid))["values"] == values
    # The thread stays, no longer expiring, and can run again.
    assert (await api("threads.get", tid, include=["ttl"]))["ttl"] is None
    await api("runs.wait", tid, "agent", input=HI)
    assert len(await api("threads.get_history", tid, limit=100)) > 1


@pytest.mark.asyncio
async def test_keep_latest_waits_for_a_busy_thread(
    api: Api, gate: tuple[str, Any]
) -> None:
    name, held = gate
    thread = await api("threads.create", ttl={"ttl": 1, "strategy": "keep_latest"})
    tid = thread["thread_id"]
    await api("runs.wait", tid, "agent", input=HI)
    run = await api("runs.create", tid, "agent", input={**HI, "gate": name})
    assert await asyncio.to_thread(held.entered.wait, 30)
    assert tid not in await _sweep(2)  # a run is going: pruning waits
    ttl = (await api("threads.get", tid, include=["ttl"]))["ttl"]
    assert datetime.fromisoformat(ttl["expires_at"]) > NOW[0]
    held.release()
    await api("runs.join", tid, run["run_id"])
    assert len(await api("threads.get_history", tid, limit=100)) > 1
    await _sweep(10)
    assert len(await api("threads.get_history", tid, limit=100)) == 1


@pytest.mark.asyncio
async def test_get_with_include_ttl(api: Api) -> None:
    thread = await api("threads.create", ttl=30)
    tid = thread["thread_id"]
    plain = await api("threads.get", tid)
    assert "ttl" not in plain
    got = await api("threads.get", tid, include=["ttl"])
    assert got["ttl"]["strategy"] == "delete"
    assert got["ttl"]["ttl_minutes"] == 30
    expires = datetime.fromisoformat(got["ttl"]["expires_at"])
    assert expires == NOW[0] + timedelta(minutes=30)
    await api(
        "threads.update", tid, metadata={}, ttl={"ttl": 5, "strategy": "keep_latest"}
    )
    got = await api("threads.get", tid, include=["ttl"])
    assert got["ttl"]["strategy"] == "keep_latest"
    assert got["ttl"]["ttl_minutes"] == 5
    forever = await api("threads.create")
    assert (await api("threads.get", forever["thread_id"], include=["ttl"]))[
        "ttl"
    ] is None
    with pytest.raises(UnprocessableEntityError, match="'include'"):
        await api("threads.get", tid, include=["color"])


@pytest.mark.asyncio
async def test_invalid_ttls(api: Api) -> None:
    with pytest.raises(UnprocessableEntityError, match="positive"):
        await api("threads.create", ttl=0)
    with pytest.raises(UnprocessableEntityError, match="'keep_latest'"):
        await api("threads.create", ttl={"ttl": 5, "strategy": "archive"})
    thread = await api("threads.create")
    with pytest.raises(UnprocessableEntityError):
        await api("threads.update", thread["thread_id"], metadata={}, ttl="soon")


@pytest.mark.asyncio
async def test_ttl_config(tmp_path: Path) -> None:
    assert parse_ttl_config(None) is None
    parsed = parse_ttl_config({"default_ttl": 60, "sweep_interval_minutes": 2})
    assert parsed == ThreadTTLConfig(default_ttl=60, sweep_interval_minutes=2)
    with pytest.raises(ValueError, match="'archive' is not supported"):
        parse_ttl_config({"strategy": "archive"})
    kept = parse_ttl_config({"strategy": "keep_latest", "default_ttl": 5})
    assert kept == ThreadTTLConfig(default_ttl=5, strategy="keep_latest")
    with pytest.raises(ValueError, match="default_ttl must be > 0"):
        parse_ttl_config({"default_ttl": -1})
    (tmp_path / "g.py").write_text(
        "from _server_graphs import agent as graph\n",
    )
    spec: dict[str, Any] = {
        "graphs": {"g": "./g.py:graph"},
        "checkpointer": {"ttl": {"default_ttl": 30}},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(spec))
    app = create_app(config=tmp_path / "langgraph.json")
    sweeper = app.state.stategraph.sweeper
    assert sweeper.config.default_ttl == 30
    await sweeper.set("t", None)  # no ttl asked for: the default applies
    expires = datetime.fromisoformat((await sweeper.describe("t"))["expires_at"])
    assert expires > datetime.now(timezone.utc) + timedelta(minutes=29)
    spec["checkpointer"] = {"ttl": {"strategy": "keep_latest", "default_ttl": 30}}
    (tmp_path / "langgraph.json").write_text(json.dumps(spec))
    kept = create_app(config=tmp_path / "langgraph.json").state.stategraph.sweeper
    await kept.set("t", None)
    assert (await kept.describe("t") or {})["strategy"] == "keep_latest"
    await kept.set("u", ThreadTTL(5, "delete"))  # a thread's own strategy wins
    assert (await kept.describe("u") or {})["strategy"] == "delete"


@pytest.mark.asyncio
async def test_default_ttl_covers_threads_runs_create(tmp_path: Path) -> None:
    (tmp_path / "g.py").write_text("from _server_graphs import agent as graph\n")
    spec = {
        "graphs": {"agent": "./g.py:graph"},
        "checkpointer": {"ttl": {"default_ttl": 1}},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(spec))
    now = [T0]
    app = create_app(config=tmp_path / "langgraph.json", clock=lambda: now[0])
    served = serve(app)
    client = get_client(url=next(served), api_key=None)
    try:
        made = await client.threads.create()
        tid = str(uuid.uuid4())
        await client.runs.wait(tid, "agent", input=HI, if_not_exists="create")
        kept = await client.runs.wait(None, "agent", input=HI, on_completion="keep")
        assert isinstance(kept, dict)
        sweeper = app.state.stategraph.sweeper
        for thread_id in (made["thread_id"], tid):
            assert await sweeper.describe(thread_id) is not None
        now[0] = T0 + timedelta(minutes=2)
        await asyncio.wrap_future(sweeper.sweep_soon())
        for thread_id in (made["thread_id"], tid):
            with pytest.raises(NotFoundError):
                await client.threads.get(thread_id)
        assert await client.threads.search(limit=100) == []
    finally:
        await client.http.client.aclose()
        served.close()
