"""Divergences found by review and the differential fuzzers (seventh round).

Each test runs once per library (the reference and the library under test)
and asserts what LangGraph does, so a failure only for the library under test
is a compatibility bug.  The seed that found a fuzzer case is named in its
docstring.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
from typing import Annotated, Any

import pytest
from _lib import REFERENCE, sut_name
from langchain_core.runnables import RunnableLambda
from typing_extensions import TypedDict


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def mod(lib: str, name: str) -> Any:
    return importlib.import_module(f"{lib}.{name}")


class X(TypedDict, total=False):
    x: int


_NO_SYNC = r"^Cannot invoke a coroutine function synchronously"


class SyncFails(RunnableLambda[Any, Any]):
    """A runnable whose sync API fails: only ``ainvoke`` gives its result."""

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        raise RuntimeError("sync API used")


def _returning_async_runnables(lib: str, seen: list[Any]) -> Any:
    """``a`` (sync) returns an async-only runnable, as does the path after it."""
    g = mod(lib, "graph")

    async def add_one(s: X, config: Any) -> X:
        seen.append(config["metadata"]["langgraph_node"])
        return {"x": s["x"] + 1}

    async def to_b(s: X) -> str:
        return "b"

    def a(s: X) -> Any:
        return RunnableLambda(add_one)

    def path(s: X) -> Any:
        return RunnableLambda(to_b)

    b = g.StateGraph(X)
    b.add_node("a", a)
    b.add_node("b", lambda s: {"x": s["x"] * 10})
    b.add_node("c", lambda s: {"x": s["x"] + 5})
    b.add_edge(g.START, "a")
    b.add_conditional_edges("a", path, ["b"])
    b.add_edge("b", "c")
    return b.compile()


def test_a_runnable_a_sync_node_returns_is_ainvoked_in_async_runs(lib: str) -> None:
    """A sync node or path returning a runnable: LangGraph's ``RunnableCallable``
    ``ainvoke``s it in async runs (with the node's config), ``invoke``s it in
    sync ones. Several runs: a quick sync node may run on the event loop."""
    seen: list[Any] = []
    graph = _returning_async_runnables(lib, seen)

    async def runs() -> list[Any]:
        return [await graph.ainvoke({"x": 1}) for _ in range(3)]

    assert asyncio.run(runs()) == [{"x": 25}] * 3
    assert seen == ["a"] * 3
    with pytest.raises(TypeError, match=_NO_SYNC):
        graph.invoke({"x": 1})


def test_runnables_sync_nodes_return_in_a_parallel_async_step(lib: str) -> None:
    """Two sync nodes of one step (run on worker threads) return runnables
    whose ``invoke`` fails: both are ``ainvoke``d, the stream is LangGraph's."""
    g = mod(lib, "graph")

    class PQ(TypedDict, total=False):
        p: int
        q: int

    def node(name: str) -> Any:
        async def plus(s: PQ) -> PQ:
            return {name: 1}  # type: ignore[misc]

        return lambda s: SyncFails(lambda v: v, afunc=plus, name="f")

    b = g.StateGraph(PQ)
    for name in ("p", "q"):
        b.add_node(name, node(name))
        b.add_edge(g.START, name)
    graph = b.compile()

    async def run() -> list[Any]:
        return [
            c
            async for c in graph.astream(
                {"p": 0}, stream_mode="updates", config={"max_concurrency": 1}
            )
        ]

    assert asyncio.run(run()) == [{"p": {"p": 1}}, {"q": {"q": 1}}]
    with pytest.raises(RuntimeError, match=r"^sync API used\n"):
        graph.invoke({"p": 0})


def test_a_runnable_path_is_ainvoked_in_async_runs(lib: str) -> None:
    """A conditional edge whose path is a runnable: ``ainvoke`` in async runs."""
    g = mod(lib, "graph")

    async def to_b(s: X) -> str:
        return "b"

    b = g.StateGraph(X)
    b.add_node("a", lambda s: {"x": 2})
    b.add_node("b", lambda s: {"x": s["x"] * 10})
    b.add_edge(g.START, "a")
    b.add_conditional_edges("a", SyncFails(lambda s: "a", afunc=to_b, name="p"))
    graph = b.compile()
    assert asyncio.run(graph.ainvoke({"x": 1})) == {"x": 20}
    with pytest.raises(RuntimeError, match=r"^sync API used\n"):
        graph.invoke({"x": 1})


def test_a_failing_returned_runnable_fails_the_node_in_async_runs(lib: str) -> None:
    """The error of the ``ainvoke``d runnable is the node's: retried by its
    retry policy, then raised from the run."""
    g, types = mod(lib, "graph"), mod(lib, "types")
    calls: list[int] = []

    async def boom(s: X) -> X:
        calls.append(s["x"])
        raise ValueError("async boom")

    b = g.StateGraph(X)
    b.add_node(
        "a",
        lambda s: SyncFails(lambda v: v, afunc=boom, name="f"),
        retry_policy=types.RetryPolicy(
            max_attempts=2, initial_interval=0.0, retry_on=ValueError
        ),
    )
    b.add_edge(g.START, "a")
    graph = b.compile()
    with pytest.raises(ValueError, match=r"^async boom\n"):
        asyncio.run(graph.ainvoke({"x": 1}))
    assert calls == [1, 1]


def _runnable_ids(drawing: Any) -> dict[str, Any]:
    """Each drawn node's JSON by id (generated ids replaced by the type)."""
    out: dict[str, Any] = {}
    for node in drawing.to_json()["nodes"]:
        key = node["id"] if isinstance(node["id"], str) else node["type"]
        out[key] = {k: v for k, v in node.items() if k != "id"}
    return out


def test_a_graph_composed_with_langchain_draws_its_nodes_as_runnables(
    lib: str,
) -> None:
    """``(prompt | graph).get_graph()`` is LangChain's drawing of our nodes:
    a function node, the input node and a ``ToolNode`` serialize under
    LangGraph's class paths, as ``runnable`` nodes (not ``unknown``)."""
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.tools import tool

    g, prebuilt = mod(lib, "graph"), mod(lib, "prebuilt")

    @tool
    def echo(a: int) -> int:
        """Echo ``a``."""
        return a

    class M(TypedDict, total=False):
        x: int
        messages: list[Any]

    b = g.StateGraph(M)
    b.add_node("a", lambda s: {"x": 1})
    b.add_node("tools", prebuilt.ToolNode([echo]))
    b.add_node("lam", RunnableLambda(lambda s: s, name="lam"))
    b.add_edge(g.START, "a")
    b.add_edge("a", "tools")
    b.add_edge("tools", "lam")
    graph = b.compile()
    prompt = ChatPromptTemplate.from_messages([("human", "{x}")])
    callable_id = ["langgraph", "_internal", "_runnable", "RunnableCallable"]
    drawn = _runnable_ids((prompt | graph | RunnableLambda(str)).get_graph())
    assert drawn["a"] == {
        "type": "runnable",
        "data": {"id": callable_id, "name": "a"},
    }
    assert drawn["tools"] == {
        "type": "runnable",
        "data": {
            "id": ["langgraph", "prebuilt", "tool_node", "ToolNode"],
            "name": "tools",
        },
        "metadata": {"__tools": ["echo"]},
    }
    assert drawn["lam"]["data"]["name"] == "lam"
    own = _runnable_ids(graph.get_graph())
    assert own["__start__"]["data"] == {"id": callable_id, "name": "__start__"}
    assert own["a"] == drawn["a"]
    assert own["tools"] == drawn["tools"]


class Log(TypedDict, total=False):
    log: Annotated[list[str], operator.add]


# LangGraph drops the coroutine of the task it never started, unawaited.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <coroutine object arun_with_retry"
    ":pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("durability", ["exit", "async"])
@pytest.mark.parametrize("kind", ["async", "sync"])
def test_tasks_cancelled_by_a_failure_leave_no_error_on_exit(
    lib: str, durability: str, kind: str
) -> None:
    """An async run one task at a time: ``a`` fails, the sibling after it is
    cancelled. With ``durability="exit"`` LangGraph saves the run's writes
    before the cancelled task reports back, so its ``CancelledError`` is not
    saved (state edits fuzzer seed 102140); otherwise it is."""
    g, memory = mod(lib, "graph"), mod(lib, "checkpoint.memory")

    async def a(s: Log) -> Log:
        raise ValueError("a")

    async def b_async(s: Log) -> Log:
        await asyncio.sleep(0)
        return {"log": ["b"]}

    def b_sync(s: Log) -> Log:
        return {"log": ["b"]}

    builder = g.StateGraph(Log)
    builder.add_node("a", a)
    builder.add_node("b", b_async if kind == "async" else b_sync)
    builder.add_edge(g.START, "a")
    builder.add_edge(g.START, "b")
    graph = builder.compile(checkpointer=memory.InMemorySaver())
    conf: dict[str, Any] = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}

    async def run() -> Any:
        with pytest.raises(ValueError, match=r"^a\n"):
            await graph.ainvoke({"log": []}, conf, durability=durability)
        return await graph.aget_state(conf)

    state = asyncio.run(run())
    cancelled = None if durability == "exit" else "CancelledError()"
    assert [(t.name, t.error, t.result) for t in state.tasks] == [
        ("a", "ValueError('a')", None),
        ("b", cancelled, None),
    ]
