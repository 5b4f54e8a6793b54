"""A failed node's error handler starts at once, while its siblings still run."""

from __future__ import annotations

import asyncio
import operator
import threading
from typing import Annotated, Any, TypedDict

import pytest

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.errors import NodeError
from stategraph.graph import START, StateGraph

MODES = ["sync", "async"]


class State(TypedDict, total=False):
    results: Annotated[list[str], operator.add]


class Saver(InMemorySaver):
    """Tells when ``b``'s output is saved."""

    def __init__(self) -> None:
        super().__init__()
        self.saved_b = threading.Event()

    def put_writes(
        self, config: Any, writes: Any, task_id: str, task_path: str = ""
    ) -> None:
        super().put_writes(config, writes, task_id, task_path)
        if ("results", ["b"]) in [tuple(w) for w in writes]:
            self.saved_b.set()


class Scenario:
    """Two parallel nodes with error handlers; ``b`` may wait for ``a``'s handler."""

    def __init__(self, b_fails: bool) -> None:
        self.handler_started = threading.Event()
        self.handle_b_started = threading.Event()
        self.saver = Saver()
        # What a crashing ``handle_a`` waits for first (keeps the test's order).
        self.crash_after: threading.Event | None = None
        self.b_waits = True
        self.b_fails = b_fails
        self.handlers_crash = False
        self.calls: dict[str, int] = {"a": 0, "b": 0, "handle_a": 0, "handle_b": 0}

    def a(self, state: State) -> State:
        self.calls["a"] += 1
        raise RuntimeError("a failed")

    def b(self, state: State) -> State:
        self.calls["b"] += 1
        if self.b_waits:
            # Only a handler started while this node runs lets it go on.
            assert self.handler_started.wait(timeout=5), "handle_a never started"
        if self.b_fails:
            raise RuntimeError("b failed")
        return {"results": ["b"]}

    def handle_a(self, state: State, error: NodeError) -> State:
        self.calls["handle_a"] += 1
        assert error.node == "a"
        self.handler_started.set()
        if self.handlers_crash:
            if self.crash_after is not None:
                assert self.crash_after.wait(timeout=5)
            raise RuntimeError("handle_a crashed")
        return {"results": ["handled a"]}

    def handle_b(self, state: State, error: NodeError) -> State:
        self.calls["handle_b"] += 1
        assert error.node == "b"
        assert "b failed" in str(error.error)
        self.handle_b_started.set()
        if self.handlers_crash:
            raise RuntimeError("handle_b crashed")
        return {"results": ["handled b"]}

    def graph(self) -> Any:
        builder: StateGraph[State] = StateGraph(State)
        builder.add_node("a", self.a, error_handler=self.handle_a)
        builder.add_node("b", self.b, error_handler=self.handle_b)
        builder.add_edge(START, "a")
        builder.add_edge(START, "b")
        return builder.compile(checkpointer=self.saver)


def _stream(graph: Any, mode: str, value: Any, config: Any) -> list[Any]:
    kwargs = {"stream_mode": ["updates", "tasks"]}
    if mode == "sync":
        return list(graph.stream(value, config, **kwargs))

    async def collect() -> list[Any]:
        return [c async for c in graph.astream(value, config, **kwargs)]

    return asyncio.run(collect())


def _events(chunks: list[Any]) -> list[tuple[str, str, str]]:
    """(mode, task name, what happened) for each chunk."""
    out = []
    for mode, data in chunks:
        if mode == "updates":
            for name in data:
                if name != "__metadata__":
                    out.append((mode, name, "update"))
        else:
            out.append((mode, data["name"], "result" if "result" in data else "start"))
    return out


@pytest.mark.parametrize("mode", MODES)
def test_handler_runs_while_the_sibling_still_runs(mode: str) -> None:
    scenario = Scenario(b_fails=False)
    config = {"configurable": {"thread_id": "t"}}
    graph = scenario.graph()
    events = _events(_stream(graph, mode, {"results": []}, config))
    # Had ``b`` given up waiting, its failure would have gone to ``handle_b``.
    assert scenario.calls == {"a": 1, "b": 1, "handle_a": 1, "handle_b": 0}
    assert ("updates", "__error_handler__a", "update") in events
    assert ("updates", "b", "update") in events
    assert sorted(graph.get_state(config).values["results"]) == ["b", "handled a"]


@pytest.mark.parametrize("mode", MODES)
def test_handler_joins_a_step_run_inline(mode: str) -> None:
    # A first run teaches the engine both nodes are quick, so the next step
    # starts inline; the handler must still start while ``b`` blocks.
    scenario = Scenario(b_fails=False)
    graph = scenario.graph()
    scenario.b_waits = False
    _stream(graph, mode, {"results": []}, {"configurable": {"thread_id": "warm"}})
    scenario.b_waits = True
    scenario.handler_started.clear()
    config = {"configurable": {"thread_id": "t"}}
    _stream(graph, mode, {"results": []}, config)
    assert sorted(graph.get_state(config).values["results"]) == ["b", "handled a"]


@pytest.mark.parametrize("mode", MODES)
def test_resume_after_handlers_crash_runs_only_the_handlers(mode: str) -> None:
    scenario = Scenario(b_fails=True)
    scenario.handlers_crash = True
    # Both nodes fail at once; both handlers have started before either crashes.
    scenario.b_waits = False
    scenario.crash_after = scenario.handle_b_started
    graph = scenario.graph()
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(RuntimeError, match="crashed"):
        _stream(graph, mode, {"results": []}, config)
    assert scenario.calls == {"a": 1, "b": 1, "handle_a": 1, "handle_b": 1}

    scenario.handlers_crash = False
    scenario.handler_started.clear()
    chunks = _stream(graph, mode, None, config)
    assert scenario.calls == {"a": 1, "b": 1, "handle_a": 2, "handle_b": 2}
    starts = [e for e in _events(chunks) if e[2] == "start"]
    # The handlers are announced with the resumed step's tasks.
    assert starts == [
        ("tasks", "a", "start"),
        ("tasks", "b", "start"),
        ("tasks", "__error_handler__a", "start"),
        ("tasks", "__error_handler__b", "start"),
    ]
    assert sorted(graph.get_state(config).values["results"]) == [
        "handled a",
        "handled b",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_resumed_handler_is_announced_before_saved_sibling_output(mode: str) -> None:
    scenario = Scenario(b_fails=False)
    scenario.handlers_crash = True
    # ``b``'s output is saved before the handler crash stops the step.
    scenario.b_waits = False
    scenario.crash_after = scenario.saver.saved_b
    graph = scenario.graph()
    config = {"configurable": {"thread_id": "t"}}
    with pytest.raises(RuntimeError, match="handle_a crashed"):
        _stream(graph, mode, {"results": []}, config)

    scenario.handlers_crash = False
    events = _events(_stream(graph, mode, None, config))
    assert events[:4] == [
        ("tasks", "a", "start"),
        ("tasks", "b", "start"),
        ("tasks", "__error_handler__a", "start"),
        ("updates", "b", "update"),
    ]
    assert scenario.calls["b"] == 1
    assert sorted(graph.get_state(config).values["results"]) == ["b", "handled a"]
