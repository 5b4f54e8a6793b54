"""One transaction per superstep: ``put_step`` on the SQLite and Postgres savers.

The engine hands the writes of the task that finishes a step to ``put_step``
with the step's checkpoint. These tests check which savers qualify, that the
call sequence is the expected one, and that what is stored is exactly what
LangGraph's sequence (``put_writes`` then ``put``) stores, on success, on
failures, interrupts, closed streams and with exit durability.
"""

from __future__ import annotations

import asyncio
import functools
import operator
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint
from stategraph.checkpoint.base._step import StepWrites, saves_steps
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from stategraph.errors import InvalidUpdateError
from stategraph.graph import START, StateGraph
from stategraph.types import Command, interrupt

BACKENDS = ("sqlite", "postgres")
MODES = ("sync", "async")


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    last: str


# -- savers: capable ones, and the same classes keeping LangGraph's sequence ---------


class SequencedSqlite(SqliteSaver):
    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        super().put_writes(*args, **kwargs)


class SequencedAsyncSqlite(AsyncSqliteSaver):
    async def aput_writes(self, *args: Any, **kwargs: Any) -> None:
        await super().aput_writes(*args, **kwargs)


class SequencedPostgres(PostgresSaver):
    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        super().put_writes(*args, **kwargs)


class SequencedAsyncPostgres(AsyncPostgresSaver):
    async def aput_writes(self, *args: Any, **kwargs: Any) -> None:
        await super().aput_writes(*args, **kwargs)


CLASSES: dict[tuple[str, str, bool], type[Any]] = {
    ("sqlite", "sync", True): SqliteSaver,
    ("sqlite", "async", True): AsyncSqliteSaver,
    ("postgres", "sync", True): PostgresSaver,
    ("postgres", "async", True): AsyncPostgresSaver,
    ("sqlite", "sync", False): SequencedSqlite,
    ("sqlite", "async", False): SequencedAsyncSqlite,
    ("postgres", "sync", False): SequencedPostgres,
    ("postgres", "async", False): SequencedAsyncPostgres,
}


@pytest.fixture
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Where a backend stores: a fresh file or a fresh schema per call."""
    made = iter(range(100))

    def make(backend: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"{next(made)}.db")
        schemas: Callable[[], str] = request.getfixturevalue("schemas")
        return schemas()

    return make


@asynccontextmanager
async def open_saver(
    backend: str, mode: str, where: str, capable: bool = True
) -> AsyncIterator[Any]:
    cls = CLASSES[backend, mode, capable]
    if mode == "sync":
        with cls.from_conn_string(where) as saver:
            if backend == "postgres":
                saver.setup()
            yield saver
    else:
        async with cls.from_conn_string(where) as saver:
            if backend == "postgres":
                await saver.setup()
            yield saver


def record(saver: Any, mode: str) -> list[tuple[str, Any]]:
    """Wrap the saver's write methods on the instance; return the call log."""
    calls: list[tuple[str, Any]] = []
    prefix = "" if mode == "sync" else "a"
    for name in ("put", "put_writes", "put_step", "flush_steps"):
        method = getattr(saver, prefix + name, None)
        if method is None:
            continue

        def wrap(method: Any, name: str) -> Any:
            if mode == "sync":

                @functools.wraps(method)
                def call(*args: Any, **kwargs: Any) -> Any:
                    calls.append((name, (*args, kwargs)))
                    return method(*args, **kwargs)

                return call

            @functools.wraps(method)
            async def acall(*args: Any, **kwargs: Any) -> Any:
                calls.append((name, (*args, kwargs)))
                return await method(*args, **kwargs)

            return acall

        setattr(saver, prefix + name, wrap(method, name))
    return calls


async def call(graph: Any, mode: str, method: str, *args: Any, **kwargs: Any) -> Any:
    if mode == "sync":
        return getattr(graph, method)(*args, **kwargs)
    return await getattr(graph, "a" + method)(*args, **kwargs)


async def stored(graph: Any, saver: Any, mode: str, config: Any) -> list[Any]:
    """History as values, next, task results and pending writes (ids dropped)."""
    if mode == "sync":
        history = list(graph.get_state_history(config))
        tuples = list(saver.list(config))
    else:
        history = [s async for s in graph.aget_state_history(config)]
        tuples = [t async for t in saver.alist(config)]
    shapes = [
        (
            s.values,
            s.next,
            s.metadata["step"],
            s.metadata["source"],
            [(t.name, t.result) for t in s.tasks],
        )
        for s in history
    ]
    writes = [
        sorted((c, repr(_no_ids(v))) for _, c, v in t.pending_writes or ())
        for t in tuples
    ]
    return [shapes, writes]


def _no_ids(value: Any) -> Any:
    """Interrupts without their ids (which hash the thread's checkpoint ids)."""
    if isinstance(value, list):
        return [getattr(item, "value", item) for item in value]
    return value


# -- graphs ------------------------------------------------------------------------


def node(name: str, fail: bool = False, ask: bool = False) -> Any:
    def run(state: State) -> State:
        if fail:
            raise ValueError(f"{name} failed")
        token = f"{name}={interrupt('ok?')}" if ask else name
        return {"log": [token]}

    return run


def chain_and_fan(*, fail: str = "", ask: str = "", clash: bool = False) -> Any:
    """prep -> (a, b in parallel) -> join -> last."""
    builder: StateGraph[Any] = StateGraph(State)
    for name in ("prep", "a", "b", "join", "last"):
        run = node(name, fail=name == fail, ask=name == ask)
        if clash and name in ("a", "b"):
            # Both parallel nodes write the same LastValue: the barrier fails.
            run = functools.partial(lambda name, s: {"log": [name], "last": name}, name)
        builder.add_node(name, run)
    builder.add_edge(START, "prep")
    builder.add_edge("prep", "a")
    builder.add_edge("prep", "b")
    builder.add_edge(["a", "b"], "join")
    builder.add_edge("join", "last")
    return builder


# -- the capability ------------------------------------------------------------------


def test_bundled_savers_save_steps_and_overrides_opt_out() -> None:
    assert saves_steps(SqliteSaver, asynchronous=False)
    assert saves_steps(AsyncSqliteSaver, asynchronous=True)
    assert saves_steps(AsyncSqliteSaver, asynchronous=False)
    assert saves_steps(PostgresSaver, asynchronous=False)
    assert saves_steps(AsyncPostgresSaver, asynchronous=True)
    # A saver without it, or a subclass observing put/put_writes, keeps
    # LangGraph's call sequence.
    assert not saves_steps(InMemorySaver, asynchronous=False)
    assert not saves_steps(BaseCheckpointSaver, asynchronous=True)
    assert not saves_steps(SequencedSqlite, asynchronous=False)
    assert not saves_steps(SequencedAsyncPostgres, asynchronous=True)
    assert not saves_steps(PostgresSaver, asynchronous=True)

    class Puts(SqliteSaver):
        def put(self, *args: Any, **kwargs: Any) -> Any:
            return super().put(*args, **kwargs)

    class Steps(Puts):
        def put_step(self, *args: Any, **kwargs: Any) -> Any:
            return super().put_step(*args, **kwargs)

    assert not saves_steps(Puts, asynchronous=False)
    assert saves_steps(Steps, asynchronous=False)


def test_a_spy_on_the_instance_gets_langgraph_sequence(tmp_path: Path) -> None:
    with SqliteSaver.from_conn_string(str(tmp_path / "spy.db")) as saver:
        assert saves_steps(saver, asynchronous=False)
        seen: list[str] = []
        put_writes = saver.put_writes

        def spy(*args: Any) -> None:
            seen.append(args[2])
            put_writes(*args)

        saver.put_writes = spy  # type: ignore[method-assign]
        assert not saves_steps(saver, asynchronous=False)
        graph = chain_and_fan().compile(checkpointer=saver)
        graph.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    assert len(seen) == 6  # __start__, prep, a, b, join, last: one call each


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_step_is_one_call_with_the_last_task_writes(
    backend: str, mode: str, target: Callable[[str], str]
) -> None:
    config = {"configurable": {"thread_id": "t"}}
    async with open_saver(backend, mode, target(backend)) as saver:
        calls = record(saver, mode)
        graph = chain_and_fan().compile(checkpointer=saver)
        out = await call(graph, mode, "invoke", {"log": []}, config, durability="sync")
    assert out["log"] == ["prep", "a", "b", "join", "last"]
    names = [name for name, _ in calls]
    # Input checkpoint; __start__, prep; a or b saved at once, the other with
    # the step's checkpoint; join; last.
    assert names == [
        "put", "put_step", "put_step", "put_writes", "put_step", "put_step", "put_step"
    ]  # fmt: skip
    steps = [args[4] for name, args in calls if name == "put_step"]
    early = calls[3][1][1][0]  # the parallel task that finished first
    late = ("log", ["b"]) if early == ("log", ["a"]) else ("log", ["a"])
    assert early in (("log", ["a"]), ("log", ["b"]))
    assert [[w.writes[0] for w in step] for step in steps] == [
        [("log", [])],
        [("log", ["prep"])],
        [late],
        [("log", ["join"])],
        [("log", ["last"])],
    ]
    # The writes go against the checkpoint their task ran from.
    assert all(isinstance(w, StepWrites) for step in steps for w in step)
    first_id = calls[0][1][1]["id"]
    assert steps[0][0].config["configurable"]["checkpoint_id"] == first_id
    assert calls[1][1][0]["configurable"]["checkpoint_id"] == first_id


async def both(
    backend: str,
    mode: str,
    target: Callable[[str], str],
    run: Callable[[Any, Any], Any],
    build: Callable[[], Any],
) -> list[list[Any]]:
    """``run`` on a capable saver and on a sequenced one; what each stored."""
    seen = []
    for capable in (True, False):
        config = {"configurable": {"thread_id": "t"}}
        async with open_saver(backend, mode, target(backend), capable) as saver:
            graph = build().compile(checkpointer=saver)
            outcome = await run(graph, config)
            seen.append([outcome, *await stored(graph, saver, mode, config)])
    return seen


@pytest.mark.asyncio
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_stored_rows_match_langgraph_sequence(
    backend: str, mode: str, durability: str, target: Callable[[str], str]
) -> None:
    async def run(graph: Any, config: Any) -> Any:
        first = await call(
            graph, mode, "invoke", {"log": []}, config, durability=durability
        )
        done = await call(
            graph, mode, "invoke", Command(resume="y"), config, durability=durability
        )
        return [first["log"], done["log"]]

    ours, theirs = await both(
        backend, mode, target, run, lambda: chain_and_fan(ask="join")
    )
    assert ours == theirs
    assert ours[0] == [["prep", "a", "b"], ["prep", "a", "b", "join=y", "last"]]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_failed_barrier_keeps_the_held_writes(
    backend: str, mode: str, target: Callable[[str], str]
) -> None:
    seen = []
    for capable in (True, False):
        config = {"configurable": {"thread_id": "t"}}
        async with open_saver(backend, mode, target(backend), capable) as saver:
            graph = chain_and_fan(clash=True).compile(checkpointer=saver)
            with pytest.raises(InvalidUpdateError, match=r"^At key 'last': Can rec"):
                await call(
                    graph, mode, "invoke", {"log": []}, config, durability="sync"
                )
            saved = await call(saver, mode, "get_tuple", config)
        seen.append(
            [saved.metadata["step"], sorted((c, v) for _, c, v in saved.pending_writes)]
        )
    assert seen[0] == seen[1]
    assert seen[0] == [  # both tasks' writes are pending on prep's checkpoint
        1,
        [("join:a+b:join", "a"), ("join:a+b:join", "b"), ("last", "a"),
         ("last", "b"), ("log", ["a"]), ("log", ["b"])],
    ]  # fmt: skip


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_failed_task_and_interrupt_steps_store_what_finished(
    backend: str, mode: str, target: Callable[[str], str]
) -> None:
    async def run(graph: Any, config: Any) -> Any:
        with pytest.raises(ValueError, match=r"^b failed"):
            await call(graph, mode, "invoke", {"log": []}, config, durability="sync")
        state = await call(graph, mode, "get_state", config)
        return [(t.name, t.result, t.error is not None) for t in state.tasks]

    ours, theirs = await both(
        backend, mode, target, run, lambda: chain_and_fan(fail="b")
    )
    assert ours == theirs
    assert ours[0] == [("a", {"log": ["a"]}, False), ("b", None, True)]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_closed_stream_still_saves_the_finished_tasks(
    backend: str, mode: str, target: Callable[[str], str]
) -> None:
    """Closing the stream after a step's last update, before its checkpoint."""

    async def run(graph: Any, config: Any) -> Any:
        seen: list[Any] = []
        kwargs = {"stream_mode": "updates", "durability": "sync"}
        if mode == "sync":
            for chunk in graph.stream({"log": []}, config, **kwargs):
                seen.append(chunk)
                if len(seen) == 3:  # prep, then a and b
                    break
        else:
            stream = graph.astream({"log": []}, config, **kwargs)
            async with aclosing(stream):
                async for chunk in stream:
                    seen.append(chunk)
                    if len(seen) == 3:
                        break
        state = await call(graph, mode, "get_state", config)
        return [len(seen), state.next, sorted((t.name, t.result) for t in state.tasks)]

    ours, theirs = await both(backend, mode, target, run, chain_and_fan)
    assert ours == theirs
    # Both finished: their writes are saved (``next`` leaves them out).
    assert ours[0] == [3, (), [("a", {"log": ["a"]}), ("b", {"log": ["b"]})]]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_exit_durability_is_one_call(
    backend: str, mode: str, target: Callable[[str], str]
) -> None:
    config = {"configurable": {"thread_id": "t"}}
    async with open_saver(backend, mode, target(backend)) as saver:
        calls = record(saver, mode)
        graph = chain_and_fan(ask="join").compile(checkpointer=saver)
        await call(graph, mode, "invoke", {"log": []}, config, durability="exit")
        state = await call(graph, mode, "get_state", config)
    assert [name for name, _ in calls] == ["put_step"]
    (step,) = [args[4] for _, args in calls]
    assert [w.writes[0][0] for w in step] == ["__interrupt__"]
    assert state.next == ("join",)
    assert [i.value for i in state.interrupts] == ["ok?"]


# -- put_step itself -------------------------------------------------------------------


def _checkpoint(n: int) -> Any:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"log": ["x"] * n, "n": n}
    checkpoint["channel_versions"] = {"log": f"{n:032}.0", "n": f"{n:032}.0"}
    return checkpoint


async def _put_step_or_sequence(saver: Any, mode: str, capable: bool) -> list[Any]:
    """Store the same writes (duplicates, specials, another thread) both ways."""
    base = {"configurable": {"thread_id": "p", "checkpoint_ns": ""}}
    first = await call(saver, mode, "put", base, _checkpoint(1), {"step": 0}, {})
    elsewhere = {"configurable": {"thread_id": "q", "checkpoint_ns": ""}}
    other = await call(saver, mode, "put", elsewhere, _checkpoint(3), {"step": 0}, {})
    entries = [
        StepWrites(
            first, [("log", 1), ("log", 2), ("__interrupt__", "i1")], "t1", "~a"
        ),
        StepWrites(first, [("log", 9), ("__interrupt__", "i2")], "t1", "~a"),
        StepWrites(first, [("n", 5)], "t2", "~b"),
        StepWrites(other, [("n", 7)], "t3"),
    ]
    checkpoint = _checkpoint(2)
    versions = dict(checkpoint["channel_versions"])
    if capable:
        await call(
            saver, mode, "put_step", first, checkpoint, {"step": 1}, versions, entries
        )
    else:
        for entry in entries:
            await call(saver, mode, "put_writes", *entry)
        await call(saver, mode, "put", first, checkpoint, {"step": 1}, versions)
    found = [
        await call(saver, mode, "get_tuple", config) for config in (first, base, other)
    ]
    return [
        (t.checkpoint["channel_values"], t.metadata["step"], t.pending_writes)
        for t in found
        if t is not None
    ] + [len(found)]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_put_step_stores_what_put_writes_and_put_store(
    backend: str, mode: str, target: Callable[[str], str]
) -> None:
    seen = []
    for capable in (True, False):
        async with open_saver(backend, mode, target(backend)) as saver:
            seen.append(await _put_step_or_sequence(saver, mode, capable))
    assert seen[0] == seen[1]
    pending = seen[0][0][2]
    assert ("t1", "log", 1) in pending
    assert ("t1", "log", 9) not in pending
    assert ("t1", "__interrupt__", "i2") in pending
    assert ("t2", "n", 5) in pending
    assert seen[0][2][2] == [("t3", "n", 7)]  # another thread's writes, stored too


def test_step_writes_is_a_record_of_put_writes_arguments() -> None:
    entry = StepWrites({"configurable": {}}, [("a", 1)], "task")
    assert entry.task_path == ""
    assert tuple(entry) == ({"configurable": {}}, [("a", 1)], "task", "")
    assert asyncio.iscoroutinefunction(AsyncSqliteSaver.aput_step)


# -- async durability: steps need not wait for the disk until the run ends ----------


@pytest.mark.asyncio
@pytest.mark.parametrize("durability", ["sync", "async"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", BACKENDS)
async def test_async_durability_flushes_once_at_the_end(
    backend: str, mode: str, durability: str, target: Callable[[str], str]
) -> None:
    config = {"configurable": {"thread_id": "t"}}
    async with open_saver(backend, mode, target(backend)) as saver:
        calls = record(saver, mode)
        graph = chain_and_fan(ask="join").compile(checkpointer=saver)
        await call(graph, mode, "invoke", {"log": []}, config, durability=durability)
        paused = len(calls)
        await call(
            graph, mode, "invoke", Command(resume="y"), config, durability=durability
        )
        state = await call(graph, mode, "get_state", config)
    assert state.values["log"] == ["prep", "a", "b", "join=y", "last"]
    deferred = backend == "postgres" and durability == "async"
    saves = [args for name, args in calls if name in ("put", "put_step")]
    durable = [args[-1].get("durable", True) for args in saves]
    assert durable == [not deferred] * len(saves)
    flushes = [i for i, (name, _) in enumerate(calls) if name == "flush_steps"]
    # Both runs (the interrupted one too) end with one flush, after their saves.
    assert flushes == ([paused - 1, len(calls) - 1] if deferred else [])
    if deferred:
        last = calls[-1][1][0]["configurable"]
        assert last["checkpoint_id"] == state.config["configurable"]["checkpoint_id"]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", MODES)
async def test_postgres_commits_wait_for_the_flush_as_configured(
    mode: str, target: Callable[[str], str]
) -> None:
    where = target("postgres")
    off = "set_config('synchronous_commit', 'off', true)"
    async with open_saver("postgres", mode, where) as saver:
        config = {"configurable": {"thread_id": "f", "checkpoint_ns": ""}}
        checkpoint = _checkpoint(1)
        for synchronous, durable, waits in [
            ("FULL", True, True),
            ("FULL", False, False),
            ("EXTRA", False, True),
            ("NORMAL", True, False),
        ]:
            saver.synchronous = synchronous
            (statement, _), *_ = saver._put_statements(
                config, checkpoint, {}, {}, durable=durable
            )[0]
            assert (off not in statement) is waits, (synchronous, durable)
        saver.synchronous = "FULL"
        versions = dict(checkpoint["channel_versions"])
        stored = await call(
            saver, mode, "put", config, checkpoint, {"step": 0}, versions
        )
        await call(saver, mode, "flush_steps", stored)
        found = await call(saver, mode, "get_tuple", stored)
    assert found.checkpoint["channel_values"] == {"log": ["x"], "n": 1}
    assert found.metadata["step"] == 0
