"""``stream_events(version="v3")`` observed the same on stategraph and langgraph.

Every test records one program on both libraries, through the sync or the
async API (``v3`` fixture), and compares the normalised recordings.
"""

from __future__ import annotations

from typing import Any

import programs
import pytest
from _lib import Lib
from _v3 import V3, Call

EVERY_MODE = ("updates", "custom", "tasks", "checkpoints", "debug")


async def read_events(v3: V3, run: Any) -> Any:
    return await v3.events(run)


def _with_transformers(build: Any, names: tuple[str, ...], where: str = "call") -> Any:
    """``build`` with the built-in data transformers ``names`` registered."""

    def wrapped(lib: Lib) -> tuple[Any, list[Call]]:
        graph, calls = build(lib)
        module = lib.module("stream")
        classes = [getattr(module, f"{n.capitalize()}Transformer") for n in names]
        if where == "compile":
            graph.stream_transformers = tuple(classes)
            return graph, calls
        return graph, [(a, {**kw, "transformers": classes}) for a, kw in calls]

    return wrapped


@pytest.mark.parametrize(
    "build",
    [
        programs.linear,
        programs.nested,
        programs.interrupting,
        programs.failing,
        programs.functional,
        programs.with_context,
    ],
    ids=lambda b: b.__name__,
)
def test_event_log_matches(v3: V3, build: Any) -> None:
    ref, ours = v3.both(build, read_events)
    assert ours == ref
    assert any(run.get("events") for run in ours)


@pytest.mark.parametrize(
    "build", [programs.linear, programs.nested, programs.interrupting]
)
def test_event_log_with_every_mode_matches(v3: V3, build: Any) -> None:
    ref, ours = v3.both(_with_transformers(build, EVERY_MODE), read_events)
    assert ours == ref
    methods = {e["method"] for run in ours for e in run["events"]}
    assert {"values", "updates", "custom", "debug"} <= methods
    # Checkpoint events need a checkpointer; only the interrupting one has it.
    assert ("checkpoints" in methods) == (build is programs.interrupting)


def test_seq_numbers_count_up(v3: V3) -> None:
    _, ours = v3.both(_with_transformers(programs.nested, EVERY_MODE), read_events)
    seqs = [e["seq"] for e in ours[0]["events"]]
    assert seqs == list(range(1, len(seqs) + 1))


def test_lifecycle_and_nested_values_match(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return await v3.projections(run, ("values", "lifecycle"))

    ref, ours = v3.both(programs.nested, read)
    assert ours == ref
    events = [item["event"] for item in ours[0]["lifecycle"]]
    assert events == ["started", "started", "completed", "completed"]


def test_data_projections_match(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return await v3.projections(run, ("updates", "custom", "values"))

    ref, ours = v3.both(_with_transformers(programs.nested, EVERY_MODE), read)
    assert ours == ref
    assert [list(u) for u in ours[0]["updates"]] == [["first"], ["middle"], ["last"]]


def test_compiled_transformers_match(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return await v3.projections(run, ("updates",))

    build = _with_transformers(programs.linear, ("updates",), where="compile")
    ref, ours = v3.both(build, read)
    assert ours == ref
    assert len(ours[0]["updates"]) == 3


def test_subgraph_handles_match(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return {"tree": await v3.subgraphs(run), "output": await v3.outcome(run)}

    ref, ours = v3.both(programs.nested, read)
    assert ours == ref
    (middle,) = ours[0]["tree"]
    assert (middle["graph_name"], middle["status"]) == ("middle", "completed")
    assert [c["status"] for c in middle["children"]] == ["completed"]


@pytest.mark.parametrize(
    ("build", "status"),
    [(programs.failing, "failed"), (programs.interrupting, "interrupted")],
    ids=["failed", "interrupted"],
)
def test_subgraph_terminal_status_matches(v3: V3, build: Any, status: str) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return {"tree": await v3.subgraphs(run), "output": await v3.outcome(run)}

    ref, ours = v3.both(build, read)
    assert ours == ref
    assert ours[0]["tree"][0]["status"] == status


def test_interrupt_then_resume(v3: V3) -> None:
    ref, ours = v3.both(programs.interrupting, read_events)
    assert ours == ref
    first, resumed = ours
    assert first["interrupted"] is True
    assert first["interrupts"][0]["value"] == {"question": "name?"}
    assert resumed["interrupted"] is False
    assert resumed["output"]["log"][-2:] == ["answer:ada", "end"]


def test_error_reaches_every_reader(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        values = v3.cursor(run.values)
        try:
            await v3.drain(values)
        except ValueError as exc:
            return {"values_raised": exc, "output": await v3.outcome(run)}
        return {"values_raised": None}

    ref, ours = v3.both(programs.failing, read)
    assert ours == ref
    assert ours[0]["values_raised"]["str"] == "boom: start,ok"
    assert ours[0]["output"]["__exc__"] == "ValueError"
