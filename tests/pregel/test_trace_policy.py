"""``add_node(trace_policy=...)`` changes what tracers record, never what runs."""

from __future__ import annotations

import asyncio
from typing import Any, TypedDict
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run

from stategraph.graph import END, START, StateGraph
from stategraph.types import TracePolicy


class State(TypedDict):
    n: int


class Recorder(BaseTracer):
    """A tracer keeping every finished run by name."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: dict[str, Run] = {}

    def _persist_run(self, run: Run) -> None:
        pass

    def _end_trace(self, run: Run) -> None:
        self.finished[run.name] = run
        super()._end_trace(run)


class Plain(BaseCallbackHandler):
    """A non-tracer handler: it must see the real payloads."""

    def __init__(self) -> None:
        self.starts: list[Any] = []
        self.ends: list[Any] = []

    def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
        self.starts.append(inputs)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kw: Any) -> None:
        self.ends.append(outputs)


def _graph(policy: TracePolicy) -> Any:
    def bump(state: State) -> State:
        return {"n": state["n"] + 1}

    builder: StateGraph[State] = StateGraph(State)
    builder.add_node("bump", bump, trace_policy=policy)
    builder.add_edge(START, "bump")
    builder.add_edge("bump", END)
    return builder.compile()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_trace_policy_transforms_only_what_tracers_record(mode: str) -> None:
    seen: list[Any] = []

    def scrub_in(value: Any) -> Any:
        seen.append(value)
        return {"in": "hidden"}

    graph = _graph(TracePolicy(process_inputs=scrub_in, process_outputs=lambda v: {}))
    tracer, plain = Recorder(), Plain()
    config: Any = {"callbacks": [tracer, plain]}
    if mode == "sync":
        out = graph.invoke({"n": 1}, config)
    else:
        out = asyncio.run(graph.ainvoke({"n": 1}, config))
    assert out == {"n": 2}
    run = tracer.finished["bump"]
    assert run.inputs == {"in": "hidden"}
    assert run.outputs == {}
    assert seen == [{"n": 1}]
    assert {"n": 1} in plain.starts
    assert {"n": 2} in plain.ends


def test_a_failing_trace_hook_records_the_real_value() -> None:
    def broken(value: Any) -> Any:
        raise RuntimeError("boom")

    tracer = Recorder()
    out = _graph(TracePolicy(process_outputs=broken)).invoke(
        {"n": 5}, {"callbacks": [tracer]}
    )
    assert out == {"n": 6}
    assert tracer.finished["bump"].outputs == {"n": 6}
