"""``N_JOBS_PER_WORKER``: the most runs a server process executes at once.

As LangGraph's server (``langgraph dev --n-jobs-per-worker N`` sets it), the
limit is across threads; one thread's runs go one at a time whatever it is.
A thread whose next run waits for a free slot gets one in the order threads
became ready.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _server_graphs import GATES, Gate, agent

from conftest import HI, serve
from stategraph.server import create_app
from stategraph.server._queue import ActiveRun, InMemoryRunQueue, jobs_per_worker


@pytest.fixture
def gates() -> Iterator[list[tuple[str, Gate]]]:
    made = [(uuid.uuid4().hex, Gate()) for _ in range(2)]
    GATES.update(made)
    try:
        yield made
    finally:
        for name, gate in made:
            GATES.pop(name)
            if gate.entered.is_set():
                gate.release()


def _start(http: httpx.Client, gate: str) -> tuple[str, str]:
    """A run held by ``gate`` on a new thread: its thread and run ids."""
    thread_id = http.post("/threads", json={}).json()["thread_id"]
    body = {"assistant_id": "agent", "input": {**HI, "gate": gate}}
    run = http.post(f"/threads/{thread_id}/runs", json=body).json()
    return thread_id, run["run_id"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_runs_of_different_threads_overlap_up_to_the_limit(
    jobs: int, gates: list[tuple[str, Gate]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("N_JOBS_PER_WORKER", str(jobs))
    (first_name, first), (second_name, second) = gates
    for url in serve(create_app({"agent": agent})):
        with httpx.Client(base_url=url, timeout=30) as http:
            first_run = _start(http, first_name)
            assert first.entered.wait(30)
            second_run = _start(http, second_name)
            if jobs == 2:
                # Both runs are in their held node at once.
                assert second.entered.wait(30)
                second.release()
            else:
                # The slot is taken: the second run has not started.
                thread_id, run_id = second_run
                run = http.get(f"/threads/{thread_id}/runs/{run_id}").json()
                assert run["status"] == "pending"
                assert not second.entered.is_set()
            first.release()
            http.get(f"/threads/{first_run[0]}/runs/{first_run[1]}/join")
            if jobs == 1:
                # Its slot freed, the waiting run starts.
                assert second.entered.wait(30)
                second.release()
            http.get(f"/threads/{second_run[0]}/runs/{second_run[1]}/join")
            statuses = [
                http.get(f"/threads/{t}/runs/{r}").json()["status"]
                for t, r in (first_run, second_run)
            ]
            assert statuses == ["success", "success"]


def _run(thread_id: str) -> dict[str, Any]:
    return {"run_id": uuid.uuid4().hex, "thread_id": thread_id, "kwargs": {}}


@pytest.mark.asyncio
async def test_waiting_threads_get_free_slots_in_order() -> None:
    started: list[str] = []
    finish: dict[str, asyncio.Event] = {}
    began = asyncio.Queue[str]()

    async def execute(active: ActiveRun) -> None:
        run_id = active.run["run_id"]
        started.append(run_id)
        began.put_nowait(run_id)
        await finish.setdefault(run_id, asyncio.Event()).wait()

    queue = InMemoryRunQueue(execute, concurrency=1)
    a1, b1, a2, c1 = _run("a"), _run("b"), _run("a"), _run("c")
    for run in (a1, b1, a2, c1):
        await queue.submit(run)
    running = {(t, r) for t, r, on in await queue.all_in_flight() if on}
    assert running == {("a", a1["run_id"])}
    order = []
    for _ in range(4):
        run_id = await asyncio.wait_for(began.get(), 30)
        order.append(run_id)
        in_flight = await queue.all_in_flight()
        assert [r for _, r, on in in_flight if on] == [run_id]
        finish.setdefault(run_id, asyncio.Event()).set()
    # ``b`` and ``c`` waited before ``a``'s second run was ready.
    assert order == [r["run_id"] for r in (a1, b1, c1, a2)]
    assert started == order
    await queue.aclose()


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("N_JOBS_PER_WORKER", raising=False)
    assert jobs_per_worker() is None
    monkeypatch.setenv("N_JOBS_PER_WORKER", "3")
    assert jobs_per_worker() == 3
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv("N_JOBS_PER_WORKER", bad)
        with pytest.raises(ValueError, match="N_JOBS_PER_WORKER"):
            jobs_per_worker()

    async def execute(active: ActiveRun) -> None:
        raise AssertionError("no run is submitted")

    with pytest.raises(ValueError, match="at least 1"):
        InMemoryRunQueue(execute, concurrency=0)


def test_a_database_uris_worker_concurrency_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stategraph.server.postgres import PostgresOptions

    uri = "postgresql://postgres@127.0.0.1:5432/test"
    monkeypatch.setenv("N_JOBS_PER_WORKER", "3")
    options = PostgresOptions.from_uri(uri)
    assert (options.uri, options.concurrency) == (uri, 3)
    monkeypatch.delenv("N_JOBS_PER_WORKER")
    assert PostgresOptions.from_uri(uri).concurrency == 10
