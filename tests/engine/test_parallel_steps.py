"""Tasks of a step run in parallel whenever one of them blocks.

A step's branches must overlap from the graph's first run (no learning run
where they wait for each other), and again when nodes seen as quick block
the next time; the concurrency limit holds, and a stream closed mid-step
returns once the running tasks are done.
"""

from __future__ import annotations

import operator
import threading
from typing import Annotated, Any

from typing_extensions import TypedDict

from stategraph.graph import START, StateGraph

WAIT = 20.0
"""Seconds a node waits for its siblings before the test fails (a deadlock)."""


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


def _fan_out(nodes: dict[str, Any]) -> Any:
    builder = StateGraph(State)
    for name, node in nodes.items():
        builder.add_node(name, node)
        builder.add_edge(START, name)
    return builder.compile()


def _meeting(names: list[str], barrier: list[threading.Barrier | None]) -> Any:
    """Nodes that only finish when all of them run at once (if ``barrier[0]``)."""

    def make(name: str) -> Any:
        def node(state: State) -> State:
            if barrier[0] is not None:
                barrier[0].wait(WAIT)  # BrokenBarrierError: they did not overlap
            return {"log": [name]}

        return node

    return _fan_out({name: make(name) for name in names})


def test_branches_overlap_on_first_and_later_runs(driver: Any) -> None:
    names = ["a", "b", "c"]
    barrier: list[threading.Barrier | None] = [threading.Barrier(3)]
    graph = _meeting(names, barrier)
    assert driver.invoke(graph, {"log": []})["log"] == names
    # Quick now: the nodes are known to be fast, then block again.
    barrier[0] = None
    assert driver.invoke(graph, {"log": []})["log"] == names
    barrier[0] = threading.Barrier(3)
    assert driver.invoke(graph, {"log": []})["log"] == names


def test_concurrency_limit_of_one_runs_tasks_one_by_one(driver: Any) -> None:
    running: list[str] = []
    overlaps: list[list[str]] = []
    work = threading.Event()  # never set: waiting on it is the node's slow work
    seconds = [0.0]

    def make(name: str) -> Any:
        def node(state: State) -> State:
            running.append(name)
            overlaps.append(list(running))
            work.wait(seconds[0])
            running.remove(name)
            return {"log": [name]}

        return node

    graph = _fan_out({name: make(name) for name in "abc"})
    config = {"max_concurrency": 1}
    # Unknown nodes; nodes known to be quick that block; nodes known to block.
    for seconds[0] in (0.0, 0.05, 0.05):
        assert driver.invoke(graph, {"log": []}, config)["log"] == ["a", "b", "c"]
    assert len(overlaps) == 9
    assert all(len(seen) == 1 for seen in overlaps)


def test_closed_stream_waits_for_running_tasks() -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[str] = []

    def quick(state: State) -> State:
        return {"log": ["quick"]}

    def slow(state: State) -> State:
        started.set()
        assert release.wait(WAIT)
        finished.append("slow")
        return {"log": ["slow"]}

    graph = _fan_out({"quick": quick, "slow": slow})
    stream = graph.stream({"log": []}, stream_mode="updates")
    assert next(stream) == {"quick": {"log": ["quick"]}}
    assert started.wait(WAIT)
    closer = threading.Thread(target=stream.close)
    closer.start()
    release.set()
    closer.join(WAIT)
    assert not closer.is_alive()
    assert finished == ["slow"]
