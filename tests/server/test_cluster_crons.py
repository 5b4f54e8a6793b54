"""Crons on a cluster: every tick fires once across processes and supervisors.

Every API process runs a cron scheduler; the tick is claimed in PostgreSQL
(``claim_cron``), so two supervisors on one database must not both fire it,
and the claim stores the tick's run, so a fault half way does not lose it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from _cluster_support import GRAPH, Supervisors, poll
from _server_graphs import agent
from psycopg_pool import AsyncConnectionPool

from stategraph.server import _scheduler, create_app
from stategraph.server._pg_broker import PostgresBroker
from stategraph.server._run_ops import prepare_run
from stategraph.server._storage import InMemoryStorage, Query, Storage, memory
from stategraph.server._storage.postgres import CONNECT_KWARGS, PostgresStorage

DUE = "2026-11-29T12:00:00+00:00"
HI = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def supervisors(schemas: Callable[[], str], tmp_path: Path) -> Iterator[Supervisors]:
    (tmp_path / "graph.py").write_text(GRAPH)
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"g": "./graph.py:graph"}}))
    made = Supervisors(config, schemas())
    try:
        yield made
    finally:
        made.close()


def _even_seconds(start: float, end: float) -> int:
    """How many whole even seconds lie in ``(start, end]``."""
    return math.floor(end / 2) - math.floor(start / 2)


def test_two_supervisors_fire_each_tick_once(supervisors: Supervisors) -> None:
    # No workers: runs stay pending, piled up by ``enqueue``, and are counted.
    one = supervisors.client(supervisors.start(apis=1).url)
    two = supervisors.client(supervisors.start(apis=2).url)
    tid = one.threads.create(graph_id="g")["thread_id"]
    start = time.time()
    cron = one.crons.create_for_thread(
        tid, "g", schedule="* * * * * */2", multitask_strategy="enqueue"
    )
    assert cron["next_run_date"] is not None

    def runs() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = two.runs.list(tid, limit=100)
        return found

    poll(lambda: len(runs()) >= 4, "four cron runs")
    two.crons.delete(cron["cron_id"])
    stopped = time.time()
    fired = runs()
    # Three processes each looked at every tick; at most one run per tick.
    assert len(fired) >= 4
    assert len(fired) <= _even_seconds(start, stopped)
    assert {r["kwargs"]["config"]["configurable"]["cron_id"] for r in fired} == {
        cron["cron_id"]
    }
    assert {r["status"] for r in fired} == {"pending"}


async def _pg_storages(uri: str, count: int) -> list[PostgresStorage]:
    storages = []
    for _ in range(count):
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            uri, kwargs=CONNECT_KWARGS, min_size=1, max_size=2, open=False
        )
        await pool.open(wait=True)
        storage = PostgresStorage(pool)
        await storage.setup()
        storages.append(storage)
    return storages


def _run(run_id: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "thread_id": "t1",
        "created_at": DUE,
        "status": "pending",
        "kwargs": {},
    }


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_claim_cron_has_one_winner(
    backend: str, schemas: Callable[[], str]
) -> None:
    storages: list[Storage]
    if backend == "memory":
        storages = [InMemoryStorage()] * 6
    else:
        storages = list(await _pg_storages(schemas(), 6))
    try:
        cron = {"cron_id": "c1", "next_run_date": DUE, "enabled": True, "n": 1}
        await storages[0].put_cron(cron)
        changes = {"next_run_date": "2026-11-29T12:01:00+00:00"}
        thread = {"thread_id": "t1", "status": "busy", "created_at": DUE}
        # Each claimant brings the run it would fire: only the winner's is kept.
        claims = await asyncio.gather(
            *(
                s.claim_cron("c1", DUE, changes, thread=thread, run=_run(f"r{i}"))
                for i, s in enumerate(storages)
            )
        )
        winners = [c for c in claims if c is not None]
        assert winners == [{**cron, **changes}]
        runs = (await storages[0].search_runs(Query(limit=10))).items
        assert [r["run_id"] for r in runs] == [f"r{claims.index(winners[0])}"]
        assert await storages[0].get_thread("t1") == thread
        # The next tick is claimable once, the old one no more.
        assert await storages[1].claim_cron("c1", DUE, changes) is None
        later = await storages[2].claim_cron(
            "c1", changes["next_run_date"], {"next_run_date": None}
        )
        assert later is not None
        assert later["next_run_date"] is None
        assert await storages[3].claim_cron("missing", DUE, changes) is None
        # A disabled cron is not claimed, though due.
        await storages[0].put_cron({**cron, "cron_id": "c2", "enabled": False})
        assert await storages[4].claim_cron("c2", DUE, changes) is None
    finally:
        for storage in storages:
            if isinstance(storage, PostgresStorage):
                await storage.pool.close()


@contextlib.asynccontextmanager
async def _fault_storing_runs(
    uri: str | None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[type[Exception]]:
    """Make storing a run fail, inside the claim; yields the error raised."""
    if uri is None:
        real = memory._copy

        def copy(record: Any) -> Any:
            if isinstance(record, dict) and "multitask_strategy" in record:
                raise RuntimeError("injected fault")
            return real(record)

        with monkeypatch.context() as patch:
            patch.setattr(memory, "_copy", copy)
            yield RuntimeError
        return
    # In the database, after the cron's UPDATE: the process dies mid-claim.
    async with await psycopg.AsyncConnection.connect(uri, autocommit=True) as conn:
        await conn.execute(
            "CREATE FUNCTION sg_fault() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$"
        )
        await conn.execute(
            "CREATE TRIGGER sg_fault BEFORE INSERT ON sg_runs"
            " FOR EACH ROW EXECUTE FUNCTION sg_fault()"
        )
        try:
            yield psycopg.errors.RaiseException
        finally:
            await conn.execute("DROP TRIGGER sg_fault ON sg_runs")


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_a_fault_mid_claim_neither_loses_nor_repeats_the_tick(
    backend: str, schemas: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    original = _scheduler.open_stream

    async def spy(ctx: Any, prepared: Any, **kwargs: Any) -> None:
        opened.append(prepared.run["run_id"])
        await original(ctx, prepared, **kwargs)

    monkeypatch.setattr(_scheduler, "open_stream", spy)
    t0 = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    now = [t0]
    uri = schemas() if backend == "postgres" else None
    app = create_app({"agent": agent}, clock=lambda: now[0], postgres=uri)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        crons = app.state.stategraph.crons
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        body = {
            "assistant_id": "agent",
            "schedule": "* * * * *",
            "input": HI,
            "multitask_strategy": "enqueue",
        }
        made = (await http.post(f"/threads/{tid}/runs/crons", json=body)).json()
        cron_url = f"/runs/crons/{made['cron_id']}"
        async with _fault_storing_runs(uri, monkeypatch) as fault:
            # Due only once the fault is in place: the app's own scheduler
            # could otherwise claim the tick first, without the fault.
            now[0] = t0 + timedelta(minutes=1)
            with pytest.raises(fault, match="injected fault"):
                await crons.tick(now[0])
        # Nothing of the tick was kept: still due, no run, the thread idle,
        # and the stream opened for the run is not left open.
        (lost,) = opened
        assert await app.state.stategraph.broker.get(lost) is None
        assert (await http.get(cron_url)).json()["next_run_date"] == made[
            "next_run_date"
        ]
        assert (await http.get(f"/threads/{tid}/runs")).json() == []
        assert (await http.get(f"/threads/{tid}")).json()["status"] == "idle"
        # The next look fires it, and only once.
        assert await crons.tick(now[0]) == t0 + timedelta(minutes=2)
        assert await crons.tick(now[0]) == t0 + timedelta(minutes=2)
        fired = (await http.get(f"/threads/{tid}/runs")).json()
        after = (await http.get(cron_url)).json()
    assert len(fired) == 1
    assert fired[0]["kwargs"]["config"]["configurable"]["cron_id"] == made["cron_id"]
    assert after["next_run_date"] == (t0 + timedelta(minutes=2)).isoformat()


@pytest.mark.asyncio
async def test_tick_semantics_end_time_metadata_and_completion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[tuple[dict[str, Any], str | None]] = []
    original = prepare_run

    async def spy(ctx: Any, body: dict[str, Any], thread_id: str | None) -> Any:
        started.append((body, thread_id))
        return await original(ctx, body, thread_id)

    monkeypatch.setattr(_scheduler, "prepare_run", spy)
    t0 = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    now = [t0]
    app = create_app({"agent": agent}, clock=lambda: now[0])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        crons = app.state.stategraph.crons
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        body = {
            "assistant_id": "agent",
            "schedule": "* * * * *",
            "input": HI,
            "metadata": {"m": 1, "keep": True},
            "end_time": (t0 + timedelta(seconds=90)).isoformat(),
        }
        bound = (await http.post(f"/threads/{tid}/runs/crons", json=body)).json()
        stateless = {"assistant_id": "agent", "schedule": "* * * * *", "input": HI}
        for made in (stateless, {**stateless, "on_run_completed": "keep"}):
            await http.post("/runs/crons", json=made)
        # PATCHed metadata reaches the runs: the cron's under the payload's.
        patch = {"metadata": {"m": 2, "extra": 3}}
        await http.patch(f"/runs/crons/{bound['cron_id']}", json=patch)
        now[0] = t0 + timedelta(minutes=1)
        await crons.tick(now[0])
        now[0] = t0 + timedelta(minutes=2)  # past the bound cron's end time
        await crons.tick(now[0])
        ended = (await http.get(f"/runs/crons/{bound['cron_id']}")).json()
    on_thread = [b for b, thread_id in started if thread_id == tid]
    assert [b["metadata"] for b in on_thread] == [{"m": 1, "keep": True, "extra": 3}]
    assert "on_completion" not in on_thread[0]
    completions = [b["on_completion"] for b, thread_id in started if thread_id is None]
    assert sorted(completions) == ["delete", "delete", "keep", "keep"]
    # As LangGraph's server: past its end time a cron keeps its last date.
    assert ended["next_run_date"] == (t0 + timedelta(minutes=2)).isoformat()


@pytest.mark.asyncio
async def test_the_stream_of_a_run_never_stored_is_swept(
    schemas: Callable[[], str],
) -> None:
    # A process that dies between opening a cron run's stream and committing
    # its claim leaves a stream no run will close: the sweeper deletes it on
    # its second look (on the first, its run may be being stored).
    (storage,) = await _pg_storages(schemas(), 1)
    broker = PostgresBroker(storage)
    try:
        await broker.open("orphan", resumable=True)
        await broker.open("stored", resumable=True)
        await storage.put_run(_run("stored"))
        seen = await broker._log.sweep_orphans(set())
        assert seen == {"orphan"}
        assert await broker.get("orphan") is not None
        assert await broker._log.sweep_orphans(seen) == set()
        assert await broker.get("orphan") is None
        assert await broker.get("stored") is not None
    finally:
        await storage.pool.close()
