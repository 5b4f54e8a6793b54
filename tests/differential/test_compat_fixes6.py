"""Divergences found by the differential fuzzers (sixth round).

Each test runs once per library (the reference and the library under test)
and asserts what LangGraph does, so a failure only for the library under test
is a compatibility bug.  The seed that found each case is named in its
docstring.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
from typing import Annotated, Any

import pytest
from _lib import REFERENCE, sut_name
from typing_extensions import TypedDict


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def mod(lib: str, name: str) -> Any:
    return importlib.import_module(f"{lib}.{name}")


class Log(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_run_from_a_copied_checkpoint_plans_in_declaration_order(
    lib: str, mode: str
) -> None:
    """A ``__copy__`` fork has no updated channels: its first step runs in
    declaration order (``y`` before ``v``), not in the order of the channels
    the step before it updated (state edits fuzzer seeds 356, 979, 1478)."""
    g, types = mod(lib, "graph"), mod(lib, "types")
    memory = mod(lib, "checkpoint.memory")
    b = g.StateGraph(Log)
    for name in ("y", "v", "f"):
        b.add_node(name, lambda s, name=name: {"log": [name]})
    b.add_edge(g.START, "f")
    b.add_edge("f", "v")
    graph = b.compile(checkpointer=memory.InMemorySaver(), interrupt_before=["v"])
    conf: dict[str, Any] = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}
    graph.invoke({"log": []}, conf)
    fork = graph.update_state(conf, None, as_node="__copy__")
    run_conf = {**fork, "max_concurrency": 1}
    cmd = types.Command(goto="y")
    if mode == "sync":
        chunks = list(graph.stream(cmd, run_conf, stream_mode="updates"))
    else:

        async def run() -> list[Any]:
            return [
                c async for c in graph.astream(cmd, run_conf, stream_mode="updates")
            ]

        chunks = asyncio.run(run())
    assert chunks == [{"y": {"log": ["y"]}}, {"v": {"log": ["v"]}}]
    assert graph.get_state(fork).metadata["source"] == "fork"


def test_a_handler_routed_before_a_resume_runs_again_with_the_saved_error(
    lib: str,
) -> None:
    """A node failed into its error handler in a step another node paused:
    on resume LangGraph prepares the handler afresh and runs it again (after
    the resumed node), its ``NodeError`` carrying the error as saved (a repr
    string), whatever it wrote before (error fuzzer seeds 7, 10, 13)."""
    g, types = mod(lib, "graph"), mod(lib, "types")
    memory, errors = mod(lib, "checkpoint.memory"), mod(lib, "errors")
    calls: list[Any] = []

    def wasp(s: Log) -> Log:
        raise KeyError("fail")

    def handler(s: Any, error: Any) -> Any:
        calls.append(error.error)
        return {"log": [f"h:{error.error!r}"]}

    handler.__annotations__ = {"s": Any, "error": errors.NodeError, "return": Any}
    b = g.StateGraph(Log)
    b.add_node("jay", lambda s: {"log": ["jay", types.interrupt("q")]})
    b.add_node("wasp", wasp, error_handler=handler)
    b.add_edge(g.START, "jay")
    b.add_edge(g.START, "wasp")
    graph = b.compile(checkpointer=memory.InMemorySaver())
    conf: dict[str, Any] = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}
    graph.invoke({"log": []}, conf)
    assert [type(c).__name__ for c in calls] == ["KeyError"]
    resumed = list(graph.stream(types.Command(resume="A"), conf))
    assert calls[1:] == ["KeyError('fail')"]
    assert resumed == [
        {"jay": {"log": ["jay", "A"]}},
        {"__error_handler__wasp": {"log": ["h:\"KeyError('fail')\""]}},
    ]
    assert graph.get_state(conf).values == {
        "log": ["jay", "A", resumed[1]["__error_handler__wasp"]["log"][0]]
    }


@pytest.mark.parametrize("modes", [["values"], ["values", "checkpoints"]])
def test_a_subgraph_interrupt_streams_before_its_parents_async(
    lib: str, modes: list[str]
) -> None:
    """``astream(subgraphs=True)`` of values (and checkpoints) only: the
    subgraph's interrupt chunk comes before the parent's, as with any other
    mode (state edits fuzzer seeds 4020, 4131, 4242)."""
    g, types = mod(lib, "graph"), mod(lib, "types")
    memory = mod(lib, "checkpoint.memory")
    sb = g.StateGraph(Log)
    sb.add_node("y", lambda s: {"log": [types.interrupt("q")]})
    sb.add_edge(g.START, "y")
    b = g.StateGraph(Log)
    b.add_node("dog", sb.compile())
    b.add_edge(g.START, "dog")
    graph = b.compile(checkpointer=memory.InMemorySaver())
    conf: dict[str, Any] = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}

    async def run() -> list[Any]:
        stream = graph.astream({"log": []}, conf, stream_mode=modes, subgraphs=True)
        return [
            (bool(ns), "__interrupt__" in p)
            async for ns, m, p in stream
            if m == "values"
        ]

    assert asyncio.run(run()) == [
        (False, False),
        (True, False),
        (True, True),
        (False, True),
    ]


def test_of_a_steps_tasks_with_one_cache_key_only_the_last_is_served(
    lib: str,
) -> None:
    """Three ``Send`` tasks with equal input (one cache key) in one step: on a
    second run LangGraph serves the cached writes to one of them only (it
    matches tasks through a dict by key); the others run again (ext fuzz
    seed 3791)."""
    g, types, cache = mod(lib, "graph"), mod(lib, "types"), mod(lib, "cache.memory")
    calls: list[str] = []

    def hen(s: Any) -> Any:
        calls.append("hen")
        return {"log": ["hen"]}

    b = g.StateGraph(Log)
    b.add_node("a", lambda s: {"log": ["a"]})
    b.add_node("hen", hen, cache_policy=types.CachePolicy())
    b.add_edge(g.START, "a")
    b.add_conditional_edges(
        "a", lambda s: [types.Send("hen", {"log": ["x"]}) for _ in range(3)]
    )
    graph = b.compile(cache=cache.InMemoryCache())
    first = graph.invoke({"log": []}, {"max_concurrency": 1})
    assert len(calls) == 3
    second = graph.invoke({"log": []}, {"max_concurrency": 1})
    assert len(calls) == 5
    assert first == second == {"log": ["a", "hen", "hen", "hen"]}


def test_a_failed_barrier_under_exit_durability_records_no_delta_writes(
    lib: str,
) -> None:
    """Two ``Send`` tasks write one ``LastValue`` key: the barrier fails. With
    ``durability="exit"`` the saved head's ``DeltaChannel`` value leaves out the
    failed step's writes (they stay pending), as LangGraph's (delta fuzz seed
    3113)."""
    g, types = mod(lib, "graph"), mod(lib, "types")
    memory, delta = mod(lib, "checkpoint.memory"), mod(lib, "channels.delta")

    def concat(state: Any, writes: Any) -> list[Any]:
        return [*(state or []), *(x for w in writes for x in w)]

    state = TypedDict(  # noqa: UP013 (annotations built at run time)
        "DeltaLog",
        {"log": Annotated[list, delta.DeltaChannel(concat)], "last": str},
        total=False,
    )
    b = g.StateGraph(state)
    b.add_node("newt", lambda s: {"log": ["newt"]})
    b.add_node("ibis", lambda s: {"log": [f"ibis{s['item']}"], "last": "x"})
    b.add_edge(g.START, "newt")
    b.add_conditional_edges(
        "newt", lambda s: [types.Send("ibis", {"item": k}) for k in range(2)]
    )
    graph = b.compile(checkpointer=memory.InMemorySaver())
    conf: dict[str, Any] = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}
    with pytest.raises(Exception, match="Can receive only one value per step"):
        graph.invoke({"log": []}, conf, durability="exit")
    snap = next(iter(graph.get_state_history(conf)))  # get_state raises too
    assert snap.values == {"log": ["newt"]}
    assert snap.next == ("ibis", "ibis")


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("durability", ["sync", "async"])
def test_a_steps_chunks_are_lost_when_planning_the_next_step_fails(
    lib: str, mode: str, durability: str
) -> None:
    """A step's chunks wait for the next step's tasks, saved or not: when
    planning that step fails (a state its node cannot read), LangGraph loses
    them (schema fuzzer seed 2579)."""
    from pydantic import BaseModel

    class Model(BaseModel):
        a: int
        b: int

    g = mod(lib, "graph")
    builder = g.StateGraph(Model)
    builder.add_node("bad", lambda s: {"a": "not a number"})
    builder.add_node("next", lambda s: {"b": 1})
    builder.add_edge(g.START, "bad")
    builder.add_edge("bad", "next")
    graph = builder.compile(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    kwargs = {"stream_mode": ["values", "updates"], "durability": durability}

    got: list[Any] = []

    async def consume() -> None:
        async for chunk in graph.astream({"a": 1, "b": 2}, config, **kwargs):
            got.append(chunk)

    def run() -> None:
        if mode == "async":
            asyncio.run(consume())
            return
        for chunk in graph.stream({"a": 1, "b": 2}, config, **kwargs):
            got.append(chunk)

    with pytest.raises(ValueError, match="validation error"):
        run()
    assert got == [("values", {"a": 1, "b": 2})]
    # The failed run's step is saved all the same.
    saved = graph.checkpointer.get_tuple(config).checkpoint["channel_values"]
    assert saved["a"] == "not a number"
