"""Resuming v3 protocol streams: ``since``, ``subscription.reconnect``, gaps.

A reader that gives ``since`` gets every later event of the thread's runs the
server still keeps, across runs; when the run ``since`` falls within or a
later one is gone (its frames expired), it gets LangGraph's server's
``resume_gap`` error (with ``since`` and ``min_available_seq``) instead of a
stream with a hole. The channel also carries subgraphs' ``values``, as the
local run's raw events do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from test_server_v3_stream import _build
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from conftest import serve
from stategraph.server import create_app
from stategraph.server._broker import InMemoryBroker
from stategraph.server._protocol_events import seq_base

Event = dict[str, Any]


class _ForgetfulBroker(InMemoryBroker):
    """A broker whose run streams a test can expire at once."""

    def forget(self, run_id: str) -> None:
        self._streams.pop(run_id, None)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, _ForgetfulBroker]]:
    broker = _ForgetfulBroker()
    app = create_app({"plain": _build(ask=False).compile()}, broker=broker)
    for url in serve(app):
        yield url, broker


@pytest.fixture
def client(served: tuple[str, _ForgetfulBroker]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served[0], timeout=30) as http:
        yield http


def _run(client: httpx.Client, thread_id: str) -> str:
    """Start a protocol run on the thread and wait for its end; its id."""
    params = {"assistant_id": "plain", "input": {"items": []}}
    command = {"id": 1, "method": "run.start", "params": params}
    reply = client.post(f"/threads/{thread_id}/commands", json=command).json()
    run_id: str = reply["result"]["run_id"]
    client.get(f"/threads/{thread_id}/runs/{run_id}/join").raise_for_status()
    return run_id


def _ended(run_id: str) -> Callable[[Event], bool]:
    def check(event: Event) -> bool:
        return (
            event.get("method") == "lifecycle"
            and event["event_id"].startswith(run_id)
            and event["params"]["namespace"] == []
            and event["params"]["data"]["event"] == "completed"
        )

    return check


def _sse(
    client: httpx.Client, thread_id: str, body: dict[str, Any], until: Any
) -> list[Event]:
    """The stream's messages, up to the one ``until`` accepts or its end."""
    found: list[Event] = []
    url = f"/threads/{thread_id}/stream/events"
    with client.stream("POST", url, json=body) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            found.append(json.loads(line[6:]))
            if until(found[-1]):
                break
    return found


def _run_of(event: Event) -> str:
    run_id: str = event["event_id"].rpartition(".")[0]
    return run_id


def test_sse_since_resumes_across_runs_and_reports_a_gap(
    client: httpx.Client, served: tuple[str, _ForgetfulBroker]
) -> None:
    broker = served[1]
    thread_id = str(uuid.uuid4())
    first, second, third = (_run(client, thread_id) for _ in range(3))
    body: dict[str, Any] = {"channels": ["lifecycle", "values"]}
    since = seq_base(first) + 1  # the first run's ``running`` was seen
    events = _sse(client, thread_id, {**body, "since": since}, _ended(third))
    assert all(e["seq"] > since for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    runs = [_run_of(e) for e in events]
    assert runs[0] == first
    assert runs.index(second) < runs.index(third)
    # Subgraph snapshots ride the ``values`` channel, as the local run's
    # raw events carry them.
    with _build(ask=False).compile().stream_events({"items": []}, version="v3") as run:
        local = [
            (len(e["params"]["namespace"]), e["params"]["data"])
            for e in run
            if e["method"] == "values"
        ]
    remote = [
        (len(e["params"]["namespace"]), e["params"]["data"])
        for e in events
        if e["method"] == "values" and _run_of(e) == first
    ]
    assert remote == local
    assert (1, {"items": ["a", "sub"]}) in remote

    broker.forget(second)
    # The second run began after ``since`` and is gone: a gap, from the third.
    events = _sse(client, thread_id, {**body, "since": since}, lambda e: False)
    assert events == [
        {
            "type": "error",
            "id": None,
            "error": "resume_gap",
            "message": f"resume gap: since={since} is older than "
            f"min_available_seq={seq_base(third) + 1}",
            "since": since,
            "min_available_seq": seq_base(third) + 1,
        }
    ]
    # ``since`` within the forgotten run: its later events are gone too.
    within = seq_base(second) + 3
    (gap,) = _sse(client, thread_id, {**body, "since": within}, lambda e: False)
    assert (gap["error"], gap["since"]) == ("resume_gap", within)
    assert gap["min_available_seq"] == seq_base(third) + 1
    # From within the first run (still kept) the second one is missing too.
    (gap,) = _sse(client, thread_id, {**body, "since": since}, lambda e: False)
    assert gap["min_available_seq"] == seq_base(third) + 1
    # From the third run's start, nothing is missing.
    start = seq_base(third)
    events = _sse(client, thread_id, {**body, "since": start}, _ended(third))
    assert events[0]["seq"] == start + 1
    assert {_run_of(e) for e in events} == {third}

    broker.forget(third)
    # Nothing after ``since`` is kept: only runs yet to come can be read,
    # whether ``since`` falls within the latest run or before it.
    for after in (seq_base(third) + 2, within):
        (gap,) = _sse(client, thread_id, {**body, "since": after}, lambda e: False)
        assert gap["error"] == "resume_gap"
        assert gap["min_available_seq"] > seq_base(third) + 1


def _socket(url: str, thread_id: str) -> ClientConnection:
    return connect(url.replace("http", "ws") + f"/threads/{thread_id}/stream/events")


def _send(socket: ClientConnection, command_id: int, method: str, **rest: Any) -> None:
    socket.send(json.dumps({"id": command_id, "method": method, "params": rest}))


def _recv(socket: ClientConnection) -> Event:
    found: Event = json.loads(socket.recv(timeout=30))
    return found


def test_websocket_reconnect_replays_from_since_or_reports_the_gap(
    client: httpx.Client, served: tuple[str, _ForgetfulBroker]
) -> None:
    url, broker = served
    thread_id = str(uuid.uuid4())
    first, second = _run(client, thread_id), _run(client, thread_id)
    root = {"channels": ["lifecycle"], "namespaces": [[]], "depth": 0}
    with _socket(url, thread_id) as socket:
        # A socket follows the thread's latest run from the start: this
        # subscription gets the second run's events again.
        _send(socket, 1, "subscription.subscribe", **root)
        # How many were read before the subscription is a race here.
        assert _recv(socket)["result"]["subscription_id"] == "sub-1"
        replayed = [_recv(socket), _recv(socket)]
        assert [_run_of(e) for e in replayed] == [second, second]
        _send(socket, 2, "subscription.reconnect", **root)
        refused = _recv(socket)
        assert (refused["id"], refused["error"]) == (2, "invalid_argument")
        since = seq_base(first) + 1
        _send(
            socket, 3, "subscription.reconnect",
            **root, since=since, subscription_id="mine",
        )  # fmt: skip
        reply = _recv(socket)
        assert (reply["type"], reply["id"]) == ("success", 3)
        # The reader rewinds to ``since``: the first run's end, then the
        # second run once more for ``mine`` only (``sub-1`` had it), once.
        # The answer waits for the reader to be back: it counts them all.
        assert reply["result"] == {"subscription_id": "mine", "replayed_events": 3}
        events = [_recv(socket) for _ in range(3)]
        seen = [(_run_of(e), e["params"]["data"]["event"]) for e in events]
        assert seen == [
            (first, "completed"),
            (second, "running"),
            (second, "completed"),
        ]
        broker.forget(first)
        _send(socket, 4, "subscription.reconnect", **root, since=seq_base(first))
        gap = _recv(socket)
        assert (gap["id"], gap["error"]) == (4, "resume_gap")
        assert gap["min_available_seq"] == seq_base(second) + 1
        # The socket stays open for its other subscriptions.
        _send(socket, 5, "subscription.unsubscribe", subscription_id="mine")
        assert _recv(socket)["type"] == "success"
    with _socket(url, thread_id) as socket:
        # The Python SDK resumes a socket with a ``since`` subscription and
        # ignores the answer: a gap closes the socket, which it does not retry.
        _send(socket, 1, "subscription.subscribe", **root, since=seq_base(first))
        assert _recv(socket)["error"] == "resume_gap"
        with pytest.raises(ConnectionClosed) as closed:
            _recv(socket)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4410


def test_websocket_subscriptions_count_the_events_they_get_again(
    client: httpx.Client, served: tuple[str, _ForgetfulBroker]
) -> None:
    url = served[0]
    thread_id = str(uuid.uuid4())
    _run(client, thread_id)
    run_id = _run(client, thread_id)
    root = {"channels": ["lifecycle"], "namespaces": [[]], "depth": 0}
    wide: dict[str, Any] = {"channels": ["lifecycle", "values"]}
    start = seq_base(run_id)
    # What the socket replays, as a fresh SSE reader of the run gets it.
    read = _sse(client, thread_id, {**wide, "since": start}, _ended(run_id))
    everything = [e["event_id"] for e in read]
    with _socket(url, thread_id) as socket:
        _send(socket, 1, "subscription.subscribe", **root)
        _recv(socket)
        # Once the run's end came, the socket has read all of the run.
        while not _ended(run_id)(_recv(socket)):
            pass
        _send(socket, 2, "subscription.subscribe", **wide)
        reply = _recv(socket)
        assert reply["result"] == {
            "subscription_id": "sub-2",
            "replayed_events": len(everything),
        }
        assert [_recv(socket)["event_id"] for _ in everything] == everything
        # From the kept events, after ``since``: no rewind, the same count.
        since = read[2]["seq"]
        _send(socket, 3, "subscription.reconnect", **wide, since=since)
        reply = _recv(socket)
        assert reply["result"]["replayed_events"] == len(everything) - 3
        assert [_recv(socket)["event_id"] for _ in read[3:]] == everything[3:]
        # Past everything read: nothing to replay.
        last = read[-1]["seq"]
        _send(socket, 4, "subscription.reconnect", **wide, since=last)
        assert _recv(socket)["result"] == {
            "subscription_id": "sub-4",
            "replayed_events": 0,
        }
        _send(socket, 5, "subscription.unsubscribe", subscription_id="sub-4")
        assert _recv(socket)["type"] == "success"
