"""Graphs on the SQLite savers: interrupt/resume/history, and resuming after SIGKILL."""

from __future__ import annotations

import operator
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from stategraph.graph import START, StateGraph
from stategraph.types import Command, interrupt


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def build() -> StateGraph[Any]:
    def ask(state: State) -> dict[str, Any]:
        return {"log": [f"answer:{interrupt('ok?')}"]}

    builder = StateGraph(State)
    builder.add_node("first", lambda s: {"log": ["first"]})
    builder.add_node("ask", ask)
    builder.add_node("last", lambda s: {"log": ["last"]})
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

    async def history(self, config: Any) -> list[Any]:
        if self.mode == "sync":
            return list(self.graph.get_state_history(config))
        return [s async for s in self.graph.aget_state_history(config)]


@asynccontextmanager
async def open_saver(mode: str, path: str, **kwargs: Any) -> AsyncIterator[Any]:
    if mode == "sync":
        with SqliteSaver.from_conn_string(path, **kwargs) as saver:
            yield saver
    else:
        async with AsyncSqliteSaver.from_conn_string(path, **kwargs) as saver:
            yield saver


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_graph_interrupts_resumes_and_lists_history(
    mode: str, tmp_path: Path
) -> None:
    path, config = str(tmp_path / "graph.db"), {"configurable": {"thread_id": "1"}}
    async with open_saver(mode, path) as saver:
        api = Api(build().compile(checkpointer=saver), mode)
        first = await api.invoke({"log": ["start"]}, config)
        assert [i.value for i in first["__interrupt__"]] == ["ok?"]
        assert (await api.state(config)).next == ("ask",)
    async with open_saver(mode, path) as saver:  # a new connection resumes
        api = Api(build().compile(checkpointer=saver), mode)
        done = await api.invoke(Command(resume="yes"), config)
        assert done == {"log": ["start", "first", "answer:yes", "last"]}
        history = await api.history(config)
        assert [s.values["log"][-1] for s in history[:3]] == [
            "last",
            "answer:yes",
            "first",
        ]
        assert history[0].next == ()
        past = await api.invoke(None, history[2].config)  # replay from the past
        assert "__interrupt__" in past


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_graph_with_retention_keeps_last_checkpoints(
    mode: str, tmp_path: Path
) -> None:
    config = {"configurable": {"thread_id": "1"}}
    async with open_saver(mode, str(tmp_path / "r.db"), keep_last=2) as saver:
        api = Api(build().compile(checkpointer=saver), mode)
        await api.invoke({"log": []}, config)
        done = await api.invoke(Command(resume="y"), config)
        assert done == {"log": ["first", "answer:y", "last"]}
        assert len(await api.history(config)) == 2


# -- crash recovery ---------------------------------------------------------------

CRASH_GRAPH = textwrap.dedent(
    """
    import operator, os, sys
    from typing import Annotated
    from typing_extensions import TypedDict
    from stategraph.graph import START, StateGraph

    class State(TypedDict):
        log: Annotated[list[str], operator.add]

    def node(name, block=False):
        def run(state):
            with open(os.environ["RUNS"], "a") as runs:
                runs.write(name + "\\n")
            if block and os.environ.get("BLOCK"):
                # a_fast runs in parallel: the kill must come after its
                # writes are saved, or whether they are is a race.
                assert SAVED.wait(30), "a_fast's writes were never saved"
                print("blocked", flush=True)  # the parent kills us now
                sys.stdin.readline()
            return {"log": [name]}
        return run

    def build():
        b = StateGraph(State)
        for name in ("one", "two", "a_fast", "b_slow", "four", "five"):
            b.add_node(name, node(name, block=name == "b_slow"))
        b.add_edge(START, "one")
        b.add_edge("one", "two")
        b.add_edge("two", "a_fast")
        b.add_edge("two", "b_slow")
        b.add_edge(["a_fast", "b_slow"], "four")
        b.add_edge("four", "five")
        return b
    """
)
RUN_CHILD = CRASH_GRAPH + textwrap.dedent(
    """
    import threading
    from stategraph.checkpoint.sqlite import SqliteSaver

    SAVED = threading.Event()

    class Saver(SqliteSaver):
        def put_writes(self, config, writes, task_id, task_path=""):
            super().put_writes(config, writes, task_id, task_path)
            if ("log", ["a_fast"]) in writes:
                SAVED.set()

    with Saver.from_conn_string(sys.argv[1]) as saver:
        graph = build().compile(checkpointer=saver)
        graph.invoke({"log": []}, {"configurable": {"thread_id": "crash"}},
                     durability="sync")
    """
)


def _runs(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_resume_after_sigkill_matches_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, runs = tmp_path / "crash.db", tmp_path / "runs.txt"
    env = {**os.environ, "RUNS": str(runs), "BLOCK": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", RUN_CHILD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "blocked"
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # a_fast and b_slow run in parallel threads: either may log first.
    first = _runs(runs)
    assert first[:2] == ["one", "two"]
    assert sorted(first[2:]) == ["a_fast", "b_slow"]

    namespace: dict[str, Any] = {}
    exec(compile(CRASH_GRAPH, "crash_graph", "exec", dont_inherit=True), namespace)
    monkeypatch.setenv("RUNS", str(tmp_path / "reference.txt"))
    monkeypatch.delenv("BLOCK", raising=False)
    expected = namespace["build"]().compile().invoke({"log": []})
    monkeypatch.setenv("RUNS", str(runs))
    config = {"configurable": {"thread_id": "crash"}}
    with SqliteSaver.from_conn_string(str(db)) as saver:
        graph = namespace["build"]().compile(checkpointer=saver)
        assert graph.invoke(None, config) == expected
        assert graph.get_state(config).next == ()
    # Only the killed task ran again; finished ones (a_fast too) were not.
    assert _runs(runs) == [*first, "b_slow", "four", "five"]


# -- classes in the state, across processes ------------------------------------------

SCHEMA_GRAPH = textwrap.dedent(
    """
    import dataclasses
    import enum
    from typing import Optional

    from typing_extensions import TypedDict

    from stategraph.func import entrypoint, task
    from stategraph.graph import START, StateGraph
    from stategraph.types import interrupt


    class Colour(enum.Enum):
        RED = "red"


    @dataclasses.dataclass
    class Point:
        x: int
        colour: Optional[Colour] = None


    class State(TypedDict):
        point: Point


    def move(state: State) -> dict:
        moved = Point(state["point"].x + 1, Colour.RED)
        return {"point": moved}


    builder = StateGraph(State)
    builder.add_node("move", move)
    builder.add_edge(START, "move")


    @task
    def make(x: int) -> Point:
        return Point(x + 1, Colour.RED)


    def workflow(saver):
        @entrypoint(checkpointer=saver)
        def run(x: int) -> dict:
            made = make(x).result()
            interrupt("go on?")  # resumed by the other process
            return {"point": made}

        return run
    """
)

SCHEMA_RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from stategraph.checkpoint.sqlite import SqliteSaver
    from stategraph.server._config import import_object
    from stategraph.types import Command

    mode, db, spec = sys.argv[1:4]
    made = import_object(spec, Path(db).parent)
    with SqliteSaver.from_conn_string(db) as saver:
        config = {"configurable": {"thread_id": "t"}}
        if spec.endswith(":workflow"):
            graph, inputs = made(saver), 1
        else:
            point = sys.modules[made.state_schema.__module__].Point(1)
            graph, inputs = made.compile(checkpointer=saver), {"point": point}
        if mode == "write":
            graph.invoke(inputs, config)
        elif spec.endswith(":workflow"):  # the task's saved result is reused
            graph.invoke(Command(resume="yes"), config)
        print(repr(graph.get_state(config).values))
    """
)


@pytest.mark.parametrize(
    "spec",
    ["./schema_graph.py:builder", "schema_graph:builder", "schema_graph:workflow"],
)
def test_classes_of_the_state_schema_load_in_another_process(
    tmp_path: Path, spec: str
) -> None:
    # The reading process never wrote a Point: it can load one only because
    # compiling the graph (or defining the entrypoint and task) registered the
    # classes their schemas name (and, for a graph file, the module holding
    # them has the same name in every process). The workflow is resumed there,
    # from the task result the first process saved.
    (tmp_path / "schema_graph.py").write_text(SCHEMA_GRAPH)
    db = str(tmp_path / "schema.db")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
        "PYTHONWARNINGS": "error",
    }
    outputs = [
        subprocess.run(
            [sys.executable, "-c", SCHEMA_RUN, mode, db, spec],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        for mode in ("write", "read")
    ]
    for out in outputs:
        assert out.returncode == 0, out.stderr
    expected = "{'point': Point(x=2, colour=<Colour.RED: 'red'>)}\n"
    first = "None\n" if spec.endswith(":workflow") else expected  # interrupted
    assert [out.stdout for out in outputs] == [first, expected]
