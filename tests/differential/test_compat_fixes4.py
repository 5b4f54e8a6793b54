"""Divergences found by the differential fuzzers (fourth round), minimised.

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


class Flaky(Exception):
    """Retried by LangGraph's default ``retry_on``."""


def _flaky(lib: str, name: str, fails: int) -> Any:
    """An async function failing ``fails`` times per input, then succeeding."""
    attempts: dict[Any, int] = {}

    async def fn(x: Any) -> Any:
        key = x if isinstance(x, str) else "state"
        mod(lib, "config").get_stream_writer()(f"{name}:{key}")
        attempts[key] = attempts.get(key, 0) + 1
        if attempts[key] <= fails:
            raise Flaky(name)
        return f"{name}({x})" if isinstance(x, str) else {"log": [name]}

    fn.__name__ = name
    return fn


def _retry(lib: str) -> Any:
    return mod(lib, "types").RetryPolicy(
        initial_interval=0.0, jitter=False, max_attempts=3
    )


def test_async_call_retry_lets_parallel_calls_commit_first(lib: str) -> None:
    """Functional seeds 200 and 216: a flaky call beside a parallel call.

    LangGraph runs each attempt in nested asyncio tasks and commits from done
    callbacks: the sibling's "updates" chunk comes before the retry's custom
    write.
    """
    func = mod(lib, "func")
    score = func.task(name="score", retry_policy=_retry(lib))(_flaky(lib, "score", 1))

    @func.task(name="rank")
    async def rank(x: str) -> str:
        return f"rank({x})"

    @func.entrypoint(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    async def main(inp: int) -> list[str]:
        a, b = score("p0"), rank("p1")
        return [await a, await b]

    async def run() -> list[Any]:
        conf = {"configurable": {"thread_id": "1"}}
        modes = ["updates", "custom"]
        return [c async for c in main.astream(1, conf, stream_mode=modes)]

    assert asyncio.run(run()) == [
        ("custom", "score:p0"),
        ("updates", {"rank": "rank(p1)"}),
        ("custom", "score:p0"),
        ("updates", {"score": "score(p0)"}),
        ("updates", {"main": ["score(p0)", "rank(p1)"]}),
    ]


def test_async_cached_nested_call_streams_before_slower_siblings(lib: str) -> None:
    """Functional seed 452: a cached call made from inside a parallel call.

    The cache hit's chunk is streamed at once, before siblings started
    alongside its caller commit; an uncached nested call commits after them.
    """
    func, types = mod(lib, "func"), mod(lib, "types")

    @func.task(name="tidy", cache_policy=types.CachePolicy())
    async def tidy(x: str) -> str:
        return f"tidy({x})"

    @func.task(name="merge")
    async def merge(x: str) -> str:
        return f"merge({x})"

    @func.task(name="score")
    async def score(x: str) -> str:
        return "+".join([f"score({x})", await tidy(x), await merge(x)])

    saver = mod(lib, "checkpoint.memory").InMemorySaver()

    @func.entrypoint(checkpointer=saver, cache=mod(lib, "cache.memory").InMemoryCache())
    async def main(inp: int) -> list[str]:
        futs = [merge("p0"), score("p1")]
        return [await f for f in futs]

    async def run(thread: str) -> list[list[str]]:
        conf = {"configurable": {"thread_id": thread}}
        chunks = [c async for c in main.astream(1, conf, stream_mode="updates")]
        return [list(c) for c in chunks]

    assert asyncio.run(run("1")) == [
        ["merge"],
        ["tidy"],
        ["merge"],
        ["score"],
        ["main"],
    ]
    # the second run hits the cache: tidy streams before the first merge
    assert asyncio.run(run("2")) == [
        ["tidy", "__metadata__"],
        ["merge"],
        ["merge"],
        ["score"],
        ["main"],
    ]


def test_async_parallel_nodes_commit_after_sibling_bodies(lib: str) -> None:
    """Parallel async nodes without ``max_concurrency`` (found with seed 200).

    Every body of the step runs before the first commit, and a retried node's
    second attempt runs after its siblings committed.
    """
    graph = mod(lib, "graph")

    class S(TypedDict, total=False):
        log: Annotated[list, operator.add]

    b = graph.StateGraph(S)
    b.add_node("a", _flaky(lib, "a", 0))
    b.add_node("b", _flaky(lib, "b", 1), retry_policy=_retry(lib))
    b.add_node("c", _flaky(lib, "c", 0))
    for n in "abc":
        b.add_edge(graph.START, n)
    g = b.compile()

    async def run() -> list[Any]:
        modes = ["updates", "custom"]
        return [c async for c in g.astream({"log": []}, stream_mode=modes)]

    def upd(n: str) -> Any:
        return ("updates", {n: {"log": [n]}})

    assert asyncio.run(run()) == [
        ("custom", "a:state"),
        ("custom", "b:state"),
        ("custom", "c:state"),
        upd("a"),
        upd("c"),
        ("custom", "b:state"),
        upd("b"),
    ]


def test_exit_durability_does_not_save_a_past_runs_writes_again(lib: str) -> None:
    """Functional seeds 1200, 1312, 1326: new input after a failed resume.

    With ``durability="exit"`` LangGraph saves at exit only the writes of
    tasks that ran in this run; the failed run's interrupt, loaded with the
    checkpoint, is not copied to the new input's checkpoint, so a later
    resume sees one pending interrupt, not two.
    """
    func, types = mod(lib, "func"), mod(lib, "types")

    @func.task(name="merge")
    def merge(x: int) -> None:
        raise ValueError(f"merge({x}) failed")

    @func.entrypoint(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    def main(inp: int) -> list[str]:
        a, b = types.interrupt("q1"), types.interrupt("q2")
        merge(inp).result()
        return [a, b]

    conf = {"configurable": {"thread_id": "1"}}
    seen = []
    for inp in (1, 2):
        main.invoke(inp, conf, durability="exit")
        main.invoke(types.Command(resume="a"), conf, durability="exit")
        with pytest.raises(ValueError, match=f"merge\\({inp}\\) failed"):
            main.invoke(types.Command(resume="b"), conf, durability="exit")
        seen.append([i.value for i in main.get_state(conf).interrupts])
    assert seen == [["q2"], ["q2"]]


def test_async_custom_writes_reach_the_stream_one_turn_late(lib: str) -> None:
    """Functional seed 387: a cached call between two parallel custom writes.

    LangGraph's async stream queues custom chunks with ``call_soon_threadsafe``
    while the root's chunks go in at once: the cache hit a first task's call
    makes comes before the custom write of a task started alongside.
    """
    func, types = mod(lib, "func"), mod(lib, "types")

    @func.task(name="merge", cache_policy=types.CachePolicy())
    async def merge(x: str) -> str:
        return f"merge({x})"

    @func.task(name="parse")
    async def parse(x: str) -> str:
        mod(lib, "config").get_stream_writer()(f"parse:{x}")
        return await merge(x)

    saver = mod(lib, "checkpoint.memory").InMemorySaver()

    @func.entrypoint(checkpointer=saver, cache=mod(lib, "cache.memory").InMemoryCache())
    async def main(inp: int) -> list[str]:
        futs = [parse("p1"), parse("p2")]
        return [await f for f in futs]

    async def run(thread: str) -> list[Any]:
        conf = {"configurable": {"thread_id": thread}}
        modes = ["updates", "custom"]
        chunks = [c async for c in main.astream(1, conf, stream_mode=modes)]
        return [(m, c if m == "custom" else list(c)) for m, c in chunks]

    asyncio.run(run("1"))
    assert asyncio.run(run("2")) == [
        ("custom", "parse:p1"),
        ("updates", ["merge", "__metadata__"]),
        ("custom", "parse:p2"),
        ("updates", ["merge", "__metadata__"]),
        ("updates", ["parse"]),
        ("updates", ["parse"]),
        ("updates", ["main"]),
    ]


@pytest.mark.parametrize("max_concurrency", [None, 1])
def test_async_subgraph_chunks_come_before_the_parent_update(
    lib: str, max_concurrency: int | None
) -> None:
    """Random graph seed 21: a subgraph's last chunk and its parent's update.

    What a subgraph streams reaches the stream a turn late, but LangGraph
    commits the parent's task several turns after the subgraph returns.
    """
    graph = mod(lib, "graph")

    class S(TypedDict, total=False):
        log: Annotated[list, operator.add]

    def node(name: str) -> Any:
        async def fn(state: Any) -> Any:
            return {"log": [name]}

        return fn

    sub = graph.StateGraph(S)
    sub.add_node("inner", node("inner"))
    sub.add_edge(graph.START, "inner")
    b = graph.StateGraph(S)
    b.add_node("outer", sub.compile())
    b.add_node("after", node("after"))
    b.add_edge(graph.START, "outer")
    b.add_edge(graph.START, "after")
    g = b.compile()

    async def run() -> list[Any]:
        conf = {} if max_concurrency is None else {"max_concurrency": 1}
        stream = g.astream({"log": []}, conf, stream_mode="updates", subgraphs=True)
        return [(len(ns), list(c)) async for ns, c in stream]

    assert asyncio.run(run()) == [(0, ["after"]), (1, ["inner"]), (0, ["outer"])]


@pytest.mark.parametrize("durability", ["exit", "async"])
def test_lone_resumed_task_output_is_lost_when_the_step_fails(
    lib: str, durability: str
) -> None:
    """Resume seed 134: a resumed task and a finished sibling both write a key.

    On resume only the interrupted task runs; the step then fails applying
    the writes (two values for ``last``).  LangGraph had not handed the lone
    task's "tasks" chunk to the caller yet: it is lost, also when exit
    durability saves the writes on the way out.
    """
    graph, types = mod(lib, "graph"), mod(lib, "types")

    class S(TypedDict, total=False):
        log: Annotated[list, operator.add]
        last: str

    def asks(state: Any) -> Any:
        return {"log": [types.interrupt("q")], "last": "asks"}

    def other(state: Any) -> Any:
        return {"last": "other"}

    b = graph.StateGraph(S)
    b.add_node("asks", asks)
    b.add_node("other", other)
    b.add_edge(graph.START, "asks")
    b.add_edge(graph.START, "other")
    g = b.compile(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    conf = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}
    g.invoke({"log": []}, conf, durability=durability)
    seen: list[Any] = []

    def consume() -> None:
        cmd = types.Command(resume="x")
        for _, chunk in g.stream(
            cmd, conf, stream_mode=["tasks"], durability=durability
        ):
            seen.append((chunk["name"], "result" in chunk))

    with pytest.raises(mod(lib, "errors").InvalidUpdateError):
        consume()
    assert seen == [("asks", False), ("other", False)]


def test_null_resume_is_taken_from_each_tasks_own_pending_list(lib: str) -> None:
    """Functional resume seed 143: a bare resume answers later calls again.

    The bare resume is saved with the checkpoint and loaded by every later
    resume.  LangGraph gives each task the list of pending writes of the
    moment, and every write makes a new list: the entrypoint takes the value
    from its list, and a task called after another task's write finds it
    still in the newer list.
    """
    func, types = mod(lib, "func"), mod(lib, "types")

    @func.task
    def check(x: int) -> str:
        return f"check({x})+" + types.interrupt(f"check?{x}")

    @func.entrypoint(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    def main(inp: int) -> list[str]:
        out = [check(8).result(), check(3).result()]
        out.append(types.interrupt("main?"))
        out.append(check(0).result())
        return out

    conf = {"configurable": {"thread_id": "1"}}
    main.invoke(1, conf)
    main.invoke(types.Command(resume="ans0"), conf)
    pending = main.get_state(conf).interrupts
    assert [i.value for i in pending] == ["check?3"]
    out = main.invoke(types.Command(resume={pending[0].id: "ans1"}), conf)
    assert out == ["check(8)+ans0", "check(3)+ans1", "ans0", "check(0)+ans0"]


def test_a_call_falls_back_to_its_callers_null_resume(lib: str) -> None:
    """Functional resume seed 32: calls made one after another, on resume.

    A call's scratchpad has its caller's as parent: once a call took the
    bare resume from its own list, the next call (made after that call's
    write) finds it in its caller's older list.
    """
    func, types = mod(lib, "func"), mod(lib, "types")

    @func.task
    def split(x: int) -> str:
        return f"split({x})+" + types.interrupt(f"split?{x}")

    @func.entrypoint(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    def main(inp: int) -> list[str]:
        return [split(x).result() for x in (0, 8, 6, 1)]

    conf = {"configurable": {"thread_id": "1"}}
    main.invoke(1, conf)
    main.invoke(types.Command(resume="ans0"), conf)
    pending = main.get_state(conf).interrupts
    out = main.invoke(types.Command(resume={pending[0].id: "ans1"}), conf)
    assert out == ["split(0)+ans0", "split(8)+ans1", "split(6)+ans0", "split(1)+ans0"]
