"""Checkpoints in LangGraph's older formats are rewritten as they load.

The same old-format checkpoint is migrated by the compiled graph of each
library; the results must be equal.
"""

from __future__ import annotations

import copy
import operator
from typing import Annotated, Any

import langgraph.graph as langgraph_state
import pytest
from typing_extensions import TypedDict


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def _graph(lib: Any) -> Any:
    g = lib.StateGraph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, lambda s: {"log": ["x"]})
    g.add_edge(lib.START, "a")
    g.add_conditional_edges("a", lambda s: "b", ["b", "c"])
    g.add_edge("b", "c")
    g.add_edge("c", lib.END)
    return g.compile()


def _old_checkpoint(v: int) -> dict[str, Any]:
    return {
        "v": v,
        "id": "1ef",
        "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": {
            "log": ["x"],
            "start:a": "__start__",
            "branch:a:condition:b": "a",
            "b": "b",
        },
        "channel_versions": {
            "__start__": "00000000000000000000000000000002.1",
            "log": "00000000000000000000000000000004.2",
            "start:a": "00000000000000000000000000000002.3",
            "branch:a:condition:b": "00000000000000000000000000000003.4",
            "b": "00000000000000000000000000000004.5",
        },
        "versions_seen": {
            "__input__": {},
            "__start__": {"__start__": "00000000000000000000000000000001.6"},
            "a": {"start:a": "00000000000000000000000000000002.3"},
            "b": {"branch:a:condition:b": "00000000000000000000000000000003.4"},
            "__interrupt__": {"b": "00000000000000000000000000000004.5"},
        },
        "pending_sends": [],
    }


@pytest.mark.parametrize("v", [1, 2, 3])
def test_old_formats_migrate_like_langgraph(v: int) -> None:
    import stategraph.graph as sg

    ours, theirs = _old_checkpoint(v), _old_checkpoint(v)
    _graph(sg)._migrate_checkpoint(ours)
    _graph(langgraph_state)._migrate_checkpoint(theirs)
    assert ours == theirs
    if v < 3:
        assert "branch:to:a" in ours["channel_versions"]
        assert "branch:to:c" in ours["channel_versions"]
        assert "start:a" not in ours["channel_versions"]
    else:
        assert ours == _old_checkpoint(v)


def test_pending_sends_move_to_the_tasks_channel() -> None:
    import stategraph.graph as sg

    ours = _old_checkpoint(3)
    ours["pending_sends"] = ["send"]
    theirs = copy.deepcopy(ours)
    _graph(sg)._migrate_checkpoint(ours)
    _graph(langgraph_state)._migrate_checkpoint(theirs)
    assert ours == theirs
    assert ours["channel_values"]["__pregel_tasks"] == ["send"]


def _seed(lib: Any, saver: Any) -> None:
    """Store a format-1 input checkpoint with its pending writes, as 0.1 did."""
    old = {
        "v": 1,
        "id": "1f00ffbe-5368-6c0a-bfff-ac22bea4c512",
        "ts": "2025-04-02T19:51:40.525051+00:00",
        "channel_values": {"__start__": {"log": ["in"]}},
        "channel_versions": {"__start__": "00000000000000000000000000000001.0.5"},
        "versions_seen": {"__input__": {}},
    }
    cfg = {"configurable": {"thread_id": "1", "checkpoint_ns": ""}}
    meta = {"source": "input", "step": -1, "parents": {}}
    stored = saver.put(cfg, old, meta, old["channel_versions"])
    graph = _graph(lib)
    graph.checkpointer = saver
    # the id the format-1 engine gave the __start__ task of this checkpoint
    task_id = graph.get_state(stored).tasks[0].id
    saver.put_writes(stored, [("log", ["in"]), ("start:a", "__start__")], task_id)


def test_format_one_tasks_keep_their_sha1_ids() -> None:
    import langgraph.checkpoint.memory as lg_memory

    import stategraph.checkpoint.memory as sg_memory
    import stategraph.graph as sg

    states = []
    for lib, saver in (
        (sg, sg_memory.InMemorySaver()),
        (langgraph_state, lg_memory.InMemorySaver()),
    ):
        _seed(lib, saver)
        graph = _graph(lib)
        graph.checkpointer = saver
        config = {"configurable": {"thread_id": "1"}}
        task = graph.get_state(config).tasks[0]
        states.append((task.id, task.name, task.result))
    assert states[0] == states[1]
    assert states[0][2] == {"log": ["in"]}
