"""The server's streams through ``RedisBroker``, on one server and across two.

The first tests are the streaming tests of the in-memory server, collected
again here with a server whose broker is Redis. The two-server tests share
storage and checkpoints (as the processes of ``stategraph serve`` share
PostgreSQL) but not memory: frames, joins and cancels cross through Redis.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _redis_support import delete_prefix, new_prefix, require_redis
from _server_graphs import agent, make_who_graph, memo, talker
from langgraph_sdk import get_client
from test_server_runs import (
    test_cancel_running_and_pending as test_cancel_running_and_pending,
    test_interrupt_strategy_cancels_the_running_run as test_interrupt_strategy_cancels_the_running_run,  # noqa: E501
    test_join_returns_final_values as test_join_returns_final_values,
)
from test_server_streaming import (
    test_chat_model_tokens_stream_as_deltas as test_chat_model_tokens_stream_as_deltas,
    test_resumable_stream_replays_on_join as test_resumable_stream_replays_on_join,
    test_stream_modes_with_subgraphs as test_stream_modes_with_subgraphs,
)
from test_server_thread_stream import (
    test_lifecycle_and_state_updates as test_lifecycle_and_state_updates,
    test_sdk_join_stream_follows_a_run as test_sdk_join_stream_follows_a_run,
)

from conftest import HI, serve
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.server import create_app
from stategraph.server._redis_broker import RedisBroker
from stategraph.server._storage import InMemoryStorage

pytestmark = pytest.mark.asyncio

GRAPHS = {"agent": agent, "who": make_who_graph, "talk": talker, "memo": memo}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """The shared tests' server, streaming through Redis."""
    redis_url = require_redis()
    prefix = new_prefix()
    try:
        broker = RedisBroker(redis_url, prefix=prefix)
        yield from serve(create_app(GRAPHS, broker=broker))
    finally:
        delete_prefix(prefix)


@pytest.fixture
def pair() -> Iterator[tuple[str, str]]:
    """Two servers on one storage and one Redis prefix, as two API processes."""
    redis_url = require_redis()
    prefix = new_prefix()
    storage, saver = InMemoryStorage(), InMemorySaver()

    def app() -> Any:
        broker = RedisBroker(redis_url, prefix=prefix)
        return create_app(GRAPHS, storage=storage, checkpointer=saver, broker=broker)

    try:
        first, second = serve(app()), serve(app())
        try:
            yield next(first), next(second)
        finally:
            first.close()
            second.close()
    finally:
        delete_prefix(prefix)


async def test_a_run_on_one_server_streams_from_the_other(
    pair: tuple[str, str], gate: tuple[str, Any]
) -> None:
    name, held = gate
    one = get_client(url=pair[0], api_key=None)
    two = get_client(url=pair[1], api_key=None)
    try:
        tid = (await one.threads.create())["thread_id"]
        run = await one.runs.create(
            tid,
            "agent",
            input={**HI, "gate": name},
            stream_mode=["values", "updates"],
            stream_resumable=True,
        )
        live = []
        async for part in two.runs.join_stream(tid, run["run_id"], last_event_id="-1"):
            if not live:  # following it on the second server: let it go on
                held.release()
            live.append((part.event, part.data, part.id))
        replay = [
            (p.event, p.data, p.id)
            async for p in two.runs.join_stream(tid, run["run_id"], last_event_id="1")
        ]
        values = await two.runs.join(tid, run["run_id"])
    finally:
        await one.http.client.aclose()
        await two.http.client.aclose()
    assert live[0][0] == "metadata"
    assert live[0][1]["run_id"] == run["run_id"]
    assert [p[2] for p in live] == [str(i) for i in range(len(live))]
    assert "updates" in [p[0] for p in live]
    assert replay == live[2:]
    assert values["log"] == ["chat"]


async def test_cancel_on_one_server_stops_a_run_on_the_other(
    pair: tuple[str, str], gate: tuple[str, Any]
) -> None:
    name, held = gate
    one = get_client(url=pair[0], api_key=None)
    two = get_client(url=pair[1], api_key=None)
    try:
        tid = (await one.threads.create())["thread_id"]
        run = await one.runs.create(tid, "agent", input={**HI, "gate": name})
        assert held.entered.wait(30)
        await two.runs.cancel(tid, run["run_id"], wait=True)
        status = (await one.runs.get(tid, run["run_id"]))["status"]
        state = await two.threads.get_state(tid)
    finally:
        await one.http.client.aclose()
        await two.http.client.aclose()
    assert status == "interrupted"
    assert state["next"] == ["hold"]
