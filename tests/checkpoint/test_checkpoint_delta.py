"""DeltaChannel threads on every saver, compared with LangGraph on the same program."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

import psycopg
import pytest
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from typing_extensions import TypedDict

from stategraph.checkpoint._splice import SPLICE_EVERY, SpliceCache
from stategraph.checkpoint.base import BaseCheckpointSaver
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(lib: str, checkpointer: Any) -> Any:
    """A tool loop whose message list is a DeltaChannel (in ``lib``)."""
    graph = importlib.import_module(f"{lib}.graph")
    delta = importlib.import_module(f"{lib}.channels.delta")
    message = importlib.import_module(f"{lib}.graph.message")
    reducer = message._messages_delta_reducer

    # Functional form: class annotations would be strings (future import).
    State = TypedDict(  # noqa: UP013
        "State",
        {
            "messages": Annotated[
                list, delta.DeltaChannel(reducer, snapshot_frequency=3)
            ],
            "notes": Annotated[
                list, delta.DeltaChannel(reducer, snapshot_frequency=50)
            ],
            "calls": int,
        },
    )

    def agent(state: Any) -> dict[str, Any]:
        n = len(state["messages"])
        return {
            "messages": [AIMessage(f"a{n}", id=f"a{n}")],
            "calls": state.get("calls", 0) + 1,
        }

    def tool(state: Any) -> dict[str, Any]:
        return {"messages": AIMessage("tool", id=f"t{len(state['messages'])}")}

    def route(state: Any) -> str:
        return "tool" if state["calls"] % 3 else graph.END

    builder = graph.StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("tool", tool)
    builder.add_edge(graph.START, "agent")
    builder.add_conditional_edges("agent", route, ["tool", graph.END])
    builder.add_edge("tool", "agent")
    return builder.compile(checkpointer=checkpointer)


def turn(i: int) -> dict[str, Any]:
    return {
        "messages": [HumanMessage(f"u{i}", id=f"u{i}")],
        "notes": [("user", f"note {i}")],
    }


def summary(snapshot: Any) -> tuple[Any, ...]:
    values = {
        k: [(m.id, m.content) for m in v] if k == "messages" else v
        for k, v in snapshot.values.items()
        if k != "notes"
    }
    notes = [m.content for m in snapshot.values.get("notes", [])]
    metadata = {k: v for k, v in snapshot.metadata.items() if k != "run_id"}
    return values, notes, metadata, snapshot.next


async def program(graph: Any, driver: str, durability: str) -> list[Any]:
    """Turns, an edit, a removal, a resume and a fork; return every snapshot."""

    async def call(name: str, *args: Any, **kwargs: Any) -> Any:
        if driver == "async":
            return await getattr(graph, "a" + name)(*args, **kwargs)
        return getattr(graph, name)(*args, **kwargs)

    config = {"configurable": {"thread_id": "thread"}}
    for i in range(4):
        await call("invoke", turn(i), config, durability=durability)
    await call("update_state", config, {"messages": [HumanMessage("U0", id="u0")]})
    await call("update_state", config, {"messages": RemoveMessage(id="a1")})
    await call("invoke", None, config, durability=durability)
    if driver == "async":
        history = [s async for s in graph.aget_state_history(config)]
    else:
        history = list(graph.get_state_history(config))
    fork_from = history[len(history) // 2].config
    await call("invoke", turn(9), fork_from, durability=durability)
    if driver == "async":
        history = [s async for s in graph.aget_state_history(config)]
    else:
        history = list(graph.get_state_history(config))
    return [summary(s) for s in history]


def sqlite_saver(lib: str, driver: str) -> Any:
    if driver == "sync":
        module = importlib.import_module(f"{lib}.checkpoint.sqlite")
        return module.SqliteSaver(sqlite3.connect(":memory:", check_same_thread=False))
    aio = importlib.import_module(f"{lib}.checkpoint.sqlite.aio")
    return aio.AsyncSqliteSaver.from_conn_string(":memory:")


@asynccontextmanager
async def opened(saver: Any) -> AsyncIterator[Any]:
    async with AsyncExitStack() as stack:
        if hasattr(saver, "__aenter__"):
            saver = await stack.enter_async_context(saver)
        yield saver


@pytest.mark.asyncio
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_same_state_and_history_as_langgraph(
    store: str, durability: str, driver: str
) -> None:
    results = []
    for lib in ("langgraph", "stategraph"):
        if store == "memory":
            module = importlib.import_module(f"{lib}.checkpoint.memory")
            saver = module.InMemorySaver()
        else:
            saver = sqlite_saver(lib, driver)
        async with opened(saver) as ready:
            results.append(await program(build(lib, ready), driver, durability))
    ours, theirs = results[1], results[0]
    assert len(ours) == len(theirs) > 5
    assert ours == theirs


@pytest.mark.asyncio
async def test_checkpoints_store_the_same_snapshots_as_langgraph() -> None:
    from langgraph.checkpoint.memory import InMemorySaver as LgSaver

    shapes = []
    for lib, saver in (("langgraph", LgSaver()), ("stategraph", InMemorySaver())):
        graph = build(lib, saver)
        await program(graph, "sync", "async")
        config = {"configurable": {"thread_id": "thread"}}
        shape = []
        for found in saver.list(config):
            values = found.checkpoint["channel_values"]
            snapshots = sorted(
                k for k, v in values.items() if type(v).__name__ == "_DeltaSnapshot"
            )
            bumps = found.checkpoint["versions_seen"].get("__snapshot_bumps__", {})
            counters = found.metadata.get("counters_since_delta_snapshot")
            shape.append((snapshots, sorted(bumps), counters))
        shapes.append(shape)
    assert any(snapshots for snapshots, _, _ in shapes[1])
    assert shapes[1] == shapes[0]


SAVERS = ["memory", "sqlite", "sqlite-aio", "postgres", "postgres-aio"]


@asynccontextmanager
async def any_saver(
    kind: str, schemas: Callable[[], str], keep_last: int | None = None
) -> AsyncIterator[Any]:
    if kind == "memory":
        yield InMemorySaver()
    elif kind == "sqlite":
        with SqliteSaver.from_conn_string(":memory:", keep_last=keep_last) as saver:
            yield saver
    elif kind == "sqlite-aio":
        async with AsyncSqliteSaver.from_conn_string(
            ":memory:", keep_last=keep_last
        ) as asaver:
            yield asaver
    elif kind == "postgres":
        with psycopg.connect(schemas(), autocommit=True) as conn:
            saver = PostgresSaver(conn, keep_last=keep_last)
            saver.setup()
            yield saver
    else:
        async with await psycopg.AsyncConnection.connect(
            schemas(), autocommit=True
        ) as aconn:
            asaver = AsyncPostgresSaver(aconn, keep_last=keep_last)
            await asaver.setup()
            yield asaver


@pytest.fixture
def reference() -> list[Any]:
    """The snapshots LangGraph's InMemorySaver gives for the program."""
    import asyncio

    from langgraph.checkpoint.memory import InMemorySaver as LgSaver

    return asyncio.run(program(build("langgraph", LgSaver()), "sync", "sync"))


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", SAVERS)
async def test_every_saver_rebuilds_delta_channels(
    kind: str, schemas: Callable[[], str], reference: list[Any]
) -> None:
    async with any_saver(kind, schemas) as saver:
        driver = "async" if kind.endswith("aio") else "sync"
        graph = build("stategraph", saver)
        assert await program(graph, driver, "sync") == reference
        config = {"configurable": {"thread_id": "thread"}}
        if driver == "async":
            tuples = [t async for t in saver.alist(config)]
        else:
            tuples = list(saver.list(config))
        channels = ["messages", "notes", "calls"]
        checked = 0
        for found in tuples:
            if driver == "async":
                fast = await saver.aget_delta_channel_history(
                    config=found.config, channels=channels
                )
                slow = await BaseCheckpointSaver.aget_delta_channel_history(
                    saver, config=found.config, channels=channels
                )
            else:
                fast = saver.get_delta_channel_history(
                    config=found.config, channels=channels
                )
                slow = BaseCheckpointSaver.get_delta_channel_history(
                    saver, config=found.config, channels=channels
                )
            assert fast == slow
            checked += bool(fast["messages"]["writes"])
        assert checked > 5


async def checkpoints(saver: Any, driver: str) -> int:
    config = {"configurable": {"thread_id": "thread"}}
    if driver == "async":
        return len([t async for t in saver.alist(config)])
    return len(list(saver.list(config)))


async def prune(saver: Any, driver: str, thread_ids: list[str]) -> None:
    if driver == "async":
        await saver.aprune(thread_ids)
    else:
        saver.prune(thread_ids)


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", SAVERS)
async def test_keep_latest_prune_refuses_delta_threads(
    kind: str, schemas: Callable[[], str]
) -> None:
    async with any_saver(kind, schemas) as saver:
        driver = "async" if kind.endswith("aio") else "sync"
        await program(build("stategraph", saver), driver, "sync")
        before = await checkpoints(saver, driver)
        message = r"^keep_latest can't prune threads that use a DeltaChannel: thread$"
        with pytest.raises(NotImplementedError, match=message):
            await prune(saver, driver, ["thread", "other"])
        assert await checkpoints(saver, driver) == before > 10


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["sqlite", "sqlite-aio", "postgres", "postgres-aio"])
async def test_keep_last_leaves_delta_threads_whole(
    kind: str, schemas: Callable[[], str], reference: list[Any]
) -> None:
    async with any_saver(kind, schemas, keep_last=2) as saver:
        driver = "async" if kind.endswith("aio") else "sync"
        assert await program(build("stategraph", saver), driver, "sync") == reference


def storage(use_delta: bool, turns: int, splice_every: int = SPLICE_EVERY) -> int:
    from stategraph.channels import DeltaChannel
    from stategraph.graph import START, StateGraph
    from stategraph.graph.message import _messages_delta_reducer, add_messages

    channel: Any = DeltaChannel(_messages_delta_reducer) if use_delta else add_messages

    State = TypedDict("State", {"messages": Annotated[list, channel]})  # noqa: UP013

    def reply(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("ok " * 20)]}

    builder = StateGraph(State)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    with SqliteSaver.from_conn_string(":memory:") as saver:
        saver._splices = SpliceCache(splice_every)
        graph = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        for i in range(turns):
            graph.invoke({"messages": [HumanMessage(f"question {i}")]}, config)
        assert len(graph.get_state(config).values["messages"]) == 2 * turns
        return saver.storage_size("t")


def test_delta_storage_grows_linearly() -> None:
    full_30, full_60 = storage(False, 30, 0), storage(False, 60, 0)
    delta_30, delta_60 = storage(True, 30), storage(True, 60)
    spliced_30, spliced_60 = storage(False, 30), storage(False, 60)
    assert delta_30 * 3 < full_30
    assert spliced_30 * 3 < full_30
    # Doubling the turns about doubles delta (and spliced) storage, but
    # quadruples that of full values.
    assert delta_60 < 2.5 * delta_30
    assert spliced_60 < 2.5 * spliced_30
    assert full_60 > 3 * full_30


def message_ids(graph: Any, config: Any) -> list[list[str]]:
    return [
        [m.id for m in snapshot.values["messages"]]
        for snapshot in graph.get_state_history(config)
    ]


def test_postgres_delta_threads_move_between_libraries(
    schemas: Callable[[], str],
) -> None:
    from langgraph.checkpoint.postgres import PostgresSaver as LgPostgresSaver
    from psycopg.rows import dict_row

    dsn = schemas()
    config = {"configurable": {"thread_id": "shared"}}
    with psycopg.connect(dsn, autocommit=True) as conn:
        saver = PostgresSaver(conn)
        saver.setup()
        ours = build("stategraph", saver)
        for i in range(5):
            ours.invoke(turn(i), config)
        written = message_ids(ours, config)
    with psycopg.connect(
        dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as lg_conn:
        theirs = build("langgraph", LgPostgresSaver(lg_conn))
        assert message_ids(theirs, config) == written
        theirs.invoke(turn(5), config)
        continued = message_ids(theirs, config)
    with psycopg.connect(dsn, autocommit=True) as conn:
        ours = build("stategraph", PostgresSaver(conn))
        assert message_ids(ours, config) == continued
    assert len(continued) > len(written) > 20


def test_dict_messages_get_stable_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    from stategraph.channels import DeltaChannel
    from stategraph.graph import START, StateGraph, _messages as messages_module
    from stategraph.graph.message import RemoveMessageDict, _messages_delta_reducer

    monkeypatch.setattr(messages_module, "_FORCE_DICTS", True)
    channel = DeltaChannel(_messages_delta_reducer, snapshot_frequency=4)
    State = TypedDict("State", {"messages": Annotated[list, channel]})  # noqa: UP013

    def reply(state: Any) -> dict[str, Any]:
        return {"messages": {"role": "assistant", "content": "ok"}}

    builder = StateGraph(State)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    with SqliteSaver.from_conn_string(":memory:") as saver:
        graph = builder.compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        for i in range(6):
            graph.invoke({"messages": [f"question {i}"]}, config)
        first = graph.get_state(config).values["messages"]
        again = graph.get_state(config).values["messages"]
        assert first == again
        assert len({m["id"] for m in first}) == 12
        assert first[0] == {
            "role": "user",
            "content": "question 0",
            "id": first[0]["id"],
        }
        graph.update_state(config, {"messages": [RemoveMessageDict(first[1]["id"])]})
        after = graph.get_state(config).values["messages"]
        assert [m["id"] for m in after] == [m["id"] for m in first if m is not first[1]]


@pytest.mark.asyncio
async def test_channels_from_checkpoint_replays_delta_channels(driver: str) -> None:
    from stategraph.pregel import _checkpoint as helpers

    saver = InMemorySaver()
    graph = build("stategraph", saver)
    await program(graph, driver, "sync")
    config = {"configurable": {"thread_id": "thread"}}
    head = saver.get_tuple(config)
    assert head is not None
    assert "notes" not in head.checkpoint["channel_values"]
    if driver == "async":
        channels, managed = await helpers.achannels_from_checkpoint(
            graph.channels, head.checkpoint, saver=saver, config=head.config
        )
    else:
        channels, managed = helpers.channels_from_checkpoint(
            graph.channels, head.checkpoint, saver=saver, config=head.config
        )
    values = graph.get_state(config).values
    assert channels["notes"].get() == values["notes"]
    assert [m.content for m in values["notes"]][-1] == "note 9"
    assert managed == {}
    with pytest.raises(ValueError, match=r"^DeltaChannel \['notes'\] has history"):
        helpers.channels_from_checkpoint(graph.channels, head.checkpoint)


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["sqlite-aio", "postgres-aio"])
async def test_asyncio_savers_answer_blocking_calls_from_other_threads(
    kind: str, schemas: Callable[[], str]
) -> None:
    import asyncio

    async with any_saver(kind, schemas) as saver:
        await program(build("stategraph", saver), "async", "sync")
        head = await saver.aget_tuple({"configurable": {"thread_id": "thread"}})
        channels = ["messages", "notes"]
        expected = await saver.aget_delta_channel_history(
            config=head.config, channels=channels
        )
        got = await asyncio.to_thread(
            lambda: saver.get_delta_channel_history(
                config=head.config, channels=channels
            )
        )
        assert got == expected
        assert expected["notes"]["writes"]


def test_prune_sees_delta_threads_through_encryption() -> None:
    from stategraph.checkpoint.serde.encrypted import EncryptedSerializer

    serde = EncryptedSerializer.from_pycryptodome_aes(key=b"0123456789abcdef")
    with SqliteSaver.from_conn_string(":memory:") as saver:
        saver.serde = serde
        graph = build("stategraph", saver)
        config = {"configurable": {"thread_id": "thread"}}
        graph.invoke(turn(0), config)
        (metadata_blob,) = saver.conn.execute(
            "SELECT metadata FROM sg_checkpoints LIMIT 1"
        ).fetchone()
        assert b"counters_since_delta_snapshot" not in metadata_blob
        with pytest.raises(NotImplementedError, match=r"DeltaChannel: thread$"):
            saver.prune(["thread"])
