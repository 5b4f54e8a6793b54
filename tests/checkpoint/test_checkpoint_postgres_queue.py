"""Steps the Postgres savers store in the background (``durable=False``).

``put_step`` with ``durable=False`` (async durability) queues its statements
and returns; a drain (worker thread or task) writes them. These tests check
that it really does not wait, that every other call reads its own writes and
never overtakes a queued step, that a failed background write fails the run
(and only that thread's), and that a run returns only once its steps are
stored.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool, ConnectionPool
from typing_extensions import TypedDict

from stategraph.checkpoint.base import empty_checkpoint
from stategraph.checkpoint.base._step import StepWrites
from stategraph.checkpoint.postgres import PostgresSaver, _batch, _queue
from stategraph.checkpoint.postgres._batch import StepRows
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.graph import START, StateGraph

MODES = ("sync", "async")


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


@asynccontextmanager
async def open_saver(
    mode: str, dsn: str, variant: str = "connection"
) -> AsyncIterator[Any]:
    """A saver over a connection, a pipeline or a pool (see ``VARIANTS``)."""
    saver: Any
    async with AsyncExitStack() as stack:
        autocommit = variant != "no_autocommit"
        if mode == "sync":
            if variant == "pool":
                pool = ConnectionPool(dsn, kwargs={"autocommit": True}, open=False)
                saver = PostgresSaver(stack.enter_context(pool))
            else:
                conn = psycopg.connect(dsn, autocommit=autocommit)
                stack.enter_context(conn)
                pipe = (
                    stack.enter_context(conn.pipeline())
                    if variant == "pipeline"
                    else None
                )
                saver = PostgresSaver(conn, pipe)
            saver.setup()
        else:
            if variant == "pool":
                apool = AsyncConnectionPool(
                    dsn, kwargs={"autocommit": True}, open=False
                )
                saver = AsyncPostgresSaver(await stack.enter_async_context(apool))
            else:
                aconn = await psycopg.AsyncConnection.connect(
                    dsn, autocommit=autocommit
                )
                await stack.enter_async_context(aconn)
                apipe = None
                if variant == "pipeline":
                    apipe = await stack.enter_async_context(aconn.pipeline())
                saver = AsyncPostgresSaver(aconn, apipe)
            await saver.setup()
        # Without libpq's pipeline mode the steps go in one transaction.
        saver.supports_pipeline = variant != "no_pipeline_support"
        yield saver


VARIANTS = ("connection", "pipeline", "pool", "no_autocommit", "no_pipeline_support")


async def call(target: Any, mode: str, method: str, *args: Any, **kwargs: Any) -> Any:
    if mode == "sync":
        return getattr(target, method)(*args, **kwargs)
    return await getattr(target, "a" + method)(*args, **kwargs)


async def listed(saver: Any, mode: str, thread: str) -> list[Any]:
    config = {"configurable": {"thread_id": thread}}
    if mode == "sync":
        return list(saver.list(config))
    return [t async for t in saver.alist(config)]


def stored_ids(dsn: str, thread: str) -> list[str]:
    """Checkpoint ids of a thread, read on a connection of its own."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s "
            "ORDER BY checkpoint_id",
            (thread,),
        ).fetchall()
    return [row[0] for row in rows]


async def put_steps(
    saver: Any, mode: str, thread: str, count: int, *, durable: bool = False
) -> list[Any]:
    """Store ``count`` chained steps, each with a task write; return their configs."""
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    configs = []
    for step in range(count):
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"log": [f"s{step}"] * 3}
        checkpoint["channel_versions"] = {"log": f"{step + 1:032}.5"}
        writes = [StepWrites(config, [("log", [f"w{step}"])], f"task{step}")]
        if step == 0:
            writes = []
        config = await call(
            saver,
            mode,
            "put_step",
            config,
            checkpoint,
            {"step": step},
            {"log": f"{step + 1:032}.5"},
            writes,
            durable=durable,
        )
        configs.append(config)
    return configs


@asynccontextmanager
async def holding(saver: Any, mode: str) -> AsyncIterator[None]:
    """Keep the saver's connection: its background writes wait meanwhile."""
    if mode == "sync":
        with saver.lock:
            yield
    else:
        async with saver.lock:
            yield


def chain(*names: str) -> Any:
    builder: Any = StateGraph(State)
    previous = START
    for name in names:
        builder.add_node(name, lambda s, name=name: {"log": [name]})
        builder.add_edge(previous, name)
        previous = name
    return builder


# -- the saver's calls -----------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_a_step_is_written_after_put_step_returns(
    mode: str, schemas: Callable[[], str]
) -> None:
    dsn = schemas()
    async with open_saver(mode, dsn) as saver:
        async with holding(saver, mode):
            # Writing inline would need the connection held here (a hang).
            (config,) = await put_steps(saver, mode, "t", 1)
            assert stored_ids(dsn, "t") == []
        found = await call(saver, mode, "get_tuple", config)
    assert found.config == config
    assert found.checkpoint["channel_values"] == {"log": ["s0"] * 3}
    assert stored_ids(dsn, "t") == [config["configurable"]["checkpoint_id"]]


@pytest.mark.asyncio
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("mode", MODES)
async def test_reads_and_writes_wait_for_the_queued_steps(
    mode: str, variant: str, schemas: Callable[[], str]
) -> None:
    async with open_saver(mode, schemas(), variant) as saver:
        configs = await put_steps(saver, mode, "t", 30)
        latest = await call(
            saver, mode, "get_tuple", {"configurable": {"thread_id": "t"}}
        )
        history = await listed(saver, mode, "t")
        # A direct write after queued steps lands after them, on the last one.
        await call(saver, mode, "put_writes", configs[-1], [("log", ["late"])], "x")
        last = await call(saver, mode, "get_tuple", configs[-1])
        await put_steps(saver, mode, "gone", 5)
        await call(saver, mode, "delete_thread", "gone")
        gone = await listed(saver, mode, "gone")
    assert latest.config == configs[-1]
    assert [t.config for t in history] == configs[::-1]
    # In order: each step's parent and its writes (made by the next step).
    for child, parent in itertools.pairwise(history):
        assert child.parent_config == parent.config
        step = parent.metadata["step"]
        assert parent.pending_writes == [(f"task{step + 1}", "log", [f"w{step + 1}"])]
    assert last.pending_writes == [("x", "log", ["late"])]
    assert gone == []


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_a_full_queue_waits_for_the_writer(
    mode: str, schemas: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_queue, "MAX_QUEUED", 0)
    async with open_saver(mode, schemas()) as saver:
        configs = await put_steps(saver, mode, "t", 4)
        history = await listed(saver, mode, "t")
    assert [t.config for t in history] == configs[::-1]


@pytest.mark.asyncio
@pytest.mark.parametrize("started", [False, True])
async def test_a_cancelled_writer_fails_the_thread(
    started: bool, schemas: Callable[[], str]
) -> None:
    dsn = schemas()
    async with open_saver("async", dsn) as saver:
        async with saver.lock:
            configs = await put_steps(saver, "async", "t", 2)
            if started:
                # One loop turn: the writer starts and waits for the
                # connection, which this block holds.
                await asyncio.sleep(0)
            saver._steps.draining.cancel()
        with pytest.raises(RuntimeError, match=r"^steps saved in the background"):
            await saver.aflush_steps(configs[-1])
        # Raised once: the thread can be saved again.
        await saver.aflush_steps(configs[-1])
        again = await put_steps(saver, "async", "t", 1)
        await saver.aflush_steps(again[-1])
    assert stored_ids(dsn, "t") == [again[0]["configurable"]["checkpoint_id"]]


async def put_chat(
    saver: Any, mode: str, thread: str, count: int, *, durable: bool
) -> list[Any]:
    """Steps of a growing message list (stored as splices) with task writes."""
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    messages: list[str] = []
    configs = []
    for step in range(count):
        messages = [*messages, f"message {step} " * 20]
        version = f"{step + 1:032}.5"
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"messages": messages, "n": step}
        checkpoint["channel_versions"] = {"messages": version, "n": version}
        writes = []
        if step:
            writes.append(StepWrites(config, [("messages", [step])], f"task{step}"))
        new = {"messages": version, "n": version}
        config = await call(
            saver, mode, "put_step", config, checkpoint, {"step": step}, new,
            writes, durable=durable,
        )  # fmt: skip
        configs.append(config)
    return configs


@pytest.mark.asyncio
@pytest.mark.parametrize("chunk", [False, True])
@pytest.mark.parametrize("mode", MODES)
async def test_a_batch_stores_what_steps_stored_one_by_one_store(
    mode: str, chunk: bool, schemas: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk:  # a few steps per merged statement
        monkeypatch.setattr(_batch, "MAX_PARAMS", 60)
    merged: list[int] = []
    merge = _batch._merged

    def spy(steps: Any) -> Any:
        merged.append(len(steps))
        return merge(steps)

    monkeypatch.setattr(_batch, "_merged", spy)
    dsn = schemas()
    async with open_saver(mode, dsn) as saver:
        saver.keep_last = 6
        await put_chat(saver, mode, "one", 9, durable=True)
        async with holding(saver, mode):
            # Queued while the writer waits: it takes all nine at once.
            await put_chat(saver, mode, "batch", 9, durable=False)
        batched = [await listed(saver, mode, t) for t in ("one", "batch")]
    with psycopg.connect(dsn, autocommit=True) as conn:
        types = conn.execute(
            "SELECT thread_id, array_agg(type ORDER BY version) FROM checkpoint_blobs "
            "WHERE channel = 'messages' GROUP BY thread_id ORDER BY thread_id"
        ).fetchall()

    def shape(history: list[Any]) -> list[Any]:
        return [
            (t.checkpoint["channel_values"], t.metadata, t.pending_writes,
             t.parent_config is None)
            for t in history
        ]  # fmt: skip

    one, batch = batched
    assert sum(merged) == 9
    assert len(merged) > 1 if chunk else merged == [9]
    assert len(one) == 6  # keep_last
    assert shape(batch) == shape(one)
    # Values spliced onto a base stored in the same batch stay spliced.
    assert types[0][1] == types[1][1]
    assert sum(kind.startswith("sgd:") for kind in types[0][1]) >= 4


def test_steps_that_cannot_merge_go_one_by_one() -> None:
    def step(checkpoint_id: str, **kw: Any) -> StepRows:
        fields: dict[str, Any] = {
            "thread_id": "t", "ns": "", "blobs": [], "writes": [],
            "checkpoint": (checkpoint_id, None, {}, {}), "lock": "WITH lock",
            "before": [], "retain": None,
        }  # fmt: skip
        return StepRows(**{**fields, **kw})

    merged = _batch.batch_statements([step("1"), step("2")])
    assert len(merged) == 1
    assert type(merged[0][1]) is _batch.RawParams
    for steps in (
        [step("1"), step("1")],  # the same checkpoint twice
        [step("1"), step("2", before=[("SELECT 1", {})])],
        [step("1"), step("2", lock="WITH other")],
        [
            step("1", writes=[("0", "task", "", 0, "c", "json", b"1")]),
            step("2", writes=[("0", "task", "", 0, "c", "json", b"2")]),
        ],
    ):
        statements = _batch.batch_statements(steps)
        assert all(type(params) is dict for _, params in statements), steps


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_a_writer_without_a_connection_fails_the_thread(
    mode: str, schemas: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = schemas()

    def lost() -> Any:
        raise psycopg.OperationalError("connection lost")

    async with open_saver(mode, dsn) as saver:
        monkeypatch.setattr(saver, "_connection", lost)
        configs = await put_steps(saver, mode, "t", 2)
        settled = saver._settle()  # the writer has run (and failed)
        if mode == "async":
            await settled
        monkeypatch.undo()
        with pytest.raises(RuntimeError, match=r"^steps saved in the background") as e:
            await call(saver, mode, "flush_steps", configs[-1])
        assert isinstance(e.value.__cause__, psycopg.OperationalError)
        await call(saver, mode, "flush_steps", configs[-1])  # raised once
    assert stored_ids(dsn, "t") == []


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_a_direct_write_raises_a_failed_step_before_writing(
    mode: str, schemas: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost() -> Any:
        raise psycopg.OperationalError("connection lost")

    async with open_saver(mode, schemas()) as saver:
        monkeypatch.setattr(saver, "_connection", lost)
        configs = await put_steps(saver, mode, "t", 1)
        # It waits for the writer and raises its failure, without writing
        # (which would fail with the OperationalError itself).
        with pytest.raises(RuntimeError, match=r"^steps saved in the background"):
            await call(saver, mode, "put_writes", configs[0], [("log", ["x"])], "w")
        monkeypatch.undo()
        await call(saver, mode, "put_writes", configs[0], [("log", ["x"])], "w")


# -- runs ------------------------------------------------------------------------------

REFUSE = """CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'step % refused', NEW.metadata ->> 'step'; END $$;
CREATE TRIGGER refuse BEFORE INSERT ON checkpoints FOR EACH ROW
WHEN (NEW.thread_id = 'doomed' AND (NEW.metadata ->> 'step')::int >= 2)
EXECUTE FUNCTION refuse()"""


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_a_failed_background_write_fails_its_run_only(
    mode: str, schemas: Callable[[], str]
) -> None:
    dsn = schemas()
    graph_builder = chain("a", "b", "c", "d", "e")
    async with open_saver(mode, dsn) as saver:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(REFUSE)
        graph = graph_builder.compile(checkpointer=saver)
        doomed = {"configurable": {"thread_id": "doomed"}}
        with pytest.raises(psycopg.errors.RaiseException, match=r"^step 2 refused"):
            await call(graph, mode, "invoke", {"log": []}, doomed, durability="async")
        history = await listed(saver, mode, "doomed")
        fine = {"configurable": {"thread_id": "fine"}}
        out = await call(graph, mode, "invoke", {"log": []}, fine, durability="async")
        fine_history = await listed(saver, mode, "fine")
    # What was stored is a chain from the input: steps after the failed one,
    # queued before it failed, were not written (their parent is missing).
    steps = [t.metadata["step"] for t in history]
    assert steps == list(range(len(steps) - 2, -2, -1))
    assert max(steps, default=-1) < 2
    assert out == {"log": ["a", "b", "c", "d", "e"]}
    assert [t.metadata["step"] for t in fine_history] == list(range(5, -2, -1))


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_a_run_returns_once_its_steps_are_stored(
    mode: str, schemas: Callable[[], str]
) -> None:
    dsn = schemas()
    async with open_saver(mode, dsn) as saver:
        graph = chain(*(f"n{i}" for i in range(20))).compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        await call(graph, mode, "invoke", {"log": []}, config, durability="async")
        # Read at once on another connection: nothing is still queued.
        assert len(stored_ids(dsn, "t")) == 22
        state = await call(graph, mode, "get_state", config)
    assert state.values["log"] == [f"n{i}" for i in range(20)]
    assert state.metadata["step"] == 20


def test_concurrent_runs_of_one_sync_saver(schemas: Callable[[], str]) -> None:
    dsn = schemas()
    with PostgresSaver.from_conn_string(dsn) as saver:
        saver.setup()
        graph = chain(*(f"n{i}" for i in range(10))).compile(checkpointer=saver)

        def run(thread: str) -> None:
            config = {"configurable": {"thread_id": thread}}
            graph.invoke({"log": []}, config, durability="async")

        threads = [threading.Thread(target=run, args=(f"t{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        counts = [len(stored_ids(dsn, f"t{i}")) for i in range(4)]
        states = [
            graph.get_state({"configurable": {"thread_id": f"t{i}"}}) for i in range(4)
        ]
    assert counts == [12] * 4
    assert all(s.values["log"] == [f"n{i}" for i in range(10)] for s in states)


@pytest.mark.asyncio
@pytest.mark.parametrize("durability", ["sync", "async"])
@pytest.mark.parametrize("mode", MODES)
async def test_runs_compress_large_values_with_lz4_where_the_server_can(
    mode: str, durability: str, schemas: Callable[[], str]
) -> None:
    dsn = schemas()
    async with open_saver(mode, dsn) as saver:
        graph = chain("a", "b").compile(checkpointer=saver)
        config = {"configurable": {"thread_id": "t"}}
        big = [f"line {i} of a long log" for i in range(2000)]
        await call(graph, mode, "invoke", {"log": big}, config, durability=durability)
        state = await call(graph, mode, "get_state", config)
    with psycopg.connect(dsn, autocommit=True) as conn:
        lz4 = conn.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
            "WHERE name = 'default_toast_compression'"
        ).fetchone()
        found = conn.execute(
            "SELECT DISTINCT pg_column_compression(blob) FROM checkpoint_blobs "
            "WHERE pg_column_compression(blob) IS NOT NULL"
        ).fetchall()
    assert state.values["log"] == [*big, "a", "b"]
    assert found == [("lz4" if lz4 and lz4[0] else "pglz",)]


# -- the queue -------------------------------------------------------------------------


def test_the_queue_groups_by_thread_and_drops_failed_threads() -> None:
    queue = _queue.StepQueue()
    started: list[Any] = []

    def start(q: Any, drain: Any) -> str:
        started.append(drain)
        return "drain"

    def step(thread: str, n: int) -> StepRows:
        return StepRows(
            thread, "", [], [], (f"{thread}{n}", None, {}, {}), "WITH lock", [], None
        )

    def taken() -> list[tuple[str, list[str]]]:
        return [(t, [s.checkpoint[0] for s in steps]) for t, steps in queue.take()]

    for thread, n in [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("b", 2)]:
        queue.push(step(thread, n), start, "d")
    assert started == ["d"]  # one drain for all
    assert taken() == [("a", ["a1", "a2"]), ("b", ["b1", "b2"]), ("c", ["c1"])]
    queue.fail("a", ValueError("boom"))
    queue.push(step("a", 3), start, "d")
    assert taken() == []  # the failed thread's step is dropped
    assert queue.draining is None
    queue.push(step("a", 4), start, "d")
    queue.push(step("b", 3), start, "d")
    with pytest.raises(ValueError, match=r"^boom$"):
        queue.raise_failure("a")
    queue.raise_failure("a")  # once
    assert taken() == [("b", ["b3"])]
    assert started == ["d", "d"]


def test_join_waits_without_raising() -> None:
    async def failing() -> None:
        raise ValueError("kept by the queue, not raised by join")

    async def main() -> None:
        task = _queue.start_task(_queue.StepQueue(), failing)
        await _queue.join_task(task)
        assert isinstance(task.exception(), ValueError)

    asyncio.run(main())
