"""``stategraph.pregel._algo``: LangGraph's stand-alone step functions.

A graph with a ``Send`` is stepped by hand with ``prepare_next_tasks`` and
``apply_writes`` in both libraries; task ids, paths, versions and values
must agree at every step.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

import langgraph.graph as lg_graph
import langgraph.pregel._algo as lg_algo
import langgraph.pregel._checkpoint as lg_checkpoint
import langgraph.types as lg_types
import pytest
from typing_extensions import TypedDict

import stategraph.graph as sg_graph
import stategraph.pregel._algo as sg_algo
import stategraph.pregel._checkpoint as sg_checkpoint
import stategraph.types as sg_types
from stategraph._constants import PULL, PUSH
from stategraph._engine._runner import run_sync_body

CHECKPOINT_ID = "1ef4f797-8335-6428-8001-8a1503f9b875"


class State(TypedDict):
    a: Annotated[list[int], operator.add]
    b: str


def _graph(graph: Any, types: Any) -> Any:
    return (
        graph.StateGraph(State)
        .add_node("x", lambda s: {"a": [1]})
        .add_node("y", lambda s: {"b": "y"})
        .add_edge(graph.START, "x")
        .add_conditional_edges("x", lambda s: [types.Send("y", {"a": [9]})])
        .add_edge("y", graph.END)
        .compile()
    )


def _run_task(task: Any) -> None:
    if hasattr(task, "proc"):  # LangGraph's executable task
        task.proc.invoke(task.input, task.config)
    else:
        run_sync_body(task)


def _step_by_hand(graph: Any, types: Any, algo: Any, checkpoint: Any) -> list[Any]:
    """Run the graph step by step; record what each step planned and did."""
    app = _graph(graph, types)
    cp = checkpoint.empty_checkpoint()
    cp["id"] = CHECKPOINT_ID
    channels, managed = checkpoint.channels_from_checkpoint(app.channels, cp)
    t2n = dict(app.trigger_to_nodes)
    start = algo.PregelTaskWrites((), "__input__", [("__start__", {"b": "in"})], [])
    updated = algo.apply_writes(cp, channels, [start], algo.increment, t2n)
    record: list[Any] = [sorted(updated)]
    config: dict[str, Any] = {"configurable": {}}
    for step in range(5):
        args: tuple[Any, ...] = (cp, [], app.nodes, channels, managed, config, step, 10)
        kwargs = {"trigger_to_nodes": t2n, "updated_channels": updated}
        planned = algo.prepare_next_tasks(*args, for_execution=False, **kwargs)
        tasks = algo.prepare_next_tasks(*args, for_execution=True, **kwargs)
        assert sorted(tasks) == sorted(planned)
        record.append(sorted((k, t.name, t.path) for k, t in planned.items()))
        record.append([t.name for t in algo.should_interrupt(cp, "*", tasks.values())])
        if not tasks:
            break
        for task in tasks.values():
            _run_task(task)
        updated = algo.apply_writes(cp, channels, tasks.values(), algo.increment, t2n)
        # reprs: the two libraries' ``Send`` objects never compare equal.
        values = sorted(
            (k, repr(c.get())) for k, c in channels.items() if c.is_available()
        )
        record.append((sorted(updated), dict(cp["channel_versions"]), values))
        record.append({k: dict(v) for k, v in cp["versions_seen"].items()})
    return record


def test_stepping_by_hand_matches_langgraph() -> None:
    ours = _step_by_hand(sg_graph, sg_types, sg_algo, sg_checkpoint)
    theirs = _step_by_hand(lg_graph, lg_types, lg_algo, lg_checkpoint)
    assert ours == theirs
    # The Send's task ran at step 2, under LangGraph's push path.
    assert ours[9][0][1:] == ("y", (PUSH, 0, False))


def test_nothing_to_plan_on_an_empty_checkpoint() -> None:
    checkpoint = sg_checkpoint.empty_checkpoint()
    channels, managed = sg_checkpoint.channels_from_checkpoint({}, checkpoint)
    args: tuple[Any, ...] = (checkpoint, [], {}, channels, managed, {}, 0, -1)
    assert sg_algo.prepare_next_tasks(*args, for_execution=False) == {}
    assert sg_algo.prepare_next_tasks(*args, for_execution=True) == {}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((PUSH, 2), f"~{PUSH}, 0000000002"),
        ((PUSH, (PUSH, 2), 1), f"~{PUSH}, ~{PUSH}, 0000000002, 0000000001"),
        ((PULL, "abc"), f"~{PULL}, abc"),
        (7, "0000000007"),
        ("plain", "plain"),
    ],
)
def test_task_path_str(path: Any, expected: str) -> None:
    assert sg_algo.task_path_str(path) == expected
    assert lg_algo.task_path_str(path) == expected


def test_increment_and_null_version() -> None:
    assert sg_algo.increment(None, None) == 1
    assert sg_algo.increment(4, None) == 5
    checkpoint = sg_checkpoint.empty_checkpoint()
    assert sg_algo.checkpoint_null_version(checkpoint) is None
    checkpoint["channel_versions"]["a"] = "00003.5"
    assert sg_algo.checkpoint_null_version(checkpoint) == ""


class _Task:
    def __init__(self, name: str, tags: list[str] | None = None) -> None:
        self.name = name
        self.config = {"tags": tags} if tags else {}


def test_should_interrupt_only_after_a_change() -> None:
    checkpoint = sg_checkpoint.empty_checkpoint()
    checkpoint["channel_versions"] = {"a": 2}
    tasks = [_Task("x"), _Task("hidden", ["langsmith:hidden"]), _Task("y")]
    assert [t.name for t in sg_algo.should_interrupt(checkpoint, "*", tasks)] == [
        "x",
        "y",
    ]
    assert [t.name for t in sg_algo.should_interrupt(checkpoint, ["y"], tasks)] == ["y"]
    checkpoint["versions_seen"]["__interrupt__"] = {"a": 2}
    assert sg_algo.should_interrupt(checkpoint, "*", tasks) == []


@pytest.mark.parametrize(
    ("algo", "checkpoint"),
    [(sg_algo, sg_checkpoint), (lg_algo, lg_checkpoint)],
    ids=["stategraph", "langgraph"],
)
def test_local_read_sees_own_writes_only_when_fresh(algo: Any, checkpoint: Any) -> None:
    app = _graph(sg_graph, sg_types) if algo is sg_algo else _graph(lg_graph, lg_types)
    cp = checkpoint.empty_checkpoint()
    channels, managed = checkpoint.channels_from_checkpoint(app.channels, cp)
    channels["a"].update([[1]])
    task = algo.PregelTaskWrites((PULL, "x"), "x", [("a", [2]), ("b", "new")], [])
    stale = algo.local_read(None, channels, managed, task, ["a", "b"])
    fresh = algo.local_read(None, channels, managed, task, ["a", "b"], fresh=True)
    assert stale == {"a": [1]}
    assert fresh == {"a": [1, 2], "b": "new"}
    assert algo.local_read(None, channels, managed, task, "a", fresh=True) == [1, 2]
    assert channels["a"].get() == [1]
