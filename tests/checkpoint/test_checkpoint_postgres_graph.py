"""Graphs on the Postgres savers, crash recovery, and concurrent writer processes."""

from __future__ import annotations

import importlib.util
import operator
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import psycopg
import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.base import uuid6
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres._base import THREAD_LOCK_CLASS
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.graph import START, StateGraph
from stategraph.types import Command, interrupt


@pytest.fixture
def dsn(schemas: Callable[[], str]) -> str:
    return schemas()


# -- interrupt, resume, history ------------------------------------------------------


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    count: int
    notes: dict[str, Any]


def build() -> StateGraph[Any]:
    def first(state: State) -> State:
        return {"log": ["first"], "count": 1, "notes": {"seen": ["first"]}}

    def ask(state: State) -> State:
        return {"log": [f"answer:{interrupt('ok?')}"], "count": state["count"] + 1}

    def last(state: State) -> State:
        return {"log": ["last"], "notes": {"seen": [*state["notes"]["seen"], "last"]}}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("ask", ask)
    builder.add_node("last", last)
    builder.add_edge(START, "first")
    builder.add_edge("first", "ask")
    builder.add_edge("ask", "last")
    return builder


class Api:
    """One awaitable surface over a compiled graph's sync or async methods."""

    def __init__(self, graph: Any, mode: str) -> None:
        self.graph, self.mode = graph, mode

    async def invoke(self, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            return self.graph.invoke(*args, **kwargs)
        return await self.graph.ainvoke(*args, **kwargs)

    async def state(self, config: Any) -> Any:
        if self.mode == "sync":
            return self.graph.get_state(config)
        return await self.graph.aget_state(config)

    async def history(self, config: Any, **kwargs: Any) -> list[Any]:
        if self.mode == "sync":
            return list(self.graph.get_state_history(config, **kwargs))
        return [s async for s in self.graph.aget_state_history(config, **kwargs)]


@asynccontextmanager
async def open_saver(mode: str, dsn: str, **kwargs: Any) -> AsyncIterator[Any]:
    if mode == "memory":
        yield InMemorySaver()
    elif mode == "sync":
        with PostgresSaver.from_conn_string(dsn, **kwargs) as saver:
            saver.setup()
            yield saver
    else:
        async with AsyncPostgresSaver.from_conn_string(dsn, **kwargs) as saver:
            await saver.setup()
            yield saver


async def scenario(mode: str, dsn: str, **kwargs: Any) -> list[Any]:
    """Run, interrupt, resume on a new connection, list; return what was seen."""
    config = {"configurable": {"thread_id": "graph"}}
    api_mode = "sync" if mode == "memory" else mode
    async with open_saver(mode, dsn, **kwargs) as saver:
        api = Api(build().compile(checkpointer=saver), api_mode)
        first = await api.invoke({"log": ["start"]}, config)
        paused = await api.state(config)
        seen: list[Any] = [first, paused.next, paused.values]
        if mode != "memory":  # a new connection picks the thread up
            saver = None
            async with open_saver(mode, dsn, **kwargs) as fresh:
                api = Api(build().compile(checkpointer=fresh), api_mode)
                seen += await _resume(api, config)
        else:
            seen += await _resume(api, config)
    return seen


async def _resume(api: Api, config: Any) -> list[Any]:
    done = await api.invoke(Command(resume="yes"), config)
    history = await api.history(config)
    steps = [
        (s.values, s.next, s.metadata["source"], s.metadata["step"]) for s in history
    ]
    limited = await api.history(config, limit=2, filter={"source": "loop"})
    replay = await api.invoke(None, history[2].config)  # from before "ask" ran
    return [done, steps, [s.metadata["step"] for s in limited], replay]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_graph_interrupt_resume_history_like_memory(mode: str, dsn: str) -> None:
    seen = await scenario(mode, dsn)
    first, nxt, values, done, steps, limited, replay = seen
    assert [i.value for i in first["__interrupt__"]] == ["ok?"]
    assert nxt == ("ask",)
    assert values["count"] == 1
    assert done["log"] == ["start", "first", "answer:yes", "last"]
    assert done["notes"] == {"seen": ["first", "last"]}
    assert done["count"] == 2
    assert [s[2:] for s in steps] == [
        ("loop", 3), ("loop", 2), ("loop", 1), ("loop", 0), ("input", -1)
    ]  # fmt: skip
    assert limited == [3, 2]
    assert "__interrupt__" in replay
    assert _plain(seen) == _plain(await scenario("memory", dsn))


def _plain(seen: list[Any]) -> list[Any]:
    """Interrupt ids hash random checkpoint ids: compare interrupt values only."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict) and "__interrupt__" in value:
            return {**value, "__interrupt__": [i.value for i in value["__interrupt__"]]}
        return value

    return [strip(value) for value in seen]


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_graph_with_retention_keeps_last_checkpoints(mode: str, dsn: str) -> None:
    sizes = []
    for thread, keep in (("full", None), ("kept", 2)):
        config = {"configurable": {"thread_id": thread}}
        async with open_saver(mode, dsn, keep_last=keep) as saver:
            api = Api(build().compile(checkpointer=saver), mode)
            await api.invoke({"log": []}, config)
            done = await api.invoke(Command(resume="y"), config)
            assert done["log"] == ["first", "answer:y", "last"]
            history = await api.history(config)
            if mode == "sync":
                sizes.append(saver.storage_size(thread))
            else:
                sizes.append(await saver.astorage_size(thread))
    assert len(history) == 2
    assert history[-1].parent_config is None
    assert 0 < sizes[1] < sizes[0] * 0.6


# -- crash recovery ---------------------------------------------------------------

CRASH_GRAPH = """
import operator, os, sys, threading
from typing import Annotated
from typing_extensions import TypedDict
from stategraph.graph import START, StateGraph


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def build(log_dir, gate=None):
    def node(name):
        def run(state):
            with open(os.path.join(log_dir, name), "a") as runs:
                runs.write("ran\\n")
            if name == "b_slow" and gate is not None:
                # a_fast runs in parallel: the kill must come after its
                # writes are saved, or whether they are is a race.
                assert SAVED.wait(30), "a_fast's writes were never saved"
                os.write(gate[0], b"!")  # tell the parent; it SIGKILLs us now
                os.read(gate[1], 1)  # the parent never writes: wait for the kill
            return {"log": [name]}
        return run

    builder = StateGraph(State)
    for name in ("one", "two", "a_fast", "b_slow", "four", "five"):
        builder.add_node(name, node(name))
    builder.add_edge(START, "one")
    builder.add_edge("one", "two")
    builder.add_edge("two", "a_fast")
    builder.add_edge("two", "b_slow")
    builder.add_edge(["a_fast", "b_slow"], "four")
    builder.add_edge("four", "five")
    return builder


SAVED = threading.Event()


if __name__ == "__main__":
    from stategraph.checkpoint.postgres import PostgresSaver

    class Saver(PostgresSaver):
        def put_writes(self, config, writes, task_id, task_path=""):
            super().put_writes(config, writes, task_id, task_path)
            if ("log", ["a_fast"]) in writes:
                SAVED.set()

    dsn, log_dir, ready, hold = sys.argv[1:]
    with Saver.from_conn_string(dsn) as saver:
        graph = build(log_dir, (int(ready), int(hold))).compile(checkpointer=saver)
        graph.invoke({"log": []}, {"configurable": {"thread_id": "crash"}},
                     durability="sync")
"""


def _load_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("pg_crash_graph", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_and_kill_child(script: Path, dsn: str, logs: Path) -> None:
    """Run the crash graph in a child; SIGKILL it once ``b_slow`` is running."""
    ready_r, ready_w = os.pipe()
    hold_r, hold_w = os.pipe()
    child = subprocess.Popen(
        [sys.executable, str(script), dsn, str(logs), str(ready_w), str(hold_r)],
        pass_fds=(ready_w, hold_r),
    )
    os.close(ready_w)
    os.close(hold_r)
    try:
        assert os.read(ready_r, 1) == b"!"  # b"" would mean the child died early
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        os.close(ready_r)
        os.close(hold_w)


def _runs(log_dir: Path) -> dict[str, int]:
    return {p.name: len(p.read_text().split()) for p in sorted(log_dir.iterdir())}


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_resume_after_sigkill_matches_uninterrupted_run(
    mode: str, dsn: str, tmp_path: Path
) -> None:
    script, logs, reference = tmp_path / "crash.py", tmp_path / "logs", tmp_path / "ref"
    script.write_text(CRASH_GRAPH)
    logs.mkdir()
    reference.mkdir()
    with PostgresSaver.from_conn_string(dsn) as saver:
        saver.setup()
    _run_and_kill_child(script, dsn, logs)
    assert _runs(logs) == {"a_fast": 1, "b_slow": 1, "one": 1, "two": 1}

    module = _load_module(script)
    expected = module.build(str(reference)).compile().invoke({"log": []})
    config = {"configurable": {"thread_id": "crash"}}
    async with open_saver(mode, dsn) as saver:
        api = Api(module.build(str(logs)).compile(checkpointer=saver), mode)
        pending = (await api.state(config)).tasks
        assert [t.name for t in pending] == ["a_fast", "b_slow"]
        assert pending[0].result is not None
        assert pending[1].result is None
        assert await api.invoke(None, config) == expected
        assert (await api.state(config)).next == ()
    # Finished tasks (a_fast too: its writes were saved) did not run again.
    assert _runs(logs) == {
        "a_fast": 1, "b_slow": 2, "five": 1, "four": 1, "one": 1, "two": 1
    }  # fmt: skip


# -- two writer processes on one thread ----------------------------------------------

WRITER = """
import sys
from datetime import datetime, timezone
from stategraph.checkpoint.base import uuid6
from stategraph.checkpoint.postgres import PostgresSaver

dsn, worker, steps, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with PostgresSaver.from_conn_string(
    dsn, keep_last=int(keep) if keep != "none" else None
) as saver:
    root = saver.get_tuple({"configurable": {"thread_id": "shared"}})
    parent, versions = root.config, dict(root.checkpoint["channel_versions"])
    own = f"own_{worker}"
    print("ready", flush=True)
    sys.stdin.readline()
    for step in range(steps):
        new = {}
        if step % 2 == 0:  # an unchanged blob is shared with the next checkpoint
            versions[own] = new[own] = saver.get_next_version(versions.get(own), None)
        checkpoint = {
            "v": 4, "id": str(uuid6(clock_seq=step)),
            "ts": datetime.now(timezone.utc).isoformat(),
            "channel_values": {"shared": ["S"], own: [worker, step - step % 2]},
            "channel_versions": dict(versions), "versions_seen": {},
        }
        meta = {"source": "loop", "step": step, "worker": worker}
        parent = saver.put(parent, checkpoint, meta, new)
        saver.put_writes(parent, [("w", [worker, step])], f"task-{worker}")
"""


def _writers(dsn: str, script: Path, steps: int, keep: int | None) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, str(script), dsn, w, str(steps), str(keep or "none")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in ("a", "b")
    ]
    for child in children:  # both connected; start them together
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
    for child in children:
        child.communicate("go\n", timeout=120)
        assert child.returncode == 0


@pytest.mark.parametrize("keep", [None, 2])
def test_two_processes_write_one_thread(
    dsn: str, tmp_path: Path, keep: int | None
) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    steps = 30
    with PostgresSaver.from_conn_string(dsn) as saver:
        saver.setup()
        version = saver.get_next_version(None, None)
        root = {
            "v": 4,
            "id": str(uuid6()),
            "ts": "",
            "channel_values": {"shared": ["S"]},
            "channel_versions": {"shared": version},
            "versions_seen": {},
        }
        meta = {"source": "input", "step": -1}
        saver.put(_cfg("shared"), root, meta, {"shared": version})
        _writers(dsn, script, steps, keep)
        listed = list(saver.list({"configurable": {"thread_id": "shared"}}))
        with psycopg.connect(dsn) as conn:
            blobs = conn.execute("SELECT count(*) FROM checkpoint_blobs").fetchone()
            writes = conn.execute("SELECT count(*) FROM checkpoint_writes").fetchone()
    assert len(listed) == (2 * steps + 1 if keep is None else keep)
    referenced = set()
    for item in listed:  # every listed checkpoint loads whole: no blob went missing
        values = item.checkpoint["channel_values"]
        assert set(values) == set(item.checkpoint["channel_versions"])
        if item.metadata["source"] == "loop":
            worker, step = item.metadata["worker"], item.metadata["step"]
            assert values[f"own_{worker}"] == [worker, step - step % 2]
            assert item.pending_writes == [(f"task-{worker}", "w", [worker, step])]
        referenced |= set(item.checkpoint["channel_versions"].items())
    assert blobs is not None
    assert blobs[0] == len(referenced)
    assert writes is not None
    assert writes[0] == (2 * steps if keep is None else keep)
    if keep is None:
        for worker in ("a", "b"):
            mine = [
                t.metadata["step"] for t in listed if t.metadata.get("worker") == worker
            ]
            assert sorted(mine) == list(range(steps))


def test_writers_of_a_thread_wait_for_its_advisory_lock(dsn: str) -> None:
    """``put`` takes the thread's lock first; other threads are not held up."""
    waiting = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s"
    )
    empty = {"v": 4, "id": str(uuid6()), "ts": "", "channel_values": {},
             "channel_versions": {}, "versions_seen": {}}  # fmt: skip
    with (
        PostgresSaver.from_conn_string(dsn) as saver,
        PostgresSaver.from_conn_string(dsn) as other,
        psycopg.connect(dsn) as holder,
    ):
        saver.setup()
        holder.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
            (THREAD_LOCK_CLASS, "locked"),
        )  # held until holder commits
        blocked = threading.Thread(
            target=saver.put, args=(_cfg("locked"), empty, {}, {})
        )
        blocked.start()
        deadline = time.monotonic() + 30
        while holder.execute(waiting, (THREAD_LOCK_CLASS,)).fetchone() != (1,):
            assert time.monotonic() < deadline, "put never queued on the thread lock"
            time.sleep(0.005)
        other.put(_cfg("free"), {**empty, "id": str(uuid6())}, {}, {})
        assert other.get_tuple(_cfg("free")) is not None
        assert other.get_tuple(_cfg("locked")) is None
        holder.commit()
        blocked.join(timeout=30)
        assert not blocked.is_alive()
        assert other.get_tuple(_cfg("locked")) is not None


def _cfg(thread: str) -> Any:
    return {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
