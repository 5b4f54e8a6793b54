"""Parallel tasks commit in completion order, as LangGraph's runner does.

Each program fans out to nodes that finish in a forced order: the first node
of ``order`` returns at once, every other one waits (``threading.Event``) until
the saver has stored the writes of the node before it. So the gates only open
if the library runs the branches in parallel from the first run and commits
each task when it finishes; the recording then compares the stream chunks and
the pending writes saved for the fan-out step (in the order the saver got them).

(A gate opened by the stream consumer would race in LangGraph's sync runner:
its caller can wake before a finished task's chunk is queued, and then waits
for the next task to finish.) The runs pass no ``max_concurrency`` (the
harness's default of ``1`` would serialise LangGraph's runner and deadlock the
gates). The second run of each program reuses the compiled graph.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import threading
from typing import Annotated, Any

import pytest
from _harness import Driver, Recorder, pytest_repro, run_differential
from _lib import Lib
from typing_extensions import TypedDict

GATE_SECONDS = 20.0
"""How long a gated node waits before failing the test (a deadlock, not a race)."""


class Fan(TypedDict, total=False):
    log: Annotated[list, operator.add]


def _node(name: str, gates: dict[str, threading.Event], is_async: bool) -> Any:
    def opened() -> None:
        if not gates[name].wait(GATE_SECONDS):
            raise TimeoutError(f"{name} was never released: branches not parallel")

    if is_async:

        async def anode(state: Fan) -> Fan:
            await asyncio.to_thread(opened)
            return {"log": [name]}

        return anode

    def node(state: Fan) -> Fan:
        opened()
        return {"log": [name]}

    return node


def _saver(lib: Lib, release: Any) -> Any:
    class GatingSaver(lib.InMemorySaver):  # type: ignore[name-defined, misc]
        """Opens the next gate once a node's writes are saved."""

        def __init__(self) -> None:
            super().__init__()
            self.calls: list[Any] = []

        def put_writes(self, config: Any, writes: Any, task_id: str, *rest: Any):
            super().put_writes(config, writes, task_id, *rest)
            self.calls.append(list(writes))
            for channel, value in writes:
                if channel == "log":
                    release(value)

    return GatingSaver()


def _build(lib: Lib, order: list[str], gates: dict[str, threading.Event], kind: str):
    after = dict(itertools.pairwise(order))

    def release(names: list[str]) -> None:
        for name in names:
            if name in after:
                gates[after[name]].set()

    builder = lib.StateGraph(Fan)
    builder.add_node("first", lambda state: {"log": ["first"]})
    builder.add_edge(lib.START, "first")
    for name in sorted(order):
        builder.add_node(name, _node(name, gates, kind == "async-nodes"))
        builder.add_edge("first", name)
    builder.add_node("join", lambda state: {"log": ["join"]})
    builder.add_edge(sorted(order), "join")
    return builder.compile(checkpointer=_saver(lib, release))


async def _stream(d: Driver, graph: Any, config: Any) -> list[Any]:
    modes = ["updates", "tasks"]
    if d.is_async:
        return [
            chunk
            async for chunk in graph.astream({"log": []}, config, stream_mode=modes)
        ]
    return list(graph.stream({"log": []}, config, stream_mode=modes))


def _program(order: list[str], kind: str, runs: int) -> Any:
    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        gates = {name: threading.Event() for name in order}
        graph = _build(lib, order, gates, kind)
        for run in range(runs):
            for gate in gates.values():
                gate.clear()
            gates[order[0]].set()
            config = {"configurable": {"thread_id": f"parallel-{run}"}}
            saver = graph.checkpointer
            saver.calls.clear()
            rec.add(f"run {run}: chunks", await _stream(d, graph, config))
            # The fan-out's own writes (LangGraph orders a node's edge writes
            # by a set, so the writes of "first" vary between processes).
            fanned = [w for w in saver.calls if any(c == "log" for c, _ in w)][2:-1]
            rec.add(f"run {run}: put_writes calls of the fan-out, in order", fanned)
            history = await d.history(graph, config)
            fan_out = next(s for s in history if len(s.next) == len(order))
            saved = saver.get_tuple(fan_out.config).pending_writes
            # Listed in an order of their own (task ids are random): compare sets.
            rec.add(
                f"run {run}: pending writes of the fan-out step",
                sorted((channel, repr(value)) for _, channel, value in saved),
            )
            rec.add(f"run {run}: result", (await d.get_state(graph, config)).values)

    return program


CASES = {
    "reverse": ["c", "b", "a"],
    "middle-first": ["b", "c", "a", "d"],
    "in-order": ["a", "b", "c"],
}


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("sync", "sync-nodes"), ("async", "sync-nodes"), ("async", "async-nodes")],
)
@pytest.mark.parametrize("case", sorted(CASES))
def test_fan_out_commits_in_completion_order(
    case: str, mode: str, kind: str, request: pytest.FixtureRequest
) -> None:
    run_differential(
        _program(CASES[case], kind, runs=2),
        Driver(mode),
        title=f"{case} ({kind})",
        repro=pytest_repro(request.node.nodeid),
    )
