"""The broker conformance suite on ``PostgresBroker``, plus what differs there.

The shared tests come from ``test_broker_conformance`` and run here against
brokers on a fresh PostgreSQL schema. One is replaced: cancel requests are
marked on the run's row for the PostgreSQL run queue's workers instead of a
handler. Watchers in other processes are counted (``test_cluster_watch``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool
from test_broker_conformance import (
    MakeBroker,
    test_a_handle_from_get_numbers_after_the_last_frame,
    test_ids_only_for_resumable_runs,
    test_live_frames_reach_a_reader_one_by_one,
    test_modes_filter_keeps_metadata_and_errors,
    test_new_frames_only_and_heartbeats,
    test_reopening_a_run_starts_a_fresh_stream,
    test_replay_from_start_and_from_an_id,
    test_thread_events_reach_watchers,
    test_unknown_discarded_and_expired_streams,
    test_wait_done_and_result,
)

from stategraph.server._broker import Broker
from stategraph.server._pg_broker import PostgresBroker
from stategraph.server._storage.postgres import CONNECT_KWARGS, PostgresStorage

__all__ = (
    "test_a_handle_from_get_numbers_after_the_last_frame",
    "test_ids_only_for_resumable_runs",
    "test_live_frames_reach_a_reader_one_by_one",
    "test_modes_filter_keeps_metadata_and_errors",
    "test_new_frames_only_and_heartbeats",
    "test_reopening_a_run_starts_a_fresh_stream",
    "test_replay_from_start_and_from_an_id",
    "test_thread_events_reach_watchers",
    "test_unknown_discarded_and_expired_streams",
    "test_wait_done_and_result",
)

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def storage(schemas: Callable[[], str]) -> AsyncIterator[PostgresStorage]:
    conninfo = schemas()
    schema = conninfo_to_dict(conninfo)["options"].split("=")[-1]
    async with AsyncConnectionPool(
        conninfo, kwargs=CONNECT_KWARGS, min_size=1, max_size=8, open=False
    ) as pool:
        made = PostgresStorage(pool, schema=schema)
        await made.setup()
        yield made


@pytest_asyncio.fixture
async def make_broker(storage: PostgresStorage) -> AsyncIterator[MakeBroker]:
    """Brokers on one schema, as the processes of one server."""
    made: list[PostgresBroker] = []

    def make(**kwargs: Any) -> Broker:
        broker = PostgresBroker(storage, **kwargs)
        made.append(broker)
        return broker

    try:
        yield make
    finally:
        for broker in made:
            await broker.aclose()


@pytest_asyncio.fixture
async def broker(make_broker: MakeBroker) -> AsyncIterator[Broker]:
    made = make_broker()
    assert isinstance(made, PostgresBroker)
    await made.start()
    yield made


async def _started(make_broker: MakeBroker) -> PostgresBroker:
    made = make_broker()
    assert isinstance(made, PostgresBroker)
    await made.start()
    return made


async def test_streams_and_thread_events_cross_brokers(
    make_broker: MakeBroker,
) -> None:
    api, worker = await _started(make_broker), await _started(make_broker)
    watch = await api.watch("t1")
    await api.open("r1", resumable=True, thread_id="t1")
    async with asyncio.timeout(10):
        assert await watch.next(5.0) == ("run", "r1")
    stream = await worker.get("r1")
    assert stream is not None
    reader = await api.get("r1")
    assert reader is not None
    frames = reader.subscribe(heartbeat=5.0)
    stream.publish("values", b"1")
    async with asyncio.timeout(10):
        first = await anext(frames)
        assert first is not None
        assert (first.seq, first.data) == (0, b"1")
        await worker.notify("t1", ("state", {"values": {"a": 1}}))
        assert await watch.next(5.0) == ("state", {"values": {"a": 1}})
        await worker.close("r1", b'{"a": 1}')
        assert [f async for f in frames] == []
    assert await reader.result() == b'{"a": 1}'
    assert await worker.watched("t1")  # the api process's watcher counts
    watch.close()
    assert not await worker.watched("t2")


async def test_cancel_requests_mark_the_run_row(
    storage: PostgresStorage, broker: Broker
) -> None:
    run_id = str(uuid.uuid4())
    await storage.put_run(
        {
            "run_id": run_id,
            "thread_id": "t",
            "created_at": "2026-01-01T00:00:00+00:00",
            "status": "running",
        }
    )
    assert await broker.cancel_requested(run_id) is None
    await broker.request_cancel(run_id, "rollback")
    assert await broker.cancel_requested(run_id) == "rollback"
    await broker.request_cancel(run_id, "interrupt")  # the first request holds
    assert await broker.cancel_requested(run_id) == "rollback"
