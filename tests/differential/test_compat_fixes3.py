"""Divergences found by the extended differential fuzzer, minimised.

Each test runs once per library (the reference and the library under test)
and asserts what LangGraph does, so a failure only for the library under test
is a compatibility bug.  The seed that found each case is named in its
docstring (``tests/differential/test_random_ext.py``).
"""

from __future__ import annotations

import importlib
import itertools
import operator
from typing import Annotated, Any

import pytest
from _lib import REFERENCE, sut_name
from langchain_core.messages import AIMessage
from typing_extensions import TypedDict


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def mod(lib: str, name: str) -> Any:
    return importlib.import_module(f"{lib}.{name}")


def test_cached_message_from_cache_is_another_cache_key(lib: str) -> None:
    """Seeds 27 and 80: a message replayed from the cache has every field set.

    LangGraph's default cache key pickles the input, and a pydantic pickle
    carries the set fields; the message a cache hit replays was rebuilt with
    every field set, so the node reading it misses the cache and runs again.
    """
    graph_mod = mod(lib, "graph")
    calls: list[str] = []

    add_messages = mod(lib, "graph.message").add_messages
    S = TypedDict(  # noqa: UP013 (annotations built at run time)
        "S",
        {"msgs": Annotated[list, add_messages], "log": Annotated[list, operator.add]},
        total=False,
    )

    def first(state: Any) -> dict[str, Any]:
        calls.append("first")
        return {"msgs": [AIMessage(content="hi", id="m1")]}

    def second(state: Any) -> dict[str, Any]:
        calls.append("second")
        return {"log": [len(state["msgs"])]}

    policy = mod(lib, "types").CachePolicy()
    b = graph_mod.StateGraph(S)
    b.add_node("first", first, cache_policy=policy)
    b.add_node("second", second, cache_policy=policy)
    b.add_edge(graph_mod.START, "first")
    b.add_edge("first", "second")
    g = b.compile(cache=mod(lib, "cache.memory").InMemoryCache())
    chunks = [list(g.stream({"log": []}, stream_mode="updates")) for _ in range(3)]
    assert calls == ["first", "second", "second"]
    assert [[list(c) for c in run] for run in chunks] == [
        [["first"], ["second"]],
        [["first", "__metadata__"], ["second"]],
        [["first", "__metadata__"], ["second", "__metadata__"]],
    ]


def test_v2_updates_part_of_an_entrypoint_interrupt_is_emptied(lib: str) -> None:
    """Functional seeds 3, 12, 47: one interrupt dict feeds both v2 parts.

    With a single output channel LangGraph emits the same ``{"__interrupt__":
    ...}`` dict as the "updates" and the "values" chunk; the v2 "values" part
    pops the interrupts out of it, so an "updates" part still held by then is
    empty.  A consumer that reads each part as it comes sees the interrupts.
    """
    func, types = mod(lib, "func"), mod(lib, "types")

    @func.entrypoint(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    def main(x: int) -> Any:
        return types.interrupt("question")

    modes = ["updates", "values"]
    kept = list(
        main.stream(
            1, {"configurable": {"thread_id": "1"}}, stream_mode=modes, version="v2"
        )
    )
    assert [(p["type"], p["data"]) for p in kept] == [("updates", {}), ("values", {})]
    assert [i.value for i in kept[1]["interrupts"]] == ["question"]
    live = [
        (p["type"], sorted(p["data"]))
        for p in main.stream(
            1, {"configurable": {"thread_id": "2"}}, stream_mode=modes, version="v2"
        )
    ]
    assert live == [("updates", ["__interrupt__"]), ("values", [])]


def test_cache_key_is_langgraphs_pickle_of_the_input(lib: str) -> None:
    """Seeds 190, 294, 302: equal inputs built from shared or fresh objects.

    LangGraph pickles the input for its cache key, and a pickle records an
    object met twice only once: a node that writes one string into two keys
    gives its successor another key than the cache's replay of it (two equal
    but distinct strings), so the successor runs again on the second run.
    """
    graph_mod = mod(lib, "graph")
    calls: list[str] = []
    S = TypedDict(  # noqa: UP013 (annotations built at run time)
        "S", {"a": str, "b": str, "log": Annotated[list, operator.add]}, total=False
    )

    def first(state: Any) -> dict[str, Any]:
        calls.append("first")
        tag = "-".join(["x", "y"])  # one object in both keys
        return {"a": tag, "b": tag}

    def second(state: Any) -> dict[str, Any]:
        calls.append("second")
        return {"log": [state["a"] + state["b"]]}

    policy = mod(lib, "types").CachePolicy()
    b = graph_mod.StateGraph(S)
    b.add_node("first", first, cache_policy=policy)
    b.add_node("second", second, cache_policy=policy)
    b.add_edge(graph_mod.START, "first")
    b.add_edge("first", "second")
    g = b.compile(cache=mod(lib, "cache.memory").InMemoryCache())
    outs = [g.invoke({"log": []}) for _ in range(3)]
    assert calls == ["first", "second", "second"]
    assert outs[0] == outs[2] == {"a": "x-y", "b": "x-y", "log": ["x-yx-y"]}


@pytest.mark.parametrize("modes", [["updates"], ["updates", "custom"]])
def test_lone_task_output_before_a_failing_barrier(lib: str, modes: list[str]) -> None:
    """Seed 143: a cache hit leaves one task to run, then the step's writes clash.

    LangGraph runs a lone task inline and drains its chunks after applying
    the step's writes, so an ``InvalidUpdateError`` there loses them; an
    eager stream (``custom`` here) has a waiter that hands them out first.
    """
    graph_mod = mod(lib, "graph")
    S = TypedDict("S", {"last": str}, total=False)  # noqa: UP013
    b = graph_mod.StateGraph(S)
    policy = mod(lib, "types").CachePolicy()
    b.add_node("ant", lambda s: {"last": "ant"}, cache_policy=policy)
    b.add_node("bee", lambda s: {"last": "bee"})
    b.add_edge(graph_mod.START, "ant")
    b.add_edge(graph_mod.START, "bee")
    g = b.compile(cache=mod(lib, "cache.memory").InMemoryCache())
    error = mod(lib, "errors").InvalidUpdateError
    for run in range(2):
        seen: list[Any] = []
        with pytest.raises(error):
            _drain(g.stream({}, stream_mode=modes), seen)
        lone_kept = run == 0 or "custom" in modes
        # an eager stream runs the first step's two tasks in threads
        assert sorted(next(iter(c[1])) for c in seen) == (
            ["ant", "bee"] if lone_kept else ["ant"]
        )


def _drain(stream: Any, into: list[Any]) -> None:
    for chunk in stream:
        into.append(chunk)


@pytest.mark.parametrize("missing", [False, True])
def test_cached_chunks_come_out_before_a_failing_barrier(
    lib: str, missing: bool
) -> None:
    """Seed 194: a step of cache hits (and maybe one cache miss) fails.

    LangGraph hands out the chunks made before it runs a step's tasks (the
    cache hits) even when there is none to run, and keeps a lone task's
    chunks until after the step's writes are applied (lost when they fail),
    also when it saves the lone task's writes to the cache in between.
    """
    graph_mod = mod(lib, "graph")
    types = mod(lib, "types")
    S = TypedDict("S", {"last": str}, total=False)  # noqa: UP013
    b = graph_mod.StateGraph(S)
    keys = itertools.count()
    never_same = types.CachePolicy(key_func=lambda *a, **k: str(next(keys)))
    for name in ("ant", "bee"):
        b.add_node(
            name, lambda s, name=name: {"last": name}, cache_policy=types.CachePolicy()
        )
        b.add_edge(graph_mod.START, name)
    if missing:
        b.add_node("cat", lambda s: {"last": "cat"}, cache_policy=never_same)
        b.add_edge(graph_mod.START, "cat")
    g = b.compile(cache=mod(lib, "cache.memory").InMemoryCache())
    error = mod(lib, "errors").InvalidUpdateError
    seen: list[Any] = []
    for _ in range(2):
        seen.clear()
        with pytest.raises(error):
            _drain(g.stream({}, stream_mode="updates"), seen)
    assert [next(iter(c)) for c in seen] == ["ant", "bee"]
    assert all(c["__metadata__"] == {"cached": True} for c in seen)


def test_task_cached_when_its_step_interrupts(lib: str) -> None:
    """Interrupt seed 48: a cached node finished in a step that interrupted.

    LangGraph caches each task's writes as the task commits, so a sibling's
    interrupt does not keep them out of the cache.  (A sibling's error does
    not either, but there LangGraph races its own shutdown and now and then
    drops the cache write, so that case is not compared.)
    """
    graph_mod, types = mod(lib, "graph"), mod(lib, "types")
    calls: list[str] = []
    S = TypedDict(  # noqa: UP013 (annotations built at run time)
        "S", {"log": Annotated[list, operator.add]}, total=False
    )

    def ant(state: Any) -> dict[str, Any]:
        calls.append("ant")
        return {"log": ["ant"]}

    def bee(state: Any) -> dict[str, Any]:
        return {"log": [types.interrupt("bee?")]}

    b = graph_mod.StateGraph(S)
    b.add_node("ant", ant, cache_policy=types.CachePolicy())
    b.add_node("bee", bee)
    b.add_edge(graph_mod.START, "ant")
    b.add_edge(graph_mod.START, "bee")
    g = b.compile(
        checkpointer=mod(lib, "checkpoint.memory").InMemorySaver(),
        cache=mod(lib, "cache.memory").InMemoryCache(),
    )
    for thread in ("1", "2"):
        out = g.invoke({"log": []}, {"configurable": {"thread_id": thread}})
        assert [i.value for i in out["__interrupt__"]] == ["bee?"]
    assert calls == ["ant"]


@pytest.mark.asyncio
async def test_async_calls_started_together_run_before_either_commits(
    lib: str,
) -> None:
    """Functional seeds 188, 324, 432: chunks of parallel async task calls.

    LangGraph commits a call (its "updates" chunk) from the future's done
    callback, a turn of the event loop after the call returns, so calls
    started together all run (here: write their custom chunk) first.
    """
    func = mod(lib, "func")

    @func.task
    async def work(x: str) -> str:
        mod(lib, "config").get_stream_writer()(f"ran {x}")
        return x

    @func.entrypoint(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    async def main(n: int) -> list[str]:
        futures = [work(f"p{i}") for i in range(n)]
        return [await f for f in futures]

    config = {"configurable": {"thread_id": "1"}}
    chunks = [
        c async for c in main.astream(2, config, stream_mode=["updates", "custom"])
    ]
    assert chunks == [
        ("custom", "ran p0"),
        ("custom", "ran p1"),
        ("updates", {"work": "p0"}),
        ("updates", {"work": "p1"}),
        ("updates", {"main": ["p0", "p1"]}),
    ]
