"""``RemoteGraph`` against our server, alone and as a node of a local graph.

Every test runs with LangGraph's ``RemoteGraph`` and with ours. Each embeds
the remote graph in a local graph of its own library, because each raises its
own library's ``GraphInterrupt``. The last tests compare the two directly:
same calls, same normalised answers.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from _server_graphs import AgentState

from conftest import HI, Api

pytestmark = pytest.mark.asyncio


@dataclass
class Lib:
    """One library's ``RemoteGraph`` and what a local graph needs from it."""

    name: str

    def module(self, path: str) -> Any:
        return importlib.import_module(f"{self.name}.{path}")

    def local(self, remote: Any, *, after: bool = False) -> Any:
        """A local graph whose node ``remote`` is the remote graph."""
        graph = self.module("graph")
        builder = graph.StateGraph(AgentState)
        builder.add_node("remote", remote)
        builder.add_edge(graph.START, "remote")
        if after:
            builder.add_node("after", lambda state: {"log": ["after"]})
            builder.add_edge("remote", "after")
        saver = self.module("checkpoint.memory").InMemorySaver()
        return builder.compile(checkpointer=saver)


@pytest.fixture(params=["langgraph", "stategraph"])
def lib(request: pytest.FixtureRequest) -> Lib:
    return Lib(request.param)


@pytest_asyncio.fixture
async def remote(api: Api, lib: Lib) -> AsyncIterator[Any]:
    graph = lib.module("pregel.remote").RemoteGraph("agent", url=api.url)
    try:
        yield graph
    finally:
        graph.sync_client.http.client.close()
        await graph.client.http.client.aclose()


async def _call(api: Api, graph: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``graph.<name>`` in the test's mode: sync in a thread, or ``a<name>``."""
    if api.mode == "sync":

        def run() -> Any:
            result = getattr(graph, name)(*args, **kwargs)
            return list(result) if name in ("stream", "get_state_history") else result

        return await asyncio.to_thread(run)
    result = getattr(graph, f"a{name}")(*args, **kwargs)
    if name in ("stream", "get_state_history"):
        return [item async for item in result]
    return await result


def _thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": str(uuid.uuid4())}}


async def test_remote_graph_invoke_state_and_history(api: Api, remote: Any) -> None:
    config = _thread()
    out = await _call(api, remote, "invoke", HI, config)
    assert out["log"] == ["chat"]
    state = await _call(api, remote, "get_state", config)
    assert state.values["log"] == ["chat"]
    assert state.next == ()
    assert state.metadata["source"] == "loop"
    updated = await _call(api, remote, "update_state", config, {"log": ["x"]})
    assert updated["configurable"]["checkpoint_id"]
    history = await _call(api, remote, "get_state_history", config)
    assert history[0].values["log"] == ["chat", "x"]
    assert (
        history[0].config["configurable"]["checkpoint_id"]
        == (updated["configurable"]["checkpoint_id"])
    )
    assert history[1].values["log"] == ["chat"]
    chunks = await _call(api, remote, "stream", HI, config, stream_mode="updates")
    assert [next(iter(c)) for c in chunks] == ["hold", "chat", "sub", "review"]
    drawn = await asyncio.to_thread(remote.get_graph)
    assert "chat" in {node.id for node in drawn.nodes.values()}
    assert ("chat", "sub") in {(e.source, e.target) for e in drawn.edges}


async def test_remote_graph_stream_modes_subgraphs_and_v2(
    api: Api, remote: Any
) -> None:
    config = _thread()
    chunks = await _call(
        api,
        remote,
        "stream",
        HI,
        config,
        stream_mode=["updates", "custom"],
        subgraphs=True,
    )
    custom = [(ns, data) for ns, mode, data in chunks if mode == "custom"]
    assert custom[0] == ((), {"progress": 1})
    assert custom[1][0][0].startswith("sub:")
    assert custom[1][1] == {"inner": True}
    parts = await _call(
        api, remote, "stream", HI, config, stream_mode="values", version="v2"
    )
    assert {p["type"] for p in parts} == {"values"}
    assert parts[-1]["data"]["log"] == ["chat", "chat"]
    assert parts[-1]["interrupts"] == ()
    out = await _call(api, remote, "invoke", HI, _thread(), version="v2")
    assert out.value["log"] == ["chat"]


async def test_remote_graph_streams_chat_model_tokens(api: Api, lib: Lib) -> None:
    talk = lib.module("pregel.remote").RemoteGraph("talk", url=api.url)
    try:
        chunks = await _call(api, talk, "stream", HI, stream_mode="messages")
    finally:
        talk.sync_client.http.client.close()
        await talk.client.http.client.aclose()
    assert all(isinstance(chunk, tuple) and len(chunk) == 2 for chunk in chunks)
    text = "".join(message["content"] for message, _ in chunks)
    assert text == "Hello big world"
    assert chunks[0][1]["langgraph_node"] == "talk"


async def test_remote_graph_as_a_node_interrupts_and_resumes(
    api: Api, remote: Any, lib: Lib
) -> None:
    local = lib.local(remote, after=True)
    config = _thread()
    paused = await _call(api, local, "invoke", {**HI, "need_review": True}, config)
    assert paused["__interrupt__"][0].value == {"question": "ok?"}
    state = await _call(api, local, "get_state", config)
    assert state.next == ("remote",)
    assert state.tasks[0].interrupts[0].value == {"question": "ok?"}
    if lib.name == "langgraph":
        return  # LangGraph re-sends the input on resume and pauses again (#4879)
    command = lib.module("types").Command(resume="yes")
    done = await _call(api, local, "invoke", command, config)
    assert done["log"] == ["chat", "review:yes", "after"]
    assert "__interrupt__" not in done
    remote_state = await _call(api, remote, "get_state", config)
    assert remote_state.next == ()


async def test_remote_graph_as_a_node_resumes_by_interrupt_id(
    api: Api, remote: Any, lib: Lib
) -> None:
    local = lib.local(remote)
    config = _thread()
    paused = await _call(api, local, "invoke", {**HI, "need_review": True}, config)
    interrupt_id = paused["__interrupt__"][0].id
    command = lib.module("types").Command(resume={interrupt_id: "by id"})
    done = await _call(api, local, "invoke", command, config)
    assert done["log"] == ["chat", "review:by id"]
    state = await _call(api, local, "get_state", config)
    assert state.next == ()


async def test_remote_graph_as_a_node_streams_into_the_parent(
    api: Api, remote: Any, lib: Lib
) -> None:
    local = lib.local(remote)
    chunks = await _call(
        api,
        local,
        "stream",
        HI,
        _thread(),
        stream_mode=["updates", "custom"],
        subgraphs=True,
    )
    custom = [(ns, data) for ns, mode, data in chunks if mode == "custom"]
    assert [data for _, data in custom] == [{"progress": 1}, {"inner": True}]
    assert custom[0][0][0].startswith("remote:")
    assert len(custom[1][0]) == 2
    top = [data for ns, mode, data in chunks if mode == "updates" and ns == ()]
    assert top[-1]["remote"]["log"] == ["chat"]


_VOLATILE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|\d{4}-\d\d-\d\dT[\d:.+]+(Z|[+-]\d\d:\d\d)?|[0-9a-f]{32}"
)


def _normalised(value: Any) -> str:
    """``repr`` without ids and timestamps, and with either library's names."""
    text = repr(value).replace("langgraph.types.", "").replace("stategraph.types.", "")
    text = re.sub(r"Interrupt\(value=(.*?), id='[^']*'\)", r"Interrupt(\1)", text)
    return _VOLATILE.sub("X", text)


_MODES: list[Any] = [
    "values",
    "updates",
    ["updates", "custom"],
    "messages",
    "messages-tuple",
    "debug",
    "tasks",
    "checkpoints",
    ["values", "messages"],
]


@pytest.mark.parametrize(
    ("graph_id", "need_review"), [("agent", True), ("talk", False)]
)
async def test_both_remote_graphs_stream_the_same_chunks(
    url: str, graph_id: str, need_review: bool
) -> None:
    """Every mode, with and without subgraphs, v1 and v2: equal transcripts."""
    graphs = [
        importlib.import_module(f"{lib}.pregel.remote").RemoteGraph(graph_id, url=url)
        for lib in ("langgraph", "stategraph")
    ]
    text = {**HI, "need_review": True} if need_review else HI

    def transcript(graph: Any, mode: Any, subgraphs: bool, version: str) -> list[str]:
        config = _thread()
        chunks = graph.stream(
            text, config, stream_mode=mode, subgraphs=subgraphs, version=version
        )
        return [_normalised(chunk) for chunk in chunks]

    try:
        for mode in _MODES:
            for subgraphs in (False, True):
                for version in ("v1", "v2"):
                    theirs, ours = [
                        await asyncio.to_thread(transcript, g, mode, subgraphs, version)
                        for g in graphs
                    ]
                    assert theirs, (mode, subgraphs, version)
                    assert ours == theirs, (mode, subgraphs, version)
    finally:
        for graph in graphs:
            graph.sync_client.http.client.close()
            await graph.client.http.client.aclose()


def _state_transcript(lib: str, url: str) -> list[str]:
    """Run, read, page, update and resume one thread; every answer, normalised."""
    remote = importlib.import_module(f"{lib}.pregel.remote").RemoteGraph(
        "agent", url=url
    )
    command = importlib.import_module(f"{lib}.types").Command
    config = _thread()
    try:
        out: list[Any] = [
            remote.invoke({**HI, "need_review": True}, config),
            remote.invoke({**HI, "need_review": True}, config, version="v2"),
            remote.get_state(config),
            remote.get_state(config, subgraphs=True),
        ]
        history = list(remote.get_state_history(config, limit=3))
        out += [
            history,
            list(remote.get_state_history(config, before=history[0].config, limit=2)),
            remote.update_state(config, {"log": ["u"]}, as_node="chat"),
            remote.get_state(history[1].config),
            remote.get_graph(xray=True).to_json(),
            remote.invoke(command(resume="ok"), config),
        ]
    finally:
        remote.sync_client.http.client.close()
        asyncio.run(remote.client.http.client.aclose())
    return [re.sub(r"id='[^']*'", "id=X", _normalised(item)) for item in out]


async def test_both_remote_graphs_read_and_update_state_alike(url: str) -> None:
    theirs, ours = [
        await asyncio.to_thread(_state_transcript, lib, url)
        for lib in ("langgraph", "stategraph")
    ]
    assert len(ours) == 10
    assert ours == theirs
