"""One storage contract, checked against the in-memory and PostgreSQL backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from stategraph.server._storage import InMemoryStorage, Query, Storage
from stategraph.server._storage.postgres import CONNECT_KWARGS, PostgresStorage


@pytest_asyncio.fixture(params=["memory", "postgres"])
async def storage(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Storage]:
    if request.param == "memory":
        yield InMemoryStorage()
        return
    schemas: Callable[[], str] = request.getfixturevalue("schemas")
    conninfo = schemas()
    schema = conninfo_to_dict(conninfo)["options"].split("=")[-1]
    async with AsyncConnectionPool(
        conninfo, kwargs=CONNECT_KWARGS, min_size=1, max_size=4, open=False
    ) as pool:
        backend = PostgresStorage(pool, schema=schema)
        await backend.setup()
        await backend.setup()  # idempotent: a second process starting later
        yield backend
        await backend.aclose()


def _thread(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "thread_id": str(uuid.UUID(int=n)),
        "created_at": f"2026-01-01T00:00:{n:02d}+00:00",
        "updated_at": f"2026-01-01T00:00:{n:02d}+00:00",
        "metadata": {"n": n, "even": n % 2 == 0, "tags": ["a", f"t{n}"]},
        "status": "idle",
        "values": {"count": n, "nested": {"k": n % 3}},
        **extra,
    }


def _run(n: int, thread_id: str, status: str = "pending") -> dict[str, Any]:
    return {
        "run_id": str(uuid.UUID(int=1000 + n)),
        "thread_id": thread_id,
        "assistant_id": "a",
        "created_at": f"2026-01-01T00:01:{n:02d}+00:00",
        "updated_at": f"2026-01-01T00:01:{n:02d}+00:00",
        "status": status,
        "metadata": {},
        "kwargs": {"input": {"n": n}},
        "multitask_strategy": "reject",
    }


pytestmark = pytest.mark.asyncio


async def test_put_get_replace_and_copies(storage: Storage) -> None:
    record = _thread(1)
    await storage.put_thread(record)
    record["status"] = "changed after put"
    got = await storage.get_thread(record["thread_id"])
    assert got is not None
    assert got["status"] == "idle"
    got["status"] = "changed after get"
    again = await storage.get_thread(record["thread_id"])
    assert again == {**_thread(1)}
    await storage.put_thread({**_thread(1), "status": "busy"})
    replaced = await storage.get_thread(record["thread_id"])
    assert replaced is not None
    assert replaced["status"] == "busy"
    assert await storage.get_thread(str(uuid.UUID(int=99))) is None


async def test_filters_equals_metadata_values_ids(storage: Storage) -> None:
    for n in range(1, 7):
        await storage.put_thread(_thread(n, status="busy" if n > 4 else "idle"))

    async def ns(**kw: Any) -> list[int]:
        page = await storage.search_threads(Query(limit=100, **kw))
        return sorted(r["metadata"]["n"] for r in page.items)

    assert await ns(equals={"status": "busy"}) == [5, 6]
    assert await ns(metadata={"even": True}) == [2, 4, 6]
    assert await ns(metadata={"tags": ["t3"]}) == [3]
    assert await ns(metadata={"tags": ["a"], "even": False}) == [1, 3, 5]
    assert await ns(values={"nested": {"k": 0}}) == [3, 6]
    assert await ns(values={"nested": {"k": 0}, "count": 6}) == [6]
    assert await ns(metadata={"missing": 1}) == []
    ids = [str(uuid.UUID(int=2)), str(uuid.UUID(int=5)), str(uuid.UUID(int=77))]
    assert await ns(ids=ids) == [2, 5]
    assert await ns(ids=ids, equals={"status": "idle"}) == [2]
    # A key absent from a record equals None, as dict.get gives.
    assert await ns(equals={"error": None, "status": "busy"}) == [5, 6]


async def test_auth_filters_limit_pages_and_totals(storage: Storage) -> None:
    for n in range(1, 7):
        await storage.put_thread(_thread(n))

    async def search(auth: dict[str, Any]) -> tuple[list[int], int]:
        page = await storage.search_threads(Query(limit=2, auth=auth))
        return sorted(r["metadata"]["n"] for r in page.items), page.total

    # An auth handler's filter hides records from the page and from the count.
    assert await search({"even": True}) == ([4, 6], 3)
    assert await search({"even": {"$eq": False}, "n": 3}) == ([3], 1)
    assert await search({"tags": {"$contains": "t3"}}) == ([3], 1)
    assert (await search({"$or": [{"n": 1}, {"n": 2}]}))[1] == 2
    assert await search({"n": 99}) == ([], 0)


async def test_sort_limit_offset_and_total(storage: Storage) -> None:
    for n in (3, 1, 5, 2, 4):
        await storage.put_thread(_thread(n))
    page = await storage.search_threads(Query(limit=2, offset=1))
    assert [r["metadata"]["n"] for r in page.items] == [4, 3]
    assert page.total == 5
    asc = await storage.search_threads(Query(limit=10, sort_order="asc"))
    assert [r["metadata"]["n"] for r in asc.items] == [1, 2, 3, 4, 5]
    beyond = await storage.search_threads(Query(limit=10, offset=50))
    assert beyond.items == []
    assert beyond.total == 5
    none = await storage.search_threads(Query(metadata={"n": 42}))
    assert (none.items, none.total) == ([], 0)


async def test_sort_by_other_fields_with_missing_values_and_ties(
    storage: Storage,
) -> None:
    await storage.put_thread(_thread(1, rank="b"))
    await storage.put_thread(_thread(2, rank=None))
    await storage.put_thread(_thread(3, rank="a"))
    await storage.put_thread(_thread(4))  # no rank at all
    await storage.put_thread(_thread(5, rank="b"))

    async def order(direction: Any) -> list[int]:
        page = await storage.search_threads(
            Query(limit=10, sort_by="rank", sort_order=direction)
        )
        return [r["metadata"]["n"] for r in page.items]

    # Missing and null sort first ascending, last descending; ties keep
    # insertion order either way.
    assert await order("asc") == [2, 4, 3, 1, 5]
    assert await order("desc") == [1, 5, 3, 2, 4]


async def test_delete_thread_cascades_to_its_runs_only(storage: Storage) -> None:
    one, two = _thread(1), _thread(2)
    await storage.put_thread(one)
    await storage.put_thread(two)
    for n in range(3):
        await storage.put_run(_run(n, one["thread_id"]))
    await storage.put_run(_run(9, two["thread_id"], "success"))
    runs = await storage.search_runs(Query(equals={"thread_id": one["thread_id"]}))
    assert runs.total == 3
    assert await storage.delete_thread(one["thread_id"]) is True
    assert await storage.delete_thread(one["thread_id"]) is False
    assert await storage.get_run(_run(0, "")["run_id"]) is None
    left = await storage.search_runs(Query(limit=10))
    assert [r["run_id"] for r in left.items] == [_run(9, "")["run_id"]]
    assert await storage.delete_run(_run(9, "")["run_id"]) is True
    assert await storage.delete_run(_run(9, "")["run_id"]) is False


async def test_run_records_keep_status_and_search_by_it(storage: Storage) -> None:
    thread = _thread(1)
    await storage.put_thread(thread)
    run = _run(1, thread["thread_id"])
    await storage.put_run(run)
    run["status"] = "running"
    await storage.put_run(run)
    running = await storage.search_runs(Query(equals={"status": "running"}))
    assert [r["run_id"] for r in running.items] == [run["run_id"]]
    assert await storage.get_run(run["run_id"]) == run


async def test_assistants_and_versions(storage: Storage) -> None:
    base = {"assistant_id": "a1", "graph_id": "g", "name": "one", "metadata": {}}
    for version in (1, 2, 3):
        record = {
            **base,
            "version": version,
            "created_at": f"2026-01-0{version}T00:00:00+00:00",
            "metadata": {"v": version},
        }
        await storage.put_assistant_version(record)
    await storage.put_assistant({**base, "version": 3, "created_at": "x"})
    other = {**base, "assistant_id": "a2", "graph_id": "h", "created_at": "y"}
    await storage.put_assistant(other)
    found = await storage.search_assistants(Query(equals={"graph_id": "g"}))
    assert [r["assistant_id"] for r in found.items] == ["a1"]
    versions = await storage.assistant_versions("a1", Query(limit=2))
    assert [r["version"] for r in versions.items] == [3, 2]
    assert versions.total == 3
    only = await storage.assistant_versions("a1", Query(metadata={"v": 1}))
    assert [r["version"] for r in only.items] == [1]
    assert (await storage.assistant_versions("a2", Query())).total == 0
    assert await storage.delete_assistant("a1") is True
    assert await storage.get_assistant("a1") is None
    assert (await storage.assistant_versions("a1", Query())).total == 0
    assert await storage.delete_assistant("a1") is False
    assert await storage.get_assistant("a2") == other


async def test_crons(storage: Storage) -> None:
    cron = {
        "cron_id": "c1",
        "assistant_id": "a",
        "thread_id": None,
        "enabled": True,
        "created_at": "2026-01-01T00:00:00+00:00",
        "metadata": {"team": "x"},
    }
    await storage.put_cron(cron)
    await storage.put_cron({**cron, "cron_id": "c2", "enabled": False})
    enabled = await storage.search_crons(Query(equals={"enabled": True}))
    assert [c["cron_id"] for c in enabled.items] == ["c1"]
    assert (await storage.search_crons(Query(metadata={"team": "x"}))).total == 2
    assert await storage.get_cron("c1") == cron
    assert await storage.delete_cron("c1") is True
    assert await storage.get_cron("c1") is None
    assert await storage.delete_cron("c1") is False
