"""Divergences found by the differential fuzzers and reviews (fifth round).

Each test runs once per library (the reference and the library under test)
and asserts what LangGraph does, so a failure only for the library under test
is a compatibility bug.  The seed that found each case, if any, is named in
its docstring.
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


class X(TypedDict):
    x: int


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_runnable_a_node_returns_is_run_on_its_input(lib: str, mode: str) -> None:
    """LangGraph's nodes run a returned runnable (a graph too) on their input."""
    from langchain_core.runnables import RunnableLambda

    g = mod(lib, "graph")
    sub = g.StateGraph(X)
    sub.add_node("s", lambda s: {"x": s["x"] * 10})
    sub.add_edge(g.START, "s")
    compiled = sub.compile()
    builder = g.StateGraph(X)
    builder.add_node("a", lambda s: RunnableLambda(lambda st: {"x": st["x"] + 1}))

    async def b(s: X) -> Any:
        return compiled

    builder.add_node("b", b if mode == "async" else lambda s: compiled)
    builder.add_conditional_edges("b", lambda s: RunnableLambda(lambda st: g.END))
    builder.add_edge(g.START, "a")
    builder.add_edge("a", "b")
    graph = builder.compile()
    if mode == "sync":
        chunks = list(graph.stream({"x": 1}, stream_mode="updates", subgraphs=True))
    else:

        async def run() -> list[Any]:
            kw: dict[str, Any] = {"stream_mode": "updates", "subgraphs": True}
            return [c async for c in graph.astream({"x": 1}, **kw)]

        chunks = asyncio.run(run())
    assert [(len(ns), c) for ns, c in chunks] == [
        (0, {"a": {"x": 2}}),
        (1, {"s": {"x": 20}}),
        (0, {"b": {"x": 20}}),
    ]


class Big(TypedDict, total=False):
    total: Any
    log: Annotated[list[str], operator.add]


def _big_int_graph(lib: str, calls: list[str], checkpointer: Any) -> Any:
    """``b`` writes an int beyond 64 bits; ``c`` overwrites it."""
    g = mod(lib, "graph")
    builder = g.StateGraph(Big)

    def node(name: str, update: dict[str, Any]) -> Any:
        def fn(state: Big) -> dict[str, Any]:
            calls.append(name)
            # total first: LangGraph's InMemorySaver stores the writes before
            # a failing one (ours stores a task's writes all or none).
            return {**update, "log": [name]}

        return fn

    builder.add_node("a", node("a", {}))
    builder.add_node("b", node("b", {"total": 2**70}))
    builder.add_node("c", node("c", {"total": 1}))
    builder.add_node("d", node("d", {}))
    builder.add_edge(g.START, "a")
    builder.add_edge("a", "b")
    builder.add_edge("b", "c")
    builder.add_edge("c", "d")
    return builder.compile(checkpointer=checkpointer)


_BIG_INT_RUNS = {
    # The run goes on (saves are in the background); the first failure is
    # raised as the loop exits; the last step's chunk is lost with it; no
    # checkpoint is put after the failed one.
    "async": (["a", "b", "c"], ["a", "b", "c", "d"], ["a"], ("b",), 3),
    # The step's checkpoint is awaited: the failure ends the run at once.
    "sync": (["a"], ["a", "b"], ["a"], ("b",), 3),
    # Only the final checkpoint is put, and it holds no big int any more.
    "exit": (None, ["a", "b", "c", "d"], ["a", "b", "c", "d"], (), 1),
}


@pytest.mark.parametrize("durability", list(_BIG_INT_RUNS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_int_beyond_64_bits_fails_its_save(
    lib: str, durability: str, mode: str
) -> None:
    """Ext seed 361: LangGraph's serializer refuses ints beyond 64 bits.

    ``TypeError('Integer exceeds 64-bit range')`` (ormsgpack's), when the
    checkpoint or the writes holding one are saved, with LangGraph's timing.
    """
    calls: list[str] = []
    graph = _big_int_graph(lib, calls, mod(lib, "checkpoint.memory").InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    kw: dict[str, Any] = {"stream_mode": "updates", "durability": durability}
    chunks: list[str] = []

    async def run() -> None:
        async for chunk in graph.astream({"log": []}, config, **kw):
            chunks.extend(chunk)

    error: BaseException | None = None
    try:
        if mode == "sync":
            for chunk in graph.stream({"log": []}, config, **kw):
                chunks.extend(chunk)
        else:
            asyncio.run(run())
    except Exception as exc:
        error = exc
    seen, ran, log, nxt, saved = _BIG_INT_RUNS[durability]
    if seen is None:
        assert error is None
        assert chunks == ran
    else:
        assert type(error) is TypeError
        assert str(error) == "Integer exceeds 64-bit range"
        assert chunks == seen
    assert calls == ran
    state = graph.get_state(config)
    assert (state.values.get("log"), state.next) == (log, nxt)
    assert len(list(graph.get_state_history(config))) == saved


def test_an_int_beyond_64_bits_runs_without_a_checkpointer(lib: str) -> None:
    calls: list[str] = []
    graph = _big_int_graph(lib, calls, None)
    assert graph.invoke({"log": []}) == {"total": 1, "log": ["a", "b", "c", "d"]}
    saver = mod(lib, "checkpoint.memory").InMemorySaver()
    config = {"configurable": {"thread_id": "1"}}
    with pytest.raises(TypeError, match=r"^Integer exceeds 64-bit range$"):
        _big_int_graph(lib, calls, saver).update_state(config, {"total": -(2**63) - 1})


def _msg_chunks(graph: Any, config: Any, mode: str, **kw: Any) -> list[Any]:
    inp = {"messages": [("user", "hi")]}
    if mode == "sync":
        return list(graph.stream(inp, config, stream_mode="messages", **kw))

    async def run() -> list[Any]:
        return [
            c async for c in graph.astream(inp, config, stream_mode="messages", **kw)
        ]

    return asyncio.run(run())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_pushed_messages_stream_each_time_without_ls_integration(
    lib: str, mode: str
) -> None:
    """Messages fuzz: ``push_message`` streams even a seen id, with task metadata."""
    from langchain_core.messages import AIMessage

    g = mod(lib, "graph")
    message = mod(lib, "graph.message")

    def node(state: Any) -> Any:
        pushed = AIMessage(content="pushed", id="p1")
        message.push_message(pushed)
        message.push_message(pushed, state_key=None)
        return {"messages": [pushed, AIMessage(content="own", id="o1")]}

    builder = g.StateGraph(message.MessagesState)
    builder.add_node("node", node)
    builder.add_edge(g.START, "node")
    chunks = _msg_chunks(builder.compile(), {"metadata": {"user": "u"}}, mode)
    assert [(m.id, list(meta)[:3]) for m, meta in chunks] == [
        ("p1", ["user", "langgraph_step", "langgraph_node"]),
        ("p1", ["user", "langgraph_step", "langgraph_node"]),
        ("o1", ["user", "ls_integration", "langgraph_step"]),
    ]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_id_less_subgraph_message_streams_once(lib: str, mode: str) -> None:
    """Messages fuzz seeds 15, 16, 37: the id the handler gives it is the message's.

    So the parent node returning the subgraph's output does not stream it
    again; a subgraph's metadata has ``ls_integration`` before the task keys.
    """
    from langchain_core.messages import AIMessage

    g = mod(lib, "graph")
    message = mod(lib, "graph.message")
    sub = g.StateGraph(message.MessagesState)
    sub.add_node("inner", lambda s: {"messages": [AIMessage(content="x")]})
    sub.add_edge(g.START, "inner")
    builder = g.StateGraph(message.MessagesState)
    builder.add_node("outer", sub.compile())
    builder.add_edge(g.START, "outer")
    graph = builder.compile(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    chunks = _msg_chunks(graph, config, mode, subgraphs=True)
    assert [(len(ns), m.content, list(meta)[:3]) for ns, (m, meta) in chunks] == [
        (1, "x", ["thread_id", "ls_integration", "langgraph_step"])
    ]
    assert chunks[0][1][0].id is not None
    saved = graph.get_state(config).values["messages"]
    assert saved[-1].id == chunks[0][1][0].id


@pytest.mark.parametrize(
    "config",
    [
        None,
        {"recursion_limit": 50},
        {"recursion_limit": 10007},
        {"tags": ["t1"]},
        {"run_name": "rn", "run_id": "00000000-0000-0000-0000-000000000001"},
        {"metadata": {"m": 1}, "max_concurrency": 3},
    ],
    ids=["none", "limit", "default-limit", "tags", "run", "metadata"],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_node_sees_the_config_langgraph_gives_it(
    lib: str, mode: str, config: dict[str, Any] | None
) -> None:
    """Review: an untraced node's config has no run name or id, no empty tags,
    and a recursion limit only when the caller gave one (even the default's
    value)."""
    g, cfg_mod = mod(lib, "graph"), mod(lib, "config")
    seen: list[dict[str, Any]] = []

    def node(s: X) -> X:
        c = cfg_mod.get_config()
        seen.append(
            {k: v for k, v in c.items() if k not in ("configurable", "callbacks")}
        )
        return {"x": s["x"] + 1}

    builder = g.StateGraph(X)
    builder.add_node("n", node)
    builder.add_edge(g.START, "n")
    graph = builder.compile()
    if mode == "sync":
        graph.invoke({"x": 0}, config)
    else:
        asyncio.run(graph.ainvoke({"x": 0}, config))
    (got,) = seen
    got["metadata"].pop("langgraph_checkpoint_ns")
    expected: dict[str, Any] = {
        "metadata": {
            **((config or {}).get("metadata") or {}),
            "langgraph_step": 1,
            "langgraph_node": "n",
            "langgraph_triggers": ("branch:to:n",),
            "langgraph_path": ("__pregel_pull", "n"),
        }
    }
    for key in ("recursion_limit", "tags", "max_concurrency"):
        if config and key in config:
            expected[key] = config[key]
    assert got == expected


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


# LangGraph drops the coroutine of the task it never started, unawaited.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <coroutine object arun_with_retry"
    ":pytest.PytestUnraisableExceptionWarning"
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_one_at_a_time_the_task_after_a_failure_starts_then_is_cancelled(
    lib: str, mode: str
) -> None:
    """Ext fuzz seed 796 (async): with ``max_concurrency=1`` the failed task
    lets the next one in before the step stops: it runs to its first
    suspension, then is cancelled (its writes lost); later ones never start.
    The sync runner runs every sibling to its end and keeps their writes."""
    g = mod(lib, "graph")
    calls: list[str] = []

    def a(s: Log) -> Log:
        calls.append("a")
        raise ValueError("boom")

    async def b_async(s: Log) -> Log:
        calls.append("b:start")
        await asyncio.sleep(0)
        calls.append("b:end")
        return {"log": ["b"]}

    def b_sync(s: Log) -> Log:
        calls.extend(["b:start", "b:end"])
        return {"log": ["b"]}

    def c(s: Log) -> Log:
        calls.append("c")
        return {"log": ["c"]}

    builder = g.StateGraph(Log)
    builder.add_node("a", a)
    builder.add_node("b", b_async if mode == "async" else b_sync)
    builder.add_node("c", c)
    for name in ("a", "b", "c"):
        builder.add_edge(g.START, name)
    graph = builder.compile(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())
    config = {"configurable": {"thread_id": "1"}, "max_concurrency": 1}
    run = (
        (lambda: graph.invoke({"log": []}, config))
        if mode == "sync"
        else (lambda: asyncio.run(graph.ainvoke({"log": []}, config)))
    )
    with pytest.raises(ValueError, match="boom"):
        run()
    tasks = [(t.name, t.error, t.result) for t in graph.get_state(config).tasks]
    if mode == "async":
        assert calls == ["a", "b:start"]
        cancelled = "CancelledError()"
        assert tasks[1:] == [("b", cancelled, None), ("c", cancelled, None)]
    else:
        assert calls == ["a", "b:start", "b:end", "c"]
        assert tasks[1:] == [("b", None, {"log": ["b"]}), ("c", None, {"log": ["c"]})]


class _AB(TypedDict, total=False):
    a: int
    b: object


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_writes_before_an_unserializable_one_stay_saved(
    lib: str, durability: str
) -> None:
    """InMemorySaver stores each write in turn: those before a failing one stay.

    A resume then finds the task's saved writes and does not run it again.
    """
    import threading

    g = mod(lib, "graph")
    saver = mod(lib, "checkpoint.memory").InMemorySaver()
    calls: list[int] = []

    def node(state: _AB) -> dict[str, Any]:
        calls.append(1)
        return {"a": 1, "b": threading.Lock()}

    builder = g.StateGraph(_AB)
    builder.add_node("node", node)
    builder.add_edge(g.START, "node")
    graph = builder.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": durability}}
    with pytest.raises(TypeError, match="serializ"):
        graph.invoke({"a": 0}, config, durability=durability)
    saved = sorted(w[1] for ws in saver.writes.values() for w in ws.values())
    assert saved == ["a", "a", "branch:to:node"]
    state = graph.get_state(config)
    assert [(t.name, t.result) for t in state.tasks] == [("node", {"a": 1})]
    assert graph.invoke(None, config, durability=durability) == {"a": 1}
    assert calls == [1]
