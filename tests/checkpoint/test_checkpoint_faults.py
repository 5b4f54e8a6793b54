"""Randomized crash recovery: SIGKILL a graph run at random points, resume, compare.

Each iteration runs a fixed graph (sequential steps, a fan-out into parallel
branches, a ``Send`` map step, and an ``interrupt()`` beside a parallel
sibling) in a child process on the SQLite or Postgres saver, with a seeded
random choice of durability mode, sync or async API, and kill point. The
nodes write numbered progress markers to a pipe; the parent reads up to the
chosen marker and SIGKILLs the child, either while the child is blocked at
that marker (deterministic) or while it keeps running (racing the saver's
writes). The parent then resumes the thread until it is done and checks:

- the final state equals that of an uninterrupted run (no lost or duplicated
  writes), and with ``"sync"``/``"async"`` durability so does every
  checkpoint of the history;
- the history is one chain: ids strictly descending, every parent stored;
- no task ran more than once more than in the uninterrupted run, and tasks
  whose steps were checkpointed, or whose writes were saved, before the kill
  did not run again (each node appends a line to a side-effect file).

``SG_FAULT_ITERATIONS`` (default 12) sets the iterations per backend and
``SG_FAULT_SEED`` (default 0) the first seed; a failing iteration's test id
names its seed, and its assertion message the scenario.

The child process imports this very file (see ``child_main``), so the graph
it runs is the one the parent checks against.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.config import RunnableConfig
from stategraph.graph import END, START, StateGraph
from stategraph.types import Command, Send, interrupt

ITERATIONS = int(os.environ.get("SG_FAULT_ITERATIONS", "12"))
FIRST_SEED = int(os.environ.get("SG_FAULT_SEED", "0"))
SEEDS = [FIRST_SEED + i for i in range(ITERATIONS)]
ANSWER = "yes"
MAP_ITEMS = 4
DURABILITIES = ("sync", "async", "exit")
CHILD_TIMEOUT = 60.0

# -- the graph -----------------------------------------------------------------------


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    item: int


class Probe:
    """Records what the nodes of one process do.

    Every execution appends ``"<step> <label>"`` to the side-effect file. With a
    marker pipe, each node start and end (and the pause at the interrupt) is
    also written there as a numbered line; at marker number ``block_at`` the
    process blocks for good, waiting for the parent's SIGKILL.
    """

    def __init__(
        self,
        effects: str,
        marker_fd: int | None = None,
        block_at: int = 0,
        hold_fd: int | None = None,
    ) -> None:
        self.effects = effects
        self.marker_fd = marker_fd
        self.block_at = block_at
        self.hold_fd = hold_fd
        self.markers = 0
        self.lock = threading.Lock()

    def mark(self, what: str) -> None:
        with self.lock:
            self.markers += 1
            number = self.markers
            if self.marker_fd is not None:
                os.write(self.marker_fd, f"{number} {what}\n".encode())
        if number == self.block_at and self.hold_fd is not None:
            os.read(self.hold_fd, 1)  # the parent never writes: wait for the kill

    def ran(self, step: int, label: str) -> None:
        fd = os.open(self.effects, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{step} {label}\n".encode())
        finally:
            os.close(fd)


def build(probe: Probe) -> StateGraph[Any]:
    def node(name: str) -> Any:
        def run(state: State, config: RunnableConfig) -> State:
            step = config.get("metadata", {})["langgraph_step"]
            label = f"{name}:{state['item']}" if name == "map" else name
            probe.ran(step, label)
            probe.mark(f"start {step} {label}")
            token = f"ask={interrupt('approve?')}" if name == "ask" else label
            probe.mark(f"end {step} {label}")
            return {"log": [token]}

        return run

    builder: StateGraph[Any] = StateGraph(State)
    names = ("prep", "fan_a", "fan_b", "fan_c", "join", "map", "ask", "side")
    for name in (*names, "post_a", "post_b", "final"):
        builder.add_node(name, node(name))
    builder.add_edge(START, "prep")
    for fan in ("fan_a", "fan_b", "fan_c"):  # parallel branches
        builder.add_edge("prep", fan)
    builder.add_edge(["fan_a", "fan_b", "fan_c"], "join")
    builder.add_conditional_edges(  # a map step of parallel Send tasks
        "join", lambda s: [Send("map", {"item": i}) for i in range(MAP_ITEMS)], ["map"]
    )
    builder.add_edge("map", "ask")  # the interrupt, beside a parallel sibling
    builder.add_edge("map", "side")
    builder.add_edge("ask", "post_a")
    builder.add_edge("ask", "post_b")
    builder.add_edge(["post_a", "post_b"], "final")
    builder.add_edge("final", END)
    return builder


def label_of(token: str) -> str:
    return token.partition("=")[0]


def read_effects(path: Path) -> Counter[tuple[int, str]]:
    counts: Counter[tuple[int, str]] = Counter()
    if path.exists():
        for line in path.read_text().splitlines():
            step, label = line.split(" ", 1)
            counts[int(step), label] += 1
    return counts


# -- savers ----------------------------------------------------------------------------


@contextmanager
def open_saver(backend: str, target: str) -> Iterator[Any]:
    if backend == "sqlite":
        from stategraph.checkpoint.sqlite import SqliteSaver

        with SqliteSaver.from_conn_string(target) as saver:
            yield saver
    else:
        from stategraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(target) as saver:
            yield saver


def open_async_saver(backend: str, target: str) -> Any:
    if backend == "sqlite":
        from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        return AsyncSqliteSaver.from_conn_string(target)
    from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver

    return AsyncPostgresSaver.from_conn_string(target)


# -- the child process -------------------------------------------------------------


def child_main(argv: list[str]) -> None:
    """Run the graph to its end (answering the interrupt), reporting progress."""
    backend, target, thread, durability, api = argv[:5]
    effects, marker_fd, block_at, hold_fd = argv[5:]
    probe = Probe(effects, int(marker_fd), int(block_at), int(hold_fd))
    config = {"configurable": {"thread_id": thread}}
    if api == "sync":
        with open_saver(backend, target) as saver:
            graph = build(probe).compile(checkpointer=saver)
            graph.invoke({"log": []}, config, durability=durability)
            probe.mark("paused")
            graph.invoke(Command(resume=ANSWER), config, durability=durability)
    else:

        async def main() -> None:
            async with open_async_saver(backend, target) as saver:
                graph = build(probe).compile(checkpointer=saver)
                await graph.ainvoke({"log": []}, config, durability=durability)
                probe.mark("paused")
                await graph.ainvoke(
                    Command(resume=ANSWER), config, durability=durability
                )

        asyncio.run(main())
    os.write(int(marker_fd), b"done\n")


CHILD = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('sg_fault_child', sys.argv[1])\n"
    "module = sys.modules['sg_fault_child'] = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "module.child_main(sys.argv[2:])\n"
)

# -- the parent ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The uninterrupted run: final values, history, executions, marker count."""

    values: dict[str, Any]
    history: list[tuple[Any, ...]]
    executions: Counter[tuple[int, str]]
    markers: int


def run_to_end(graph: Any, saver: Any, config: Any) -> None:
    """Resume a thread until it is done, answering the interrupt when it is pending."""
    for _ in range(8):
        if saver.get_tuple(config) is None:  # nothing was saved: start over
            graph.invoke({"log": []}, config)
            continue
        snapshot = graph.get_state(config)
        if snapshot.interrupts:
            graph.invoke(Command(resume=ANSWER), config)
        elif snapshot.tasks:  # ``next`` omits tasks whose writes were saved
            graph.invoke(None, config)
        else:
            return
    pytest.fail("the thread did not finish after 8 resumptions")


def shape(history: list[Any]) -> list[tuple[Any, ...]]:
    return [(s.metadata["step"], s.next, s.values) for s in history]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    effects = tmp_path_factory.mktemp("reference") / "effects.txt"
    probe = Probe(str(effects))
    graph = build(probe).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "reference"}}
    paused = graph.invoke({"log": []}, config)
    assert [i.value for i in paused["__interrupt__"]] == ["approve?"]
    probe.mark("paused")
    done = graph.invoke(Command(resume=ANSWER), config)
    history = list(graph.get_state_history(config))
    assert done == history[0].values
    log = done["log"]
    assert len(log) == len(set(log)) == 14
    assert log[-1] == "final"
    return Reference(done, shape(history), read_effects(effects), probe.markers)


def read_markers(
    fd: int, count: int, child: subprocess.Popen[bytes], log: Path
) -> list[str]:
    """Read ``count`` marker lines from the child, failing on EOF or timeout."""
    lines: list[str] = []
    pending = b""
    deadline = time.monotonic() + CHILD_TIMEOUT
    while len(lines) < count:
        if b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            lines.append(line.decode())
            continue
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            pytest.fail(f"no marker from the child for {CHILD_TIMEOUT}s: {lines}")
        chunk = os.read(fd, 4096)
        if not chunk:
            child.wait(timeout=CHILD_TIMEOUT)
            pytest.fail(
                f"child exited ({child.returncode}) after markers {lines}:\n"
                + log.read_text()
            )
        pending += chunk
    return lines


def crash_child(
    backend: str, target: str, argv: list[str], kill_at: int, block: bool, log: Path
) -> tuple[list[str], int]:
    """Run the child, SIGKILL it after marker ``kill_at``; return markers, exit code."""
    markers_r, markers_w = os.pipe()
    hold_r, hold_w = os.pipe()
    with log.open("wb") as stderr:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                __file__,
                backend,
                target,
                *argv,
                str(markers_w),
                str(kill_at if block else 0),
                str(hold_r),
            ],
            pass_fds=(markers_w, hold_r),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    os.close(markers_w)
    os.close(hold_r)
    try:
        seen = read_markers(markers_r, kill_at, child, log)
        child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=CHILD_TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(markers_r)
        os.close(hold_w)
    return seen, code


def check_iteration(
    backend: str, target: str, seed: int, reference: Reference, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    durability = rng.choice(DURABILITIES)
    api = rng.choice(("sync", "async"))
    kill_at = rng.randint(1, reference.markers)
    block = rng.random() < 0.5
    thread = f"fault-{seed}-{uuid.uuid4().hex[:8]}"
    effects = tmp_path / f"effects-{seed}.txt"
    scenario = (
        f"seed={seed} backend={backend} durability={durability} api={api} "
        f"kill_at={kill_at}/{reference.markers} "
        f"{'blocked' if block else 'running'}"
    )
    argv = [thread, durability, api, str(effects)]
    seen, code = crash_child(
        backend, target, argv, kill_at, block, tmp_path / f"child-{seed}.log"
    )
    stderr = (tmp_path / f"child-{seed}.log").read_text()
    assert code == -signal.SIGKILL or (not block and code == 0), (
        f"{scenario}: child exit {code}\n{stderr}"
    )
    scenario += f" last marker={seen[-1]!r}"
    before = read_effects(effects)

    config = {"configurable": {"thread_id": thread}}
    with open_saver(backend, target) as saver:
        graph = build(Probe(str(effects))).compile(checkpointer=saver)
        saved = saver.get_tuple(config)
        frozen: set[tuple[int, str]] = set()  # executions that must not repeat
        if saved is not None:
            saved_step = saved.metadata["step"]
            frozen |= {key for key in before if key[0] <= saved_step}
            for task in graph.get_state(config).tasks:
                if task.result is not None:  # its writes were saved
                    for token in task.result["log"]:
                        frozen.add((saved_step + 1, label_of(token)))

        run_to_end(graph, saver, config)

        final = graph.get_state(config)
        history = list(graph.get_state_history(config))
    after = read_effects(effects)

    # Final state as without the crash: nothing lost, nothing applied twice.
    assert final.values == reference.values, scenario
    assert final.next == (), scenario
    assert final.tasks == (), scenario
    assert final.interrupts == (), scenario
    # One chain of checkpoints, newest first, each parent stored.
    ids = [s.config["configurable"]["checkpoint_id"] for s in history]
    assert ids == sorted(ids, reverse=True), scenario
    assert len(set(ids)) == len(ids), scenario
    for child_state, parent_state in itertools.pairwise(history):
        assert child_state.parent_config is not None, scenario
        parent_id = child_state.parent_config["configurable"]["checkpoint_id"]
        assert parent_id == parent_state.config["configurable"]["checkpoint_id"], (
            scenario
        )
        assert parent_state.metadata["step"] < child_state.metadata["step"], scenario
    assert history[-1].parent_config is None, scenario
    if durability != "exit":  # every step was checkpointed, as without the crash
        assert shape(history) == reference.history, scenario
    # Executions: at most one more than without the crash, none for saved work.
    assert set(after) == set(reference.executions), scenario
    for key, runs in after.items():
        expected = reference.executions[key]
        assert expected <= runs <= expected + 1, f"{scenario}: {key} ran {runs}x"
    for key in frozen:
        assert after[key] == before[key] == reference.executions[key], (
            f"{scenario}: {key} ran again although its result was saved"
        )


# -- tests -----------------------------------------------------------------------------


def test_reference_run_marks_every_node(reference: Reference) -> None:
    # 15 executions (the interrupted one has no end marker) and the pause.
    assert sum(reference.executions.values()) == 15
    assert reference.executions[5, "ask"] == 2
    assert reference.markers == 2 * 15 - 1 + 1


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_sqlite_sigkill_at_random_points(
    seed: int, reference: Reference, tmp_path: Path
) -> None:
    check_iteration("sqlite", str(tmp_path / "faults.db"), seed, reference, tmp_path)


@pytest.fixture
def postgres_dsn(schemas: Callable[[], str]) -> str:
    dsn = schemas()
    with open_saver("postgres", dsn) as saver:
        saver.setup()
    return dsn


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed{s}" for s in SEEDS])
def test_postgres_sigkill_at_random_points(
    seed: int, reference: Reference, postgres_dsn: str, tmp_path: Path
) -> None:
    check_iteration("postgres", postgres_dsn, seed, reference, tmp_path)
