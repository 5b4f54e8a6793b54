"""Node error handlers (add_node(error_handler=), set_node_defaults), differentially."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from _harness import Driver, Recorder, pytest_repro, run_differential
from _lib import Lib
from typing_extensions import TypedDict

MODES = ["updates", "tasks", "values"]
SCENARIOS: dict[str, Any] = {}


def scenario(fn: Any) -> Any:
    SCENARIOS[fn.__name__] = fn
    return fn


class S(TypedDict, total=False):
    foo: str
    log: Annotated[list, operator.add]


def failing(state: S) -> S:
    raise ValueError("always fails")


def conf(thread: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}}


async def observe(rec: Recorder, d: Driver, graph: Any, thread: str) -> None:
    # d.config: one task at a time in the reference, so its order is stable.
    cfg = d.config(rec.lib, thread)
    await rec.stream("stream", graph, {"foo": ""}, cfg, stream_mode=MODES)
    await rec.state("state", graph, cfg)
    await rec.history("history", graph, cfg)


@scenario
async def handler_routes_with_command(lib: Lib, d: Driver, rec: Recorder) -> None:
    errors = lib.module("errors")

    def handler(state: S, error: errors.NodeError) -> Any:
        return lib.Command(
            update={"foo": f"handled {error.node}: {error.error}"}, goto="after"
        )

    g = lib.StateGraph(S)
    g.add_node("failing", failing, error_handler=handler)
    g.add_node("after", lambda s: {"log": ["after"]})
    g.add_edge(lib.START, "failing")
    await observe(rec, d, g.compile(checkpointer=lib.InMemorySaver()), "t")


@scenario
async def handler_after_retries_in_parallel_step(
    lib: Lib, d: Driver, rec: Recorder
) -> None:
    attempts: list[str] = []

    def flaky(state: S) -> S:
        attempts.append("flaky")
        raise KeyError("nope")

    def sibling(state: S) -> S:
        return {"log": ["sibling"]}

    def handler(state: S) -> S:
        return {"log": ["handled"]}

    g = lib.StateGraph(S)
    policy = lib.RetryPolicy(
        max_attempts=3, initial_interval=0.0, jitter=False, retry_on=KeyError
    )
    g.add_node("flaky", flaky, retry_policy=policy, error_handler=handler)
    g.add_node("sibling", sibling)
    g.add_edge(lib.START, "flaky")
    g.add_edge(lib.START, "sibling")
    await observe(rec, d, g.compile(checkpointer=lib.InMemorySaver()), "t")
    rec.add("attempts", attempts)


@scenario
async def failing_handler_fails_run(lib: Lib, d: Driver, rec: Recorder) -> None:
    def handler(state: S) -> S:
        raise RuntimeError("handler failed")

    g = lib.StateGraph(S)
    g.add_node("failing", failing, error_handler=handler)
    g.add_edge(lib.START, "failing")
    await observe(rec, d, g.compile(checkpointer=lib.InMemorySaver()), "t")


@scenario
async def default_error_handler(lib: Lib, d: Driver, rec: Recorder) -> None:
    errors = lib.module("errors")

    def handler(state: S, error: errors.NodeError) -> S:
        return {"log": [f"default handled {error.node}"]}

    def own(state: S) -> S:
        return {"log": ["own handler"]}

    g = lib.StateGraph(S)
    g.set_node_defaults(error_handler=handler)
    g.add_node("first", failing)
    g.add_node("second", failing, error_handler=own)
    g.add_edge(lib.START, "first")
    g.add_edge("first", "second")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, graph, "t")
    try:
        g.compile()
    except ValueError as exc:
        rec.add("compile twice", {"raised": exc})


@scenario
async def interrupt_in_handler_then_resume(lib: Lib, d: Driver, rec: Recorder) -> None:
    runs: list[str] = []

    def fragile(state: S) -> S:
        runs.append("fragile")
        raise ValueError("broken")

    def handler(state: S) -> S:
        answer = lib.interrupt("what now?")
        return {"foo": f"human said {answer}"}

    g = lib.StateGraph(S)
    g.add_node("fragile", fragile, error_handler=handler)
    g.add_edge(lib.START, "fragile")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await rec.stream("first", graph, {"foo": ""}, conf("t"), stream_mode=MODES)
    await rec.state("paused", graph, conf("t"))
    await rec.stream(
        "resume", graph, lib.Command(resume="retry"), conf("t"), stream_mode=MODES
    )
    await rec.state("done", graph, conf("t"))
    rec.add("fragile runs", runs)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_error_handler_scenario(
    name: str, driver: Driver, request: pytest.FixtureRequest
) -> None:
    run_differential(
        SCENARIOS[name],
        driver,
        title=f"error handler scenario {name}",
        repro=pytest_repro(request.node.nodeid),
    )
