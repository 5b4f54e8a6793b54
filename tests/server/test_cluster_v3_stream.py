"""The v3 protocol across API processes of ``stategraph serve`` clusters.

A run started by a ``run.start`` sent to one supervisor is read through
``/stream/events`` of another: each connection translates the run streams
the broker holds (PostgreSQL's, or Redis), so both read the very same events (seqs and
event ids included), and a stream opened before the run follows it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _cluster_support import GRAPH, Supervisors
from _redis_support import delete_prefix, new_prefix, require_redis


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


def _events(
    url: str,
    thread_id: str,
    channels: list[str],
    connected: threading.Event | None = None,
) -> list[dict[str, Any]]:
    """The thread's events until its run's root ``completed`` event."""
    body = {"channels": channels}
    found: list[dict[str, Any]] = []
    with (
        httpx.Client(base_url=url, timeout=60) as client,
        client.stream("POST", f"/threads/{thread_id}/stream/events", json=body) as got,
    ):
        if connected is not None:
            connected.set()
        for line in got.iter_lines():
            if not line.startswith("data: "):
                continue
            event = json.loads(line[6:])
            found.append(event)
            params = event["params"]
            if not params["namespace"] and params["data"].get("event") == "completed":
                return found
    raise AssertionError(f"{url} ended the stream before the run did: {found}")


def _start(url: str, thread_id: str) -> dict[str, Any]:
    command = {
        "id": 1,
        "method": "run.start",
        "params": {"assistant_id": "g", "input": {"log": ["in"]}},
    }
    reply = httpx.post(f"{url}/threads/{thread_id}/commands", json=command, timeout=60)
    body: dict[str, Any] = reply.json()
    assert body["type"] == "success", body
    return body


@pytest.fixture(params=["postgres", "redis"])
def broker_args(request: pytest.FixtureRequest) -> Iterator[tuple[str, ...]]:
    """``serve`` arguments of the broker: PostgreSQL's own, or Redis."""
    if request.param == "postgres":
        yield ()
        return
    url, prefix = require_redis(), new_prefix()
    try:
        yield ("--redis-uri", url, "--redis-prefix", prefix)
    finally:
        delete_prefix(prefix)


def test_a_run_started_on_one_supervisor_streams_from_another(
    setup: Supervisors, broker_args: tuple[str, ...]
) -> None:
    first = setup.start(workers=1, extra=broker_args)
    second = setup.start(extra=broker_args)
    setup.client(first.url)
    setup.client(second.url)
    thread_id = str(uuid.uuid4())
    channels = ["lifecycle", "values", "updates"]
    # A reader of the second supervisor connected before the run exists.
    early: list[list[dict[str, Any]]] = []
    connected = threading.Event()
    reader = threading.Thread(
        target=lambda: early.append(_events(second.url, thread_id, channels, connected))
    )
    # The thread is made by the command; a stream may precede it.
    reader.start()
    assert connected.wait(timeout=60)
    reply = _start(first.url, thread_id)
    reader.join(timeout=60)
    assert not reader.is_alive(), "the early reader never saw the run end"
    late_first = _events(first.url, thread_id, channels)
    late_second = _events(second.url, thread_id, channels)

    def ids(events: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
        return [(e["event_id"], e["seq"], e["method"]) for e in events]

    assert ids(late_first) == ids(late_second) == ids(early[0])
    values = [e["params"]["data"] for e in late_second if e["method"] == "values"]
    assert values[-1] == {"log": ["in", "step"]}
    assert all(e["seq"] > reply["meta"]["applied_through_seq"] for e in late_second)
