"""``RemoteGraph.stream_events(version="v3")`` against our server, end to end.

The server's ``/threads/{id}/commands`` and ``/threads/{id}/stream/events``
routes feed ``langgraph_sdk``'s thread streams; each test runs the same graph
locally and remotely, with the sync and the async handle, and compares.
"""

from __future__ import annotations

import asyncio
import operator
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, TypedDict

import httpx
import pytest
import uvicorn
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph_sdk import get_client, get_sync_client

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.config import get_stream_writer
from stategraph.graph import END, START, StateGraph
from stategraph.pregel.remote import RemoteGraph
from stategraph.server import create_app
from stategraph.server._broker import Frame
from stategraph.server._context import new_id
from stategraph.server._protocol import _batched
from stategraph.server._protocol_events import (
    SEQ_SPAN_BITS,
    EventFilter,
    RunTranslator,
    seq_base,
)
from stategraph.types import Command, interrupt


class State(TypedDict):
    items: Annotated[list[str], operator.add]


def _sub_node(state: State) -> dict[str, Any]:
    get_stream_writer()({"in_sub": 1})
    return {"items": ["sub"]}


def _first(state: State) -> dict[str, Any]:
    get_stream_writer()({"progress": 1})
    return {"items": ["a"]}


#: Threads whose ``ask`` node waits for the test before it interrupts.
_HELD: dict[str, threading.Event] = {}


def _ask_now(state: State) -> dict[str, Any]:
    return {"items": [interrupt("ask")]}


async def _ask_when_let(state: State, config: RunnableConfig) -> dict[str, Any]:
    # Waits off the event loop: the server's other requests go on meanwhile.
    held = _HELD.get(config["configurable"].get("thread_id", ""))
    if held is not None:
        loop = asyncio.get_running_loop()
        assert await loop.run_in_executor(None, held.wait, 30), "never let go"
    return _ask_now(state)


#: The same node for local (sync) runs and the server's (async) ones.
_ask = RunnableLambda(_ask_now, afunc=_ask_when_let, name="ask")


def _build(*, ask: bool) -> StateGraph[Any]:
    sub = StateGraph(State)
    sub.add_node("sub_node", _sub_node)
    sub.add_edge(START, "sub_node")
    builder = StateGraph(State)
    builder.add_node("a", _first)
    builder.add_node("sub", sub.compile())
    builder.add_edge(START, "a")
    builder.add_edge("a", "sub")
    if ask:
        builder.add_node("ask", _ask)
        builder.add_edge("sub", "ask")
        builder.add_edge("ask", END)
    else:
        builder.add_edge("sub", END)
    return builder


def _fail(state: State) -> dict[str, Any]:
    raise ValueError("boom")


def _boom() -> Any:
    builder = StateGraph(State)
    builder.add_node("fail", _fail)
    builder.add_edge(START, "fail")
    return builder.compile()


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    graphs = {
        "plain": _build(ask=False).compile(),
        "ask": _build(ask=True).compile(),
        "boom": _boom(),
    }
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(create_app(graphs), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive(), "the test server did not stop"


def _config() -> dict[str, Any]:
    return {"configurable": {"thread_id": str(uuid.uuid4())}}


Reader = Callable[[Any], Any]


def _remote(
    mode: str, url: str, graph: str, input: Any, config: Any, read: dict[str, str]
) -> dict[str, Any]:
    """Open one v3 run and read what ``read`` names (key -> how), sync or async.

    ``how`` is ``"list:<projection>"``, ``"output"``, ``"interrupted"``,
    ``"interrupts"`` or ``"subgraphs"`` (handles listed, then described once
    the run is over).
    """
    remote = RemoteGraph(graph, url=url)
    assert remote.sync_client is not None
    assert remote.client is not None
    if mode == "sync":
        try:
            with remote.stream_events(input, config, version="v3") as run:
                return {key: _read_sync(run, how) for key, how in read.items()}
        finally:
            remote.sync_client.http.client.close()

    async def main() -> dict[str, Any]:
        try:
            async with await remote.astream_events(input, config, version="v3") as run:
                return {key: await _read_async(run, how) for key, how in read.items()}
        finally:
            assert remote.client is not None
            await remote.client.http.client.aclose()

    return asyncio.run(main())


def _describe(handles: list[Any]) -> list[tuple[str, str, str]]:
    return [(h.graph_name, h.status, h.path[0].partition(":")[0]) for h in handles]


def _asked(event: dict[str, Any]) -> dict[str, Any]:
    params = event["params"]
    return {**params["data"], "namespace": params["namespace"]}


def _read_sync(run: Any, how: str) -> Any:
    if how.startswith("list:"):
        return list(run.extensions[how[5:]])
    if how == "asked":
        for event in run:
            if event["method"] == "input.requested":
                return _asked(event)
        return run.interrupts[0]
    if how == "subgraphs":
        handles = list(run.subgraphs)
        run.output  # noqa: B018 - waits for the run, so handle statuses are final
        return _describe(handles)
    value = getattr(run, how)
    return list(value) if how == "interrupts" else value


async def _read_async(run: Any, how: str) -> Any:
    if how.startswith("list:"):
        return [item async for item in run.extensions[how[5:]]]
    if how == "asked":
        async for event in run:
            if event["method"] == "input.requested":
                return _asked(event)
        return (await run.interrupts())[0]
    if how == "subgraphs":
        handles = [handle async for handle in run.subgraphs]
        await run.output()
        return _describe(handles)
    return await getattr(run, how)()


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
def test_values_and_output_match_the_local_run(mode: str, url: str) -> None:
    local = _build(ask=False).compile()
    with local.stream_events({"items": []}, version="v3") as run:
        local_values = list(run.values)
        local_output = run.output
    with local.stream_events({"items": []}, version="v3") as run:
        raw = [e["params"]["data"] for e in run if e["method"] == "values"]
    got = _remote(
        mode, url, "plain", {"items": []}, _config(),
        {"values": "list:values", "output": "output"},
    )  # fmt: skip
    assert got["output"] == local_output == {"items": ["a", "a", "sub"]}
    # The SDK opens with the thread's state at subscription time, then
    # follows the ``values`` channel: every item is a snapshot the local run's
    # raw events had, the subgraph's included (the SDK's projection reads
    # every namespace, against LangGraph's server as here).
    assert got["values"][-1] == local_values[-1]
    assert all(value in raw for value in got["values"])
    assert {"items": ["a", "sub"]} in got["values"]
    assert {"items": ["a", "sub"]} not in local_values


@MODES
def test_updates_and_custom_carry_every_namespace_in_order(mode: str, url: str) -> None:
    local = _build(ask=False).compile()
    updates = [
        u for _, u in local.stream({"items": []}, stream_mode="updates", subgraphs=True)
    ]
    custom = [
        c for _, c in local.stream({"items": []}, stream_mode="custom", subgraphs=True)
    ]
    # One projection per run: the SDK ends a projection opened after the
    # run's terminal event only when another run ends.
    got = {
        name: _remote(
            mode, url, "plain", {"items": []}, _config(), {name: f"list:{name}"}
        )[name]
        for name in ("updates", "custom")
    }
    assert got["updates"] == updates
    assert got["custom"] == custom == [{"progress": 1}, {"in_sub": 1}]


@MODES
def test_subgraph_handles_match_the_local_run(mode: str, url: str) -> None:
    local = _build(ask=False).compile()
    with local.stream_events({"items": []}, version="v3") as run:
        handles = list(run.subgraphs)
        run.output  # noqa: B018 - finishes the run
        local_subgraphs = [
            (h.graph_name, h.status, h.path[0].partition(":")[0]) for h in handles
        ]
    got = _remote(mode, url, "plain", {"items": []}, _config(), {"s": "subgraphs"})
    assert got["s"] == local_subgraphs == [("sub", "completed", "sub")]


@MODES
def test_interrupt_then_resume_with_a_command(mode: str, url: str) -> None:
    local = _build(ask=True).compile(checkpointer=InMemorySaver())
    local_config = _config()
    with local.stream_events({"items": []}, local_config, version="v3") as run:
        list(run.values)
        local_asked = [item.value for item in run.interrupts]
    with local.stream_events(Command(resume="yes"), local_config, version="v3") as run:
        local_output = run.output
    config = _config()
    # The raw events replay from the run's start; they end early only once the
    # SDK's lifecycle watcher has recorded the interrupt in ``run.interrupts``.
    # (A projection opened after that watcher saw the interrupt would wait for
    # the next run: the SDK wakes only the projections open at that moment.)
    asked = _remote(mode, url, "ask", {"items": []}, config, {"a": "asked"})["a"]
    assert asked["value"] == local_asked[0] == "ask"
    assert asked["namespace"] == []
    resumed = _remote(
        mode, url, "ask", Command(resume="yes"), config, {"output": "output"}
    )
    assert resumed["output"] == local_output == {"items": ["a", "a", "sub", "yes"]}


@MODES
def test_input_respond_resumes_the_interrupt_by_id(mode: str, url: str) -> None:
    config = _config()
    thread_id = config["configurable"]["thread_id"]
    asked = _remote(mode, url, "ask", {"items": []}, config, {"a": "asked"})["a"]
    params = {"interrupt_id": asked["interrupt_id"], "response": "yes"}
    body = {"id": 1, "method": "input.respond", "params": params}
    reply = httpx.post(f"{url}/threads/{thread_id}/commands", json=body).json()
    assert reply["type"] == "success"
    run_id = reply["result"]["run_id"]
    joined = httpx.get(f"{url}/threads/{thread_id}/runs/{run_id}/join").json()
    assert joined == {"items": ["a", "a", "sub", "yes"]}


@MODES
def test_a_failed_run_fails_output_with_the_error(mode: str, url: str) -> None:
    with pytest.raises(RuntimeError, match="Run errored: boom"):
        _remote(mode, url, "boom", {"items": []}, _config(), {"output": "output"})


def test_unknown_commands_get_an_error_envelope(url: str) -> None:
    thread_id = str(uuid.uuid4())
    body = {"id": 7, "method": "agent.dance", "params": {}}
    reply = httpx.post(f"{url}/threads/{thread_id}/commands", json=body).json()
    assert reply["type"] == "error"
    assert reply["id"] == 7
    assert reply["error"] == "unknown_command"
    missing = {"id": 8, "method": "run.start", "params": {}}
    reply = httpx.post(f"{url}/threads/{thread_id}/commands", json=missing).json()
    assert (reply["type"], reply["error"]) == ("error", "invalid_argument")


def test_served_openapi_documents_the_protocol_routes(url: str) -> None:
    paths = httpx.get(f"{url}/openapi.json").json()["paths"]
    assert "post" in paths["/threads/{thread_id}/commands"]
    assert "post" in paths["/threads/{thread_id}/stream/events"]


def _event(method: str, namespace: list[str], data: Any = None) -> dict[str, Any]:
    return {"method": method, "params": {"namespace": namespace, "data": data}}


def test_event_filter_channels_namespaces_and_depth() -> None:
    everything = EventFilter(frozenset({"values", "custom", "input"}))
    assert everything.matches(_event("values", ["a:1"]))
    assert everything.matches(_event("custom", [], {"name": "progress"}))
    assert everything.matches(_event("input.requested", []))
    assert not everything.matches(_event("updates", []))
    # ``custom:<name>`` keeps the custom events of that name only.
    named = EventFilter(frozenset({"custom:progress"}))
    assert named.matches(_event("custom", [], {"name": "progress"}))
    assert not named.matches(_event("custom", [], {"name": "other"}))
    assert not named.matches(_event("custom", [], [1, 2]))
    root_only = EventFilter(frozenset({"values"}), [[]], 0)
    assert root_only.matches(_event("values", []))
    assert not root_only.matches(_event("values", ["a:1"]))
    under_a = EventFilter(frozenset({"values"}), [["a:1"]], 1)
    assert under_a.matches(_event("values", ["a:1", "b:2"]))
    assert not under_a.matches(_event("values", ["a:1", "b:2", "c:3"]))
    assert not under_a.matches(_event("values", ["z:9"]))


def test_seqs_order_runs_by_creation_without_a_shared_counter() -> None:
    def v7(millis: int) -> str:
        return str(uuid.UUID(int=millis << 80 | 7 << 76 | 2 << 62))

    # A run created a millisecond later numbers all its events after the
    # earlier run's first 8,192.
    now = 1_764_000_000_000
    assert seq_base(v7(now + 1)) - seq_base(v7(now)) == 1 << SEQ_SPAN_BITS
    # Server ids (UUIDv6) read on the same clock; JavaScript keeps them exact.
    assert abs(seq_base(new_id()) - seq_base(v7(int(time.time() * 1000)))) < 1 << 24
    assert seq_base(new_id()) + (1 << SEQ_SPAN_BITS) < 2**53
    assert seq_base(str(uuid.uuid4())) == 0


def test_translation_is_the_same_for_every_reader() -> None:
    frames = [
        Frame(0, "metadata", b'{"run_id": "r"}'),
        Frame(1, "values", b'{"items": []}'),
        Frame(2, "custom|sub:1", b'{"n": 1}'),
        Frame(3, "updates", b'{"__interrupt__": [{"id": "i1", "value": "ask"}]}'),
        # A REST run's ``messages-tuple`` frame has no protocol event.
        Frame(4, "messages", b'[{"content": "hi"}, {}]'),
    ]

    def read() -> list[dict[str, Any]]:
        translator = RunTranslator("r", 100, "g")
        events = [*translator.start()]
        for frame in frames:
            events.extend(translator.translate(frame))
        return [*events, *translator.finish()]

    one, two = read(), read()
    strip = [{k: v for k, v in e.items() if k != "params"} for e in one]
    assert strip == [{k: v for k, v in e.items() if k != "params"} for e in two]
    assert [e["seq"] for e in one] == list(range(101, 101 + len(one)))
    assert [e["event_id"] for e in one][:2] == ["r.1", "r.2"]
    methods = [(e["method"], e["params"]["namespace"]) for e in one]
    assert methods == [
        ("lifecycle", []),
        ("values", []),
        ("lifecycle", ["sub:1"]),
        ("custom", ["sub:1"]),
        ("input.requested", []),
        ("lifecycle", ["sub:1"]),
        ("lifecycle", []),
    ]
    # The interrupt was asked at the root: the subgraph completed, the run paused.
    ends = [e["params"]["data"]["event"] for e in one[-2:]]
    assert ends == ["completed", "interrupted"]


@MODES
def test_one_session_answers_its_interrupt_and_reads_the_resumed_run(
    mode: str, url: str
) -> None:
    # The SDK's streams stay open across the two runs: each connection
    # follows the thread, translating the resumed run when it starts. The
    # SDK ends ``values`` iterators when another connection sees the
    # interrupt, but only those already iterating: the interrupt waits until
    # the iteration began (its first item is the thread's state).
    if mode == "sync":
        client = get_sync_client(url=url, api_key=None)
        try:
            with client.threads.stream(assistant_id="ask") as thread:
                held = _HELD[thread.thread_id] = threading.Event()
                thread.run.start(input={"items": []})
                values = iter(thread.values)
                seen = [next(values)]
                held.set()
                seen += values
                asked = [item["value"] for item in thread.interrupts]
                thread.run.respond("yes")
                output = thread.output
        finally:
            client.http.client.close()
    else:

        async def main() -> tuple[list[Any], list[Any], Any]:
            aclient = get_client(url=url, api_key=None)
            try:
                async with aclient.threads.stream(assistant_id="ask") as thread:
                    held = _HELD[thread.thread_id] = threading.Event()
                    await thread.run.start(input={"items": []})
                    values = aiter(thread.values)
                    found = [await anext(values)]
                    held.set()
                    found += [value async for value in values]
                    questions = [item["value"] for item in thread.interrupts]
                    await thread.run.respond("yes")
                    return found, questions, await thread.output
            finally:
                await aclient.http.client.aclose()

        seen, asked, output = asyncio.run(main())
    assert asked == ["ask"]
    # ``values`` ends when the interrupt is seen (on another connection, so
    # maybe before the last snapshot): each item is a state of the first run,
    # its subgraph's (``["a", "sub"]``) included.
    first_run = [[], ["a"], ["a", "sub"], ["a", "a"], ["a", "a", "sub"]]
    assert seen
    assert all(value.get("items", []) in first_run for value in seen)
    assert output == {"items": ["a", "a", "sub", "yes"]}


def test_sse_batches_join_ready_frames_and_raise_the_sources_error() -> None:
    async def main() -> list[bytes]:
        gate = asyncio.Event()

        async def source() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"
            await gate.wait()
            yield b"c"
            raise ValueError("boom")

        chunks: list[bytes] = []

        async def read() -> None:
            async for chunk in _batched(source()):
                chunks.append(chunk)
                gate.set()

        with pytest.raises(ValueError, match=r"^boom$"):
            await read()
        return chunks

    # What was ready together goes out together; the rest follows.
    assert asyncio.run(main()) == [b"ab", b"c"]


@MODES
def test_each_run_on_a_thread_outputs_its_own_state(mode: str, url: str) -> None:
    # The SDK's lifecycle watcher must read the run just started, not replay
    # the thread's previous (completed) run: that race made ``output``
    # return the previous run's state in some sessions (2 of 15 measured).
    config = _config()
    sizes = [
        len(
            _remote(mode, url, "plain", {"items": []}, config, {"o": "output"})["o"][
                "items"
            ]
        )
        for _ in range(6)
    ]
    local = _build(ask=False).compile(checkpointer=InMemorySaver())
    local_config = _config()
    expected = [
        len(local.invoke({"items": []}, local_config)["items"]) for _ in range(6)
    ]
    assert sizes == expected == [3, 9, 21, 45, 93, 189]
