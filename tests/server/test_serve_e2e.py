"""End to end: the real SDK and ``RemoteGraph`` against a ``stategraph serve`` cluster.

One cluster serves the whole module: two supervisors on one PostgreSQL schema
and one Redis key prefix, each with one API process (distinct URLs, ``one``
and ``two``) and one worker, so runs are created on one process, executed by
a worker and read back on the other. It serves ``_server_graphs.py`` (chat
with a subgraph, ``interrupt()``, a failing node, chat-model tokens) behind a
``langgraph_sdk.Auth`` file (``_e2e_support.py``): Alice and Bob see only
their own resources; requests without a token belong to nobody, so the
scenarios recorded from ``langgraph dev`` (``golden/``) replay unchanged.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from _cluster_support import poll
from _e2e_support import UserApi, call, serve_cluster, status_of
from _server_scenarios import GOLDEN, record
from langgraph.pregel.remote import RemoteGraph
from langgraph.types import Command

from conftest import HI

pytestmark = pytest.mark.asyncio


@pytest.fixture(scope="module")
def urls(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two API processes (and two workers) of one cluster; stopped after the module."""
    with serve_cluster(server, tmp_path_factory.mktemp("e2e")) as made:
        yield made


@pytest_asyncio.fixture(params=["sync", "async"])
async def users(
    request: pytest.FixtureRequest, urls: list[str]
) -> AsyncIterator[dict[str, UserApi]]:
    """Alice on both API processes (``alice``, ``alice2``) and Bob on the second."""
    clients = {
        "alice": UserApi(request.param, urls[0], "token-alice"),
        "alice2": UserApi(request.param, urls[1], "token-alice"),
        "bob": UserApi(request.param, urls[1], "token-bob"),
    }
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


def _events(parts: list[Any]) -> list[str]:
    return [part.event for part in parts]


async def test_recorded_scenarios_replay_on_the_cluster(urls: list[str]) -> None:
    # Streaming every mode with subgraphs, interrupts, breakpoints, errors,
    # stateless runs, update_state and history and the four double-texting
    # strategies: the same transcript as LangGraph's own server.
    golden = json.loads(GOLDEN.read_text())
    ours = await record(urls[0])
    assert len(golden) > 10
    assert {k: ours.get(k) for k in golden if ours.get(k) != golden[k]} == {}


ALL_MODES = [
    "values",
    "updates",
    "messages-tuple",
    "custom",
    "debug",
    "tasks",
    "checkpoints",
]


async def test_every_stream_mode_with_subgraphs_replays_on_the_other_process(
    users: dict[str, UserApi],
) -> None:
    alice, alice2 = users["alice"], users["alice2"]
    tid = (await alice("threads.create"))["thread_id"]
    parts = await alice(
        "runs.stream",
        tid,
        "agent",
        input=HI,
        stream_mode=ALL_MODES,
        stream_subgraphs=True,
        stream_resumable=True,
    )
    assert [p.id for p in parts] == [str(i) for i in range(len(parts))]
    run_id = parts[0].data["run_id"]
    assert parts[0].event == "metadata"
    seen = {(p.event.split("|")[0], "|" in p.event) for p in parts[1:]}
    # Every mode, from the graph and from inside its subgraph (``|sub:…``).
    modes = ["values", "updates", "custom", "debug", "tasks", "checkpoints"]
    wanted = {(m, nested) for m in [*modes, "messages"] for nested in (False, True)}
    assert wanted - seen == set()
    custom = [(p.event, p.data) for p in parts if p.event.startswith("custom")]
    assert custom[0] == ("custom", {"progress": 1})
    assert custom[1][0].startswith("custom|sub:")
    assert custom[1][1] == {"inner": True}
    texts = [p.data[0]["content"] for p in parts if p.event.startswith("messages")]
    assert texts == ["Hello", "from inner"]
    last_values = [p.data for p in parts if p.event == "values"][-1]
    assert last_values["log"] == ["chat"]
    assert [m["content"] for m in last_values["messages"]] == [
        "hi",
        "Hello",
        "from inner",
    ]
    # The run's events, replayed by the other API process from the start...
    joined = await alice2("runs.join_stream", tid, run_id, last_event_id="-1")
    assert [(p.event, p.data, p.id) for p in joined] == [
        (p.event, p.data, p.id) for p in parts
    ]
    # ...and after a Last-Event-ID.
    tail = await alice2("runs.join_stream", tid, run_id, last_event_id="4")
    assert [(p.event, p.id) for p in tail] == [(p.event, p.id) for p in parts[5:]]
    assert (await alice2("runs.get", tid, run_id))["status"] == "success"


async def test_a_pending_run_is_streamed_live_by_the_other_process(
    users: dict[str, UserApi],
) -> None:
    alice, alice2 = users["alice"], users["alice2"]
    tid = (await alice("threads.create"))["thread_id"]
    # Joined while it waits for ``after_seconds`` (on a loaded machine maybe
    # later: the replay from event 0 gives the same answer either way).
    run = await alice(
        "runs.create",
        tid,
        "agent",
        input=HI,
        stream_mode=["updates", "custom"],
        stream_resumable=True,
        after_seconds=1,
    )
    parts = await alice2("runs.join_stream", tid, run["run_id"], last_event_id="-1")
    assert _events(parts) == [
        "metadata",
        "updates",
        "custom",
        "updates",
        "updates",
        "updates",
    ]
    assert [list(p.data) for p in parts if p.event == "updates"] == [
        ["hold"],
        ["chat"],
        ["sub"],
        ["review"],
    ]
    assert [p.id for p in parts] == [str(i) for i in range(len(parts))]


async def test_interrupt_then_resume_with_a_command_across_processes(
    users: dict[str, UserApi],
) -> None:
    alice, alice2 = users["alice"], users["alice2"]
    tid = (await alice("threads.create"))["thread_id"]
    paused = await alice("runs.wait", tid, "agent", input={**HI, "need_review": True})
    assert paused["__interrupt__"][0]["value"] == {"question": "ok?"}
    thread = await alice2("threads.get", tid)
    assert thread["status"] == "interrupted"
    state = await alice2("threads.get_state", tid)
    assert state["next"] == ["review"]
    assert state["tasks"][0]["interrupts"][0]["value"] == {"question": "ok?"}
    done = await alice2("runs.wait", tid, "agent", command={"resume": "yes"})
    assert done["log"] == ["chat", "review:yes"]
    assert "__interrupt__" not in done
    assert (await alice("threads.get", tid))["status"] == "idle"


async def test_breakpoint_then_continue_update_state_and_history(
    users: dict[str, UserApi],
) -> None:
    alice, alice2 = users["alice"], users["alice2"]
    tid = (await alice("threads.create"))["thread_id"]
    parts = await alice(
        "runs.stream",
        tid,
        "agent",
        input=HI,
        stream_mode="updates",
        interrupt_before=["chat"],
    )
    assert [list(p.data) for p in parts if p.event == "updates"] == [
        ["hold"],
        ["__interrupt__"],
    ]
    state = await alice2("threads.get_state", tid)
    assert state["next"] == ["chat"]
    assert state["values"]["log"] == []
    done = await alice2("runs.wait", tid, "agent", input=None)
    assert done["log"] == ["chat"]
    assert [m["content"] for m in done["messages"]] == ["hi", "Hello", "from inner"]
    await alice("threads.update_state", tid, {"log": ["patched"]}, as_node="chat")
    history = await alice2("threads.get_history", tid, limit=50)
    assert history[0]["values"]["log"] == ["chat", "patched"]
    assert history[0]["metadata"]["source"] == "update"
    assert history[1]["values"]["log"] == ["chat"]
    assert history[-1]["metadata"]["source"] == "input"
    assert [h["next"] for h in history].count(["chat"]) == 1
    assert (await alice2("threads.get_state", tid))["values"]["log"] == [
        "chat",
        "patched",
    ]


DOUBLE_TEXTING = {
    # strategy: (second accepted, statuses, log) as ``langgraph dev`` answers.
    "reject": (False, ["success"], ["chat"]),
    "interrupt": (True, ["interrupted", "success"], ["second", "chat"]),
    "rollback": (True, ["success"], ["second", "chat"]),
    "enqueue": (True, ["success", "success"], ["second", "chat", "chat"]),
}


async def _double_text(alice: UserApi, alice2: UserApi, strategy: str) -> Any:
    tid = (await alice("threads.create"))["thread_id"]
    # ``after_seconds`` holds the first run pending while the second arrives.
    first = await alice("runs.create", tid, "agent", input=HI, after_seconds=1)
    args = ("runs.create", tid, "agent")
    kwargs: dict[str, Any] = {
        "input": {"log": ["second"]},
        "multitask_strategy": strategy,
    }
    accepted = strategy != "reject"
    if accepted:
        second = await alice2(*args, **kwargs)
        await alice2("runs.join", tid, second["run_id"])
    else:
        assert await status_of(alice2, *args, **kwargs) == 409
    if strategy != "rollback":  # rollback deleted the first run
        await alice("runs.join", tid, first["run_id"])
    runs = await alice2("runs.list", tid)
    values = (await alice("threads.get_state", tid))["values"]
    return accepted, sorted(r["status"] for r in runs), values["log"]


async def test_double_texting_with_every_strategy(users: dict[str, UserApi]) -> None:
    results = await asyncio.gather(
        *(_double_text(users["alice"], users["alice2"], s) for s in DOUBLE_TEXTING)
    )
    assert dict(zip(DOUBLE_TEXTING, results, strict=True)) == DOUBLE_TEXTING


async def test_stateless_runs_stream_and_wait(users: dict[str, UserApi]) -> None:
    alice = users["alice"]
    parts = await alice(
        "runs.stream", None, "talk", input=HI, stream_mode="messages-tuple"
    )
    assert parts[0].event == "metadata"
    tokens = [p.data[0]["content"] for p in parts if p.event == "messages"]
    assert "".join(tokens) == "Hello big world"
    assert len(tokens) > 1  # token by token
    out = await users["alice2"]("runs.wait", None, "agent", input=HI)
    assert out["log"] == ["chat"]
    assert out["messages"][-1]["content"] == "from inner"


async def test_errors_unknown_assistant_and_a_failing_node(
    users: dict[str, UserApi],
) -> None:
    alice, alice2 = users["alice"], users["alice2"]
    assert await status_of(alice, "assistants.get", str(uuid.uuid4())) == 404
    tid = (await alice("threads.create"))["thread_id"]
    assert await status_of(alice, "runs.create", tid, "nope", input={}) in (404, 422)
    parts = await alice("runs.stream", tid, "agent", input={**HI, "fail": True})
    assert _events(parts) == ["metadata", "values", "values", "error"]
    assert parts[-1].data == {"error": "ValueError", "message": "boom"}
    runs = await alice2("runs.list", tid)
    assert [r["status"] for r in runs] == ["error"]
    assert (await alice2("threads.get", tid))["status"] == "error"


async def test_store_put_get_search_per_user(users: dict[str, UserApi]) -> None:
    alice, alice2, bob = users["alice"], users["alice2"], users["bob"]
    key, ns = uuid.uuid4().hex, ["notes", uuid.uuid4().hex]
    await alice("store.put_item", ns, key, {"text": "alice's", "kind": "n"})
    await alice("store.put_item", ns, "other", {"text": "x", "kind": "m"})
    item = await alice2("store.get_item", ns, key)
    assert item["value"] == {"text": "alice's", "kind": "n"}
    assert item["namespace"] == ["alice", *ns]  # the auth handler's prefix
    found = await alice2("store.search_items", ns, filter={"kind": "n"})
    assert [i["key"] for i in found["items"]] == [key]
    everything = await alice2("store.search_items", ns)
    assert sorted(i["key"] for i in everything["items"]) == sorted([key, "other"])
    assert (await bob("store.search_items", ns))["items"] == []
    assert await bob("store.get_item", ns, key) is None  # null, as for no item


async def test_a_cron_fires_on_the_cluster(users: dict[str, UserApi]) -> None:
    alice, alice2, bob = users["alice"], users["alice2"], users["bob"]
    tid = (await alice("threads.create"))["thread_id"]
    cron = await alice(
        "crons.create_for_thread", tid, "agent", schedule="* * * * * *", input=HI
    )
    try:
        assert [c["cron_id"] for c in await alice2("crons.search")] == [cron["cron_id"]]
        assert await bob("crons.search") == []
        done = await asyncio.to_thread(
            poll,
            lambda: [r for r in alice2.sync.runs.list(tid) if r["status"] == "success"],
            "a cron run to succeed",
        )
    finally:
        await alice("crons.delete", cron["cron_id"])
    fired: Any = done[0]  # the SDK's ``Run`` type lacks ``kwargs``
    assert fired["kwargs"]["config"]["configurable"]["cron_id"] == cron["cron_id"]
    values = (await alice2("threads.get_state", tid))["values"]
    assert values["log"][0] == "chat"
    assert values["messages"][:2][-1]["content"] == "Hello"
    assert await alice("crons.search", thread_id=tid) == []


async def test_auth_isolates_users_across_processes(users: dict[str, UserApi]) -> None:
    alice, alice2, bob = users["alice"], users["alice2"], users["bob"]
    thread = await alice("threads.create")
    tid = thread["thread_id"]
    assert thread["metadata"]["owner"] == "alice"
    run = await alice("runs.create", tid, "agent", input=HI)
    await alice2("runs.join", tid, run["run_id"])
    assert (await alice2("threads.get", tid))["thread_id"] == tid
    assert await status_of(bob, "threads.get", tid) == 404
    assert await status_of(bob, "threads.get_state", tid) == 404
    assert await status_of(bob, "runs.get", tid, run["run_id"]) == 404
    assert await status_of(bob, "runs.list", tid) == 404
    assert await status_of(bob, "runs.create", tid, "agent", input=HI) == 404
    assert await status_of(bob, "runs.join", tid, run["run_id"]) == 404
    assert await status_of(bob, "threads.get_history", tid) == 404
    assert await status_of(bob, "threads.update_state", tid, {"log": ["b"]}) == 404
    found = await bob("threads.search", limit=100)
    assert tid not in {t["thread_id"] for t in found}
    mine = await alice2("threads.search", limit=100)
    assert tid in {t["thread_id"] for t in mine}
    assert {t["metadata"]["owner"] for t in mine} == {"alice"}
    # Alice's thread is untouched by Bob's attempts.
    assert [r["status"] for r in await alice("runs.list", tid)] == ["success"]
    assert (await alice("threads.get_state", tid))["values"]["log"] == ["chat"]


@pytest_asyncio.fixture
async def remote(users: dict[str, UserApi]) -> AsyncIterator[tuple[UserApi, Any]]:
    """LangGraph's ``RemoteGraph`` of ``agent`` on the second API process, as Alice."""
    api = users["alice2"]
    graph: Any = RemoteGraph("agent", url=api.url, headers=api.headers)
    try:
        yield api, graph
    finally:
        graph.sync_client.http.client.close()
        await graph.client.http.client.aclose()


async def test_remote_graph_runs_streams_and_updates_state(
    remote: tuple[UserApi, Any], users: dict[str, UserApi]
) -> None:
    api, graph = remote
    tid = (await users["alice"]("threads.create"))["thread_id"]
    config = {"configurable": {"thread_id": tid}}
    out = await call(api, graph, "invoke", HI, config)
    assert out["log"] == ["chat"]
    chunks = await call(
        api,
        graph,
        "stream",
        HI,
        config,
        stream_mode=["updates", "custom"],
        subgraphs=True,
    )
    custom = [(ns, data) for ns, mode, data in chunks if mode == "custom"]
    assert custom[0] == ((), {"progress": 1})
    assert custom[1][0][0].startswith("sub:")
    top = [next(iter(d)) for ns, mode, d in chunks if mode == "updates" and ns == ()]
    assert top == ["hold", "chat", "sub", "review"]
    updated = await call(api, graph, "update_state", config, {"log": ["x"]})
    history = await call(api, graph, "get_state_history", config)
    assert history[0].values["log"] == ["chat", "chat", "x"]
    assert (
        history[0].config["configurable"]["checkpoint_id"]
        == (updated["configurable"]["checkpoint_id"])
    )
    state = await call(api, graph, "get_state", config)
    assert state.values["log"] == ["chat", "chat", "x"]
    resumed = await call(api, graph, "invoke", {**HI, "need_review": True}, config)
    # Not nested in a local graph: interrupts come back as the server's JSON.
    assert resumed["__interrupt__"][0]["value"] == {"question": "ok?"}
    done = await call(api, graph, "invoke", Command(resume="ok"), config)
    assert done["log"][-1] == "review:ok"
    assert await status_of(users["bob"], "threads.get", tid) == 404
