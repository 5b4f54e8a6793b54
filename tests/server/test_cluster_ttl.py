"""Thread TTLs on a cluster: stored in PostgreSQL, swept once, across restarts.

A TTL set through one supervisor is in the database, so another supervisor
started after the first one stopped still applies it; sweeping processes
claim expired threads (``claim_expired_threads``), so each is acted on by one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _cluster_support import GRAPH, Supervisors, poll
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from stategraph.server._storage import InMemoryStorage, Storage
from stategraph.server._storage.postgres import CONNECT_KWARGS, PostgresStorage

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
#: Long enough for the first supervisor to stop before anything expires.
TTL_MINUTES = 0.25


@pytest.fixture
def setup(schemas: Callable[[], str], tmp_path: Path) -> Iterator[Supervisors]:
    (tmp_path / "graph.py").write_text(GRAPH)
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"g": "./graph.py:graph"}}))
    made = Supervisors(config, schemas())
    try:
        yield made
    finally:
        made.close()


def _ttl(client: Any, tid: str) -> Any:
    return client.http.get(f"/threads/{tid}", params={"include": "ttl"})["ttl"]


def _rows(uri: str, table: str) -> int:
    with psycopg.connect(uri) as conn:
        statement = sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(f"sg_{table}")
        )
        row = conn.execute(statement).fetchone()
        return int(row[0]) if row else 0


def test_expiry_survives_a_restart_and_applies_on_another_supervisor(
    setup: Supervisors,
) -> None:
    first = setup.start()
    one = setup.client(first.url)
    doomed = one.threads.create(
        graph_id="g", ttl={"ttl": TTL_MINUTES, "strategy": "delete"}
    )["thread_id"]
    pruned = one.threads.create(graph_id="g")["thread_id"]
    for value in ("a", "b", "c"):
        one.threads.update_state(pruned, {"log": [value]}, as_node="step")
    keep = {"ttl": TTL_MINUTES, "strategy": "keep_latest"}
    one.threads.update(pruned, metadata={}, ttl=keep)
    assert _ttl(one, doomed)["strategy"] == "delete"
    assert _ttl(one, pruned)["strategy"] == "keep_latest"
    first.stop()
    # Nothing expired while the first supervisor ran: both wait in the table.
    assert _rows(setup.uri, "thread_ttls") == 2
    assert _rows(setup.uri, "threads") == 2

    two = setup.client(setup.start(apis=2).url)
    assert _ttl(two, pruned)["ttl_minutes"] == TTL_MINUTES

    def swept() -> bool:
        left = [t["thread_id"] for t in two.threads.search(limit=10)]
        return left == [pruned] and _ttl(two, pruned) is None

    poll(swept, "both expiries")
    assert [t["thread_id"] for t in two.threads.search(limit=10)] == [pruned]
    history = two.threads.get_history(pruned, limit=10)
    assert len(history) == 1
    assert history[0]["values"] == {"log": ["a", "b", "c"]}
    assert _rows(setup.uri, "thread_ttls") == 0


async def _pg(uri: str) -> PostgresStorage:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        uri, kwargs=CONNECT_KWARGS, min_size=1, max_size=2, open=False
    )
    await pool.open(wait=True)
    storage = PostgresStorage(pool)
    await storage.setup()
    return storage


async def _storages(backend: str, uri: Callable[[], str]) -> list[Storage]:
    if backend == "memory":
        return [InMemoryStorage()] * 4
    where = uri()
    return [await _pg(where) for _ in range(4)]


def _ttl_record(minutes: float, strategy: str = "delete") -> dict[str, Any]:
    at = T0 + timedelta(minutes=minutes)
    return {"strategy": strategy, "ttl_minutes": minutes, "expires_at": at.isoformat()}


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_expired_threads_are_claimed_once(
    backend: str, schemas: Callable[[], str]
) -> None:
    storages = await _storages(backend, schemas)
    try:
        first = storages[0]
        for index in range(50):
            await first.put_thread_ttl(f"t{index:02}", _ttl_record(1 + index % 5))
        await first.put_thread_ttl("later", _ttl_record(60, "keep_latest"))
        now, retry = T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)

        async def drain(storage: Storage) -> list[str]:
            taken: list[str] = []
            while batch := await storage.claim_expired_threads(now, retry, 7):
                taken += [thread_id for thread_id, _ in batch]
            return taken

        claimed = [
            t for part in await asyncio.gather(*map(drain, storages)) for t in part
        ]
        assert sorted(claimed) == [f"t{index:02}" for index in range(50)]
        assert await first.next_thread_expiry() == retry
        # A claim not acted on comes back at its retry time, to one process.
        again = await storages[1].claim_expired_threads(retry, retry, 100)
        assert len(again) == 50
        assert again[0][1]["expires_at"] == retry.isoformat()
        for index in range(50):
            await storages[index % 4].delete_thread_ttl(f"t{index:02}")
        assert await first.get_thread_ttl("t00") is None
        assert await first.get_thread_ttl("later") == _ttl_record(60, "keep_latest")
        assert await first.next_thread_expiry() == T0 + timedelta(minutes=60)
    finally:
        for storage in storages:
            if isinstance(storage, PostgresStorage):
                await storage.pool.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["memory", "postgres"])
async def test_deleting_a_thread_drops_its_ttl(
    backend: str, schemas: Callable[[], str]
) -> None:
    storage = (await _storages(backend, schemas))[0]
    try:
        thread = {"thread_id": "t1", "metadata": {}, "created_at": T0.isoformat()}
        await storage.put_thread(thread)
        await storage.put_thread_ttl("t1", _ttl_record(1))
        assert await storage.delete_thread("t1")
        assert await storage.get_thread_ttl("t1") is None
        assert await storage.next_thread_expiry() is None
    finally:
        if isinstance(storage, PostgresStorage):
            await storage.pool.close()
