"""``RemoteGraph`` with a recording fake SDK client, through its sync and async API.

The ``driver`` fixture (tests/conftest.py) runs each test in both modes.

The fake answers each SDK call with a canned reply and records its keyword
arguments, so a test checks both what was sent and what came back.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import MagicMock

import langsmith as ls
import pytest
from langgraph_sdk.schema import StreamPart

from stategraph._constants import (
    CONFIG_KEY_SCRATCHPAD,
    CONFIG_KEY_STREAM,
)
from stategraph._engine._emit import StreamSink
from stategraph.errors import GraphInterrupt, ParentCommand
from stategraph.graph._drawable import Edge, Graph, Node
from stategraph.pregel.remote import RemoteException, RemoteGraph
from stategraph.types import Command, GraphOutput, Interrupt, StateSnapshot


class _Group:
    def __init__(self, fake: FakeClient, group: str) -> None:
        self.fake = fake
        self.group = group

    def __getattr__(self, method: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.fake.calls.append((f"{self.group}.{method}", kwargs))
            reply = self.fake.replies[f"{self.group}.{method}"]
            if self.fake.mode == "sync":
                return iter(reply) if method == "stream" else reply
            return _aiter(reply) if method == "stream" else _value(reply)

        return call


async def _value(reply: Any) -> Any:
    return reply


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


class FakeClient:
    """Stands in for ``SyncLangGraphClient`` or ``LangGraphClient``."""

    def __init__(self, mode: str, replies: dict[str, Any]) -> None:
        self.mode = mode
        self.replies = replies
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.assistants = _Group(self, "assistants")
        self.threads = _Group(self, "threads")
        self.runs = _Group(self, "runs")

    @property
    def last(self) -> dict[str, Any]:
        return self.calls[-1][1]


def _remote(driver: Any, **replies: Any) -> tuple[RemoteGraph, FakeClient]:
    fake = FakeClient(
        driver.mode, {k.replace("__", "."): v for k, v in replies.items()}
    )
    if driver.mode == "sync":
        return RemoteGraph("agent", sync_client=fake), fake  # type: ignore[arg-type]
    return RemoteGraph("agent", client=fake), fake  # type: ignore[arg-type]


def _checkpoint(cid: str, ns: str = "") -> dict[str, Any]:
    return {"thread_id": "t1", "checkpoint_ns": ns, "checkpoint_id": cid}


def _thread_state(cid: str, *, tasks: list[Any] = (), parent: Any = None) -> Any:  # type: ignore[assignment]
    return {
        "values": {"n": 1},
        "next": ["b"] if tasks else [],
        "checkpoint": _checkpoint(cid),
        "metadata": {"source": "loop", "step": 2},
        "created_at": "2026-01-01T00:00:00+00:00",
        "parent_checkpoint": parent,
        "tasks": list(tasks),
    }


def _get_graph(driver: Any, remote: RemoteGraph, **kwargs: Any) -> Graph:
    if driver.mode == "sync":
        return remote.get_graph(**kwargs)
    return asyncio.run(remote.aget_graph(**kwargs))


THREAD = {"configurable": {"thread_id": "t1"}}


def test_constructor_names_and_with_config() -> None:
    remote = RemoteGraph("agent", config={"configurable": {"a": 1}, "tags": ["x"]})
    assert remote.name == "agent"
    assert RemoteGraph("agent", name="helper").name == "helper"
    copy = remote.with_config({"configurable": {"b": 2}}, recursion_limit=5)
    assert copy is not remote
    assert copy.assistant_id == "agent"
    assert copy.config == {
        "configurable": {"a": 1, "b": 2},
        "tags": ["x"],
        "recursion_limit": 5,
    }
    assert remote.config == {"configurable": {"a": 1}, "tags": ["x"]}


def test_url_makes_both_clients_with_key_and_headers() -> None:
    remote = RemoteGraph(
        "a", url="http://127.0.0.1:9", api_key="k", headers={"x-h": "1"}
    )
    assert remote.client is not None
    assert remote.sync_client is not None
    try:
        for http in (remote.client.http.client, remote.sync_client.http.client):
            assert str(http.base_url) == "http://127.0.0.1:9"
            assert http.headers["x-api-key"] == "k"
            assert http.headers["x-h"] == "1"
    finally:
        remote.sync_client.http.client.close()
        asyncio.run(remote.client.http.client.aclose())
    given = FakeClient("sync", {})
    kept = RemoteGraph("a", url="http://127.0.0.1:9", sync_client=given)  # type: ignore[arg-type]
    assert kept.sync_client is given
    assert kept.client is not None
    asyncio.run(kept.client.http.client.aclose())


def test_a_missing_client_is_a_clear_error(driver: Any) -> None:
    remote = RemoteGraph("agent")
    which = "Sync" if driver.mode == "sync" else "Async"
    with pytest.raises(ValueError, match=rf"^{which} client is not initialized"):
        driver.invoke(remote, {})


def test_get_graph_draws_the_servers_json(driver: Any) -> None:
    reply = {
        "nodes": [
            {"id": "__start__", "type": "schema", "data": "__start__"},
            {"id": "agent", "type": "runnable", "data": {"name": "agent_1"}},
            {"id": "tools", "name": "Tools", "data": {"name": "ignored"}},
        ],
        "edges": [
            {"source": "__start__", "target": "agent"},
            {"source": "agent", "target": "tools", "conditional": True},
        ],
    }
    remote, fake = _remote(driver, assistants__get_graph=reply)
    drawn = _get_graph(driver, remote, xray=2)
    assert isinstance(drawn, Graph)
    assert drawn.nodes == {
        "__start__": Node("__start__", "__start__", "__start__", None),
        "agent": Node("agent", "agent_1", {"name": "agent_1"}, None),
        "tools": Node("tools", "Tools", {"name": "ignored"}, None),
    }
    assert drawn.edges == [
        Edge("__start__", "agent"),
        Edge("agent", "tools", conditional=True),
    ]
    assert fake.last == {
        "assistant_id": "agent",
        "xray": 2,
        "headers": None,
        "params": None,
    }


def test_get_state_builds_a_snapshot(driver: Any) -> None:
    task = {
        "id": "task-1",
        "name": "b",
        "error": None,
        "interrupts": [{"value": "ok?", "id": "i-1"}],
        "checkpoint": _checkpoint("c0", "b:task-1"),
        "state": None,
        "result": None,
    }
    reply = _thread_state("c2", tasks=[task], parent=_checkpoint("c1"))
    remote, fake = _remote(driver, threads__get_state=reply)
    config = {"configurable": {"thread_id": "t1", "checkpoint_id": "c2"}}
    snap = driver.get_state(remote, config, subgraphs=True)
    assert isinstance(snap, StateSnapshot)
    assert snap.values == {"n": 1}
    assert snap.next == ("b",)
    assert snap.config == {"configurable": {**_checkpoint("c2"), "checkpoint_map": {}}}
    assert snap.parent_config == {
        "configurable": {**_checkpoint("c1"), "checkpoint_map": {}}
    }
    assert snap.metadata == {"source": "loop", "step": 2}
    assert snap.tasks[0].interrupts == (Interrupt("ok?", "i-1"),)
    assert snap.tasks[0].state == {"configurable": _checkpoint("c0", "b:task-1")}
    assert snap.interrupts == (Interrupt("ok?", "i-1"),)
    assert fake.last == {
        "thread_id": "t1",
        "checkpoint": {"thread_id": "t1", "checkpoint_id": "c2"},
        "subgraphs": True,
        "headers": None,
        "params": None,
    }


def test_get_state_without_a_thread_says_what_to_pass(driver: Any) -> None:
    remote, _ = _remote(driver, threads__get_state={})
    with pytest.raises(ValueError, match=r"^RemoteGraph needs a thread"):
        driver.get_state(remote, {"configurable": {}})


def test_get_state_history_sends_limit_before_and_filter(driver: Any) -> None:
    replies = [_thread_state("c2"), _thread_state("c1")]
    remote, fake = _remote(driver, threads__get_history=replies)
    before = {"configurable": {"checkpoint_id": "c3"}}
    snaps = driver.history(remote, THREAD, filter={"step": 2}, before=before)
    assert [s.config["configurable"]["checkpoint_id"] for s in snaps] == ["c2", "c1"]
    assert fake.last == {
        "thread_id": "t1",
        "checkpoint": {"thread_id": "t1"},
        "limit": 10,
        "before": {"checkpoint_id": "c3"},
        "metadata": {"step": 2},
        "headers": None,
        "params": None,
    }


def test_update_state_returns_the_new_checkpoints_config(driver: Any) -> None:
    remote, fake = _remote(
        driver, threads__update_state={"checkpoint": _checkpoint("c9")}
    )
    config = driver.update_state(remote, THREAD, {"n": 2}, "a")
    assert config == {"configurable": {**_checkpoint("c9"), "checkpoint_map": {}}}
    assert fake.last["values"] == {"n": 2}
    assert fake.last["as_node"] == "a"


def test_bulk_update_state_is_not_offered() -> None:
    with pytest.raises(NotImplementedError):
        RemoteGraph("agent").bulk_update_state(THREAD, [])


RUN = [
    StreamPart(event="metadata", data={"run_id": "r1"}),
    StreamPart(event="values", data={"n": 1}),
    StreamPart(event="updates", data={"a": {"n": 2}}),
    StreamPart(event="updates|sub:1", data={"inner": {"n": 3}}),
    StreamPart(event="messages", data=[{"content": "hi"}, {"langgraph_node": "a"}]),
    StreamPart(event="values", data={"n": 2}),
]


def test_stream_one_mode_yields_bare_chunks(driver: Any) -> None:
    remote, fake = _remote(driver, runs__stream=RUN)
    chunks = driver.stream(remote, {"n": 0}, THREAD, stream_mode="values")
    assert chunks == [{"n": 1}, {"n": 2}]
    sent = fake.last
    assert sent["stream_mode"] == ["values", "updates"]
    assert sent["thread_id"] == "t1"
    assert sent["config"] == {"configurable": {}}
    assert sent["input"] == {"n": 0}
    assert sent["command"] is None
    assert sent["stream_subgraphs"] is False
    assert sent["if_not_exists"] == "create"


def test_stream_modes_messages_and_subgraphs(driver: Any) -> None:
    remote, fake = _remote(driver, runs__stream=RUN)
    modes = ["updates", "messages"]
    chunks = driver.stream(remote, {}, THREAD, stream_mode=modes)
    assert fake.last["stream_mode"] == ["updates", "messages-tuple"]
    assert chunks == [
        StreamPart(event="updates", data={"a": {"n": 2}}),
        StreamPart(event="messages", data=({"content": "hi"}, {"langgraph_node": "a"})),
    ]
    chunks = driver.stream(remote, {}, THREAD, stream_mode=modes, subgraphs=True)
    assert fake.last["stream_subgraphs"] is True
    assert chunks[:2] == [
        ((), "updates", {"a": {"n": 2}}),
        (("sub:1",), "updates", {"inner": {"n": 3}}),
    ]
    chunks = driver.stream(remote, {}, THREAD, subgraphs=True)
    assert chunks == [((), {"a": {"n": 2}}), (("sub:1",), {"inner": {"n": 3}})]


def test_stream_v2_parts_carry_interrupts(driver: Any) -> None:
    run = [
        StreamPart(event="values", data={"n": 1, "__interrupt__": [{"value": "q"}]}),
    ]
    remote, _ = _remote(driver, runs__stream=run)
    parts = driver.stream(remote, {}, THREAD, stream_mode="values", version="v2")
    assert parts == [
        {"type": "values", "ns": (), "data": {"n": 1}, "interrupts": (Interrupt("q"),)}
    ]


def test_invoke_returns_the_last_values(driver: Any) -> None:
    remote, fake = _remote(driver, runs__stream=RUN)
    assert driver.invoke(remote, {}, THREAD, context={"user": "u"}) == {"n": 2}
    assert fake.last["stream_mode"] == ["values", "updates"]
    assert fake.last["context"] == {"user": "u"}
    out = driver.invoke(remote, {}, THREAD, version="v2")
    assert isinstance(out, GraphOutput)
    assert out.value == {"n": 2}


def test_extra_keywords_reach_the_sdk(driver: Any) -> None:
    remote, fake = _remote(driver, runs__stream=[])
    driver.stream(
        remote,
        {},
        THREAD,
        stream_resumable=True,
        durability="exit",
        interrupt_before=["a"],
        params={"q": "1"},
    )
    assert fake.last["stream_resumable"] is True
    assert fake.last["durability"] == "exit"
    assert fake.last["interrupt_before"] == ["a"]
    assert fake.last["params"] == {"q": "1"}


def test_stream_events_is_offered_for_v3_only() -> None:
    remote = RemoteGraph("agent")
    with pytest.raises(NotImplementedError, match=r"version='v3' or RemoteGraph"):
        remote.stream_events({})
    with pytest.raises(NotImplementedError, match=r"use astream\(\) for v1/v2"):
        asyncio.run(remote.astream_events({}, version="v1"))


def test_invoke_with_no_events_warns_and_returns_none(
    driver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    remote, _ = _remote(driver, runs__stream=[])
    with caplog.at_level(logging.WARNING):
        assert driver.invoke(remote, {}) is None
    assert caplog.messages == ["No events received from remote graph"]


def test_a_command_input_is_sent_as_command(driver: Any) -> None:
    remote, fake = _remote(driver, runs__stream=[])
    driver.invoke(remote, Command(resume="yes", update={"n": 1}), THREAD)
    assert fake.last["input"] is None
    assert fake.last["command"] == {
        "graph": None,
        "update": {"n": 1},
        "resume": "yes",
        "goto": (),
    }


def test_remote_errors_raise_remote_exception(driver: Any) -> None:
    run = [StreamPart(event="error", data={"error": "ValueError", "message": "boom"})]
    remote, _ = _remote(driver, runs__stream=run)
    with pytest.raises(RemoteException) as info:
        driver.invoke(remote, {}, THREAD)
    assert info.value.args == ({"error": "ValueError", "message": "boom"},)


def test_parent_commands_bubble_up(driver: Any) -> None:
    run = [StreamPart(event="command", data={"graph": "__parent__", "goto": "x"})]
    remote, _ = _remote(driver, runs__stream=run)
    with pytest.raises(ParentCommand) as info:
        driver.invoke(remote, {}, THREAD)
    assert info.value.args[0] == Command(graph=Command.PARENT, goto="x")


INTERRUPTED = [
    StreamPart(event="values", data={"n": 1}),
    StreamPart(event="updates", data={"__interrupt__": [{"value": "q", "id": "i"}]}),
]


def test_interrupts_pause_only_when_running_as_a_node(driver: Any) -> None:
    remote, _ = _remote(driver, runs__stream=INTERRUPTED)
    assert driver.invoke(remote, {}, THREAD) == {"n": 1}
    as_node = {"configurable": {"thread_id": "t1", "checkpoint_ns": "remote:t"}}
    with pytest.raises(GraphInterrupt) as info:
        driver.invoke(remote, {}, as_node)
    assert info.value.args[0] == [Interrupt("q", "i")]


class _Scratchpad:
    def __init__(self, resume: list[Any], null: Any = None) -> None:
        self.resume = resume
        self.null = null

    def get_null_resume(self, consume: bool = False) -> Any:
        value, self.null = self.null, (None if consume else self.null)
        return value


@pytest.mark.parametrize(
    ("resume", "null", "sent"),
    [
        ([], None, None),
        (["a", "b"], None, {"resume": "b"}),
        ([], "yes", {"resume": "yes"}),
    ],
)
def test_a_resumed_node_sends_the_resume_value(
    driver: Any, resume: list[Any], null: Any, sent: Any
) -> None:
    remote, fake = _remote(driver, runs__stream=[])
    conf = {
        "thread_id": "t1",
        "checkpoint_ns": "remote:t",
        CONFIG_KEY_SCRATCHPAD: _Scratchpad(resume, null),
    }
    driver.invoke(remote, {"n": 0}, {"configurable": conf})
    assert fake.last["command"] == sent
    assert fake.last["input"] == (None if sent else {"n": 0})
    assert fake.last["config"] == {"configurable": {}}


def test_a_node_streams_into_its_parents_sink(driver: Any) -> None:
    got: list[Any] = []
    sink = StreamSink(got.append, {"custom", "updates"})
    conf = {"thread_id": "t1", "checkpoint_ns": "remote:t", CONFIG_KEY_STREAM: sink}
    run = [
        StreamPart(event="custom|sub:1", data={"p": 1}),
        StreamPart(event="values", data={"n": 1}),
    ]
    remote, fake = _remote(driver, runs__stream=run)
    assert driver.invoke(remote, {}, {"configurable": conf}) == {"n": 1}
    assert set(fake.last["stream_mode"]) == {"values", "custom", "updates"}
    assert fake.last["stream_subgraphs"] is True
    assert got == [(("remote:t", "sub:1"), "custom", {"p": 1})]


@pytest.mark.parametrize("given", [None, {"baggage": "a=b", "x": "1"}])
def test_distributed_tracing_adds_langsmith_headers(
    driver: Any, given: dict[str, str] | None
) -> None:
    remote, fake = _remote(driver, runs__stream=[])
    traced = remote.copy({"distributed_tracing": True})
    with ls.tracing_context(enabled=True, client=MagicMock()), ls.trace("outer"):
        driver.invoke(traced, {}, THREAD, headers=given)
        headers = fake.last["headers"]
        driver.invoke(remote, {}, THREAD, headers=None)
    assert "langsmith-trace" in headers
    assert headers["baggage"].startswith("a=b," if given else "langsmith-metadata=")
    assert fake.last["headers"] is None


def test_sanitize_config_keeps_primitives_only() -> None:
    config = {
        "recursion_limit": 7,
        "tags": ["a", 1, "b"],
        "metadata": {"k": (1, [2, object()]), "f": print, 3: "x", "d": {"z": None}},
        "configurable": {
            "thread_id": "t",
            "checkpoint_ns": "n",
            "checkpoint_id": "c",
            "checkpoint_map": {},
            "__pregel_task_id": "x",
            "__pregel_strict_resume": True,
            "model": "m",
            "obj": object(),
        },
        "callbacks": [print],
    }
    assert RemoteGraph("agent")._sanitize_config(config) == {
        "recursion_limit": 7,
        "tags": ["a", "b"],
        "metadata": {"k": [1, [2]], "d": {}},
        "configurable": {"thread_id": "t", "model": "m"},
    }


def test_importing_remote_does_not_import_the_sdk() -> None:
    code = (
        "import sys\n"
        "from stategraph.pregel.remote import RemoteGraph\n"
        "print('langgraph_sdk' in sys.modules)\n"
        "RemoteGraph('a', url='http://127.0.0.1:9')\n"
        "print('langgraph_sdk' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]


def test_public_names_match_langgraph() -> None:
    import langgraph.pregel.remote as theirs

    import stategraph.pregel.remote as ours

    assert set(ours.__all__) == set(theirs.__all__)


def test_shared_methods_take_langgraphs_parameters() -> None:
    import inspect

    from langgraph.pregel.protocol import PregelProtocol as TheirProtocol
    from langgraph.pregel.remote import RemoteGraph as Theirs

    from stategraph.pregel.protocol import PregelProtocol as OurProtocol

    for ours, theirs in ((RemoteGraph, Theirs), (OurProtocol, TheirProtocol)):
        own = {
            name
            for cls in ours.__mro__
            if cls.__module__.startswith("stategraph")
            for name in vars(cls)
        }
        shared = [
            name
            for name in sorted(own)
            if not name.startswith("_") and callable(getattr(theirs, name, None))
        ]
        assert "bulk_update_state" in shared
        for name in shared:
            mine = inspect.signature(getattr(ours, name)).parameters
            their = inspect.signature(getattr(theirs, name)).parameters
            positional = [
                n
                for n, p in their.items()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ]
            assert list(mine)[: len(positional)] == positional, name
