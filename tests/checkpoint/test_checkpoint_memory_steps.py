"""``StepWriter``: the engine's step saves store what ``put_changes`` would."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.memory._steps import StepWriter, config_extras
from stategraph.checkpoint.serde.jsonplus import UnserializableValueError
from stategraph.graph import END, START, StateGraph
from stategraph.types import Send


class State(TypedDict):
    v: int
    log: Annotated[list[str], operator.add]
    note: str


class Counting(InMemorySaver):
    """Counts the steps the engine stores through a ``StepWriter``."""

    written = 0

    def step_writer(self, config: Any) -> StepWriter | None:
        writer = super().step_writer(config)
        if writer is None:
            return None
        saver = self

        class Counted(StepWriter):
            __slots__ = ()

            def put(self, *args: Any) -> None:
                saver.written += 1
                super().put(*args)

        counted = Counted.__new__(Counted)
        for name in StepWriter.__slots__:
            setattr(counted, name, getattr(writer, name))
        return counted


class General(InMemorySaver):
    """Stores every checkpoint through ``put_changes`` (no step writer)."""

    def step_writer(self, config: Any) -> StepWriter | None:
        return None


def _graph(saver: InMemorySaver, fan: bool = False) -> Any:
    def first(s: State) -> dict[str, Any]:
        return {"v": s["v"] + 1, "log": ["first"], "note": "é"}

    def second(s: State) -> dict[str, Any]:
        return {"v": s["v"] * 2, "log": [f"second {s['v']}"]}

    def route(s: State) -> Any:
        return [Send("second", s)] if fan else "second"

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(START, "first")
    builder.add_conditional_edges("first", route, ["second"])
    builder.add_edge("second", END)
    return builder.compile(checkpointer=saver)


def _history(saver: InMemorySaver, config: Any) -> list[Any]:
    rows = []
    for saved in saver.list(config):
        checkpoint = saved.checkpoint
        rows.append(
            (
                saved.metadata,
                checkpoint["channel_values"],
                sorted(checkpoint["channel_versions"]),
                {k: sorted(v) for k, v in checkpoint["versions_seen"].items()},
                checkpoint["updated_channels"],
                [(w[1], w[2]) for w in saved.pending_writes or []],
            )
        )
    return rows


@pytest.mark.parametrize("fan", [False, True])
def test_step_writer_stores_what_put_changes_stores(fan: bool) -> None:
    config = {
        "configurable": {"thread_id": "t", "user": "ann", "__private": 1},
        "metadata": {"run": "r1", "source": "not copied"},
    }
    fast, general = Counting(), General()
    for saver in (fast, general):
        graph = _graph(saver, fan)
        graph.invoke({"v": 1, "log": [], "note": ""}, config)
        graph.invoke({"v": 5}, config)  # a second run continues the thread
    assert fast.written > 0
    assert _history(fast, config) == _history(general, config)
    latest = fast.get_tuple({"configurable": {"thread_id": "t"}})
    assert latest is not None
    assert latest.metadata["user"] == "ann"
    assert latest.metadata["run"] == "r1"
    assert latest.metadata["source"] == "loop"


def test_a_saver_that_overrides_put_changes_sees_every_step() -> None:
    seen: list[str] = []

    class Watching(InMemorySaver):
        def put_changes(self, config: Any, checkpoint: Any, *args: Any) -> None:
            seen.append(checkpoint["id"])
            super().put_changes(config, checkpoint, *args)

    saver = Watching()
    _graph(saver).invoke(
        {"v": 1, "log": [], "note": ""}, {"configurable": {"thread_id": "t"}}
    )
    stored = list(saver.list({"configurable": {"thread_id": "t"}}))
    assert sorted(seen) == sorted(s.checkpoint["id"] for s in stored)


def test_config_extras_are_the_copied_config_keys() -> None:
    config = {
        "metadata": {"a": 1, "step": 9, "thread_id": "x"},
        "configurable": {"b": "two", "__hidden": 3, "checkpoint_id": "c", "a": 7},
    }
    assert config_extras(config) == {"a": 1, "b": "two"}


def _fail_saving(saver: InMemorySaver, durability: Any) -> tuple[str, Any]:
    class Odd:
        pass

    def bad(s: State) -> dict[str, Any]:
        return {"note": Odd()}  # type: ignore[dict-item]

    builder = StateGraph(State)
    builder.add_node("ok", lambda s: {"v": 1})
    builder.add_node("bad", bad)
    builder.add_edge(START, "ok")
    builder.add_edge("ok", "bad")
    builder.add_edge("bad", END)
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(UnserializableValueError) as caught:
        graph.invoke({"v": 0, "log": [], "note": ""}, config, durability=durability)
    state = graph.get_state(config)
    return f"{type(caught.value).__name__}: {caught.value}", (state.values, state.next)


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_a_failing_step_save_fails_as_put_changes_does(durability: Any) -> None:
    fast = Counting()
    error, state = _fail_saving(fast, durability)
    assert fast.written > 0
    assert "note" in error
    assert (error, state) == _fail_saving(General(), durability)
    assert state[0]["v"] == 1


def test_a_saver_that_overrides_put_writes_sees_every_write() -> None:
    seen: list[tuple[str, str]] = []

    class Watching(InMemorySaver):
        def put_writes(
            self, config: Any, writes: Any, task_id: str, task_path: str = ""
        ) -> None:
            seen.extend((task_id, channel) for channel, _ in writes)
            super().put_writes(config, writes, task_id, task_path)

    saver = Watching()
    config = {"configurable": {"thread_id": "t"}}
    _graph(saver).invoke({"v": 1, "log": [], "note": ""}, config)
    stored = [
        (w[0], w[1]) for saved in saver.list(config) for w in saved.pending_writes or []
    ]
    assert len(stored) >= 4
    assert sorted(seen) == sorted(stored)
