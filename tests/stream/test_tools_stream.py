"""``stream_mode="tools"`` and ``ToolCallTransformer``: the same events as LangGraph.

Each program is built with both libraries (a caller node that asks for tool
calls, a ``ToolNode``, tools that stream deltas, fail, or interrupt) and run
through the sync and async APIs; the ``tools`` chunks, the v3 ``tools``
events and the ``run.tool_calls`` handles must match, messages compared by
type, content and tool call id.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import warnings
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool

LIBS = ("langgraph", "stategraph")


def lib(name: str, module: str) -> Any:
    return importlib.import_module(f"{name}.{module}")


def plain(value: Any) -> Any:
    """Messages as (type, content, tool_call_id); ids and timestamps dropped."""
    if isinstance(value, BaseMessage):
        return (value.type, value.content, getattr(value, "tool_call_id", None))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "timestamp"}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, BaseException):
        return (type(value).__name__, str(value))
    if isinstance(value, str):
        return TASK_ID.sub(r"\1:<task id>", value)
    return value


TASK_ID = re.compile(r"^([^:|]+):[0-9a-f-]{36}$")  # namespace segments


def build(name: str, *, subgraph: bool = False, checkpointer: bool = False) -> Any:
    graph_mod = lib(name, "graph")
    prebuilt = lib(name, "prebuilt")
    types = lib(name, "types")
    state = graph_mod.MessagesState

    def search_body(q: str, runtime: Any) -> str:
        """Search for q, streaming partial results."""
        for i in range(3):
            runtime.emit_output_delta({"chunk": i, "q": q})
        return f"found {q}"

    # Real types (this module's annotations are strings): the runtime is
    # injected because of its type, which is each library's own.
    search_body.__annotations__ = {
        "q": str,
        "runtime": prebuilt.ToolRuntime,
        "return": str,
    }
    search = tool("search")(search_body)

    @tool
    def fail(q: str) -> str:
        """Always fails."""
        raise ValueError(f"cannot {q}")

    @tool
    def ask(q: str) -> str:
        """Asks a human first."""
        answer = types.interrupt(f"ok to {q}?")
        return f"{q}: {answer}"

    def caller(values: Any) -> dict[str, Any]:
        calls = [
            {"name": "search", "args": {"q": "x"}, "id": "c1"},
            {"name": "fail", "args": {"q": "y"}, "id": "c2"},
        ]
        if checkpointer:
            calls = [{"name": "ask", "args": {"q": "z"}, "id": "c3"}]
        return {"messages": [AIMessage("", tool_calls=calls)]}

    inner = graph_mod.StateGraph(state)
    inner.add_node("caller", caller)
    inner.add_node(
        "tools", prebuilt.ToolNode([search, fail, ask], handle_tool_errors=True)
    )
    inner.add_edge(graph_mod.START, "caller")
    inner.add_edge("caller", "tools")
    saver = lib(name, "checkpoint.memory").InMemorySaver() if checkpointer else None
    if not subgraph:
        return inner.compile(
            checkpointer=saver, transformers=[prebuilt.ToolCallTransformer]
        )
    outer = graph_mod.StateGraph(state)
    outer.add_node("agent", inner.compile())
    outer.add_edge(graph_mod.START, "agent")
    return outer.compile(checkpointer=saver)


def run(coro: Any) -> Any:
    with warnings.catch_warnings():
        from langchain_core._api import LangChainBetaWarning

        warnings.simplefilter("ignore", LangChainBetaWarning)
        return asyncio.run(coro)


async def chunks(graph: Any, mode: str, *args: Any, **kw: Any) -> list[Any]:
    if mode == "sync":
        got = await asyncio.to_thread(lambda: list(graph.stream(*args, **kw)))
    else:
        got = [c async for c in graph.astream(*args, **kw)]
    return by_call(got)


def by_call(items: list[Any]) -> list[Any]:
    """Tool events grouped by call, in order within each call.

    ``ToolNode`` runs a message's tool calls in parallel, so the events of
    different calls interleave differently from run to run (in both
    libraries); the other chunks keep their order.
    """
    calls: dict[str, list[Any]] = {}
    rest = []
    for item in items:
        payload = item if isinstance(item, dict) else item[-1]
        if isinstance(payload, dict) and "tool_call_id" in payload:
            calls.setdefault(payload["tool_call_id"], []).append(item)
        else:
            rest.append(item)
    return rest + [calls[k] for k in sorted(calls)]


def both(read: Any) -> tuple[Any, Any]:
    theirs, ours = (plain(run(read(name))) for name in LIBS)
    return theirs, ours


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("modes", [["tools"], ["tools", "updates"], "tools"])
def test_tools_chunks_match_langgraph(mode: str, modes: Any) -> None:
    theirs, ours = both(
        lambda name: chunks(build(name), mode, {"messages": []}, stream_mode=modes)
    )
    assert ours == theirs
    flat = [c for item in ours for c in (item if isinstance(item, list) else [item])]
    payloads = [c if isinstance(c, dict) else c[-1] for c in flat]
    events = [p["event"] for p in payloads if "event" in p]
    assert events.count("tool-output-delta") == 3
    assert "tool-error" in events


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("subgraphs", [True, False])
def test_subgraph_tools_match_langgraph(mode: str, subgraphs: bool) -> None:
    theirs, ours = both(
        lambda name: chunks(
            build(name, subgraph=True),
            mode,
            {"messages": []},
            stream_mode=["tools", "values"],
            subgraphs=subgraphs,
        )
    )
    assert ours == theirs
    assert any(isinstance(item, list) for item in ours) is subgraphs


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_interrupted_tool_is_paused_not_failed(mode: str) -> None:
    cmd = lib("stategraph", "types").Command

    async def read(name: str) -> list[Any]:
        graph = build(name, checkpointer=True)
        config = {"configurable": {"thread_id": "t"}}
        first = await chunks(
            graph, mode, {"messages": []}, config, stream_mode=["tools"]
        )
        resume = (lib(name, "types").Command if name == "langgraph" else cmd)(
            resume="yes"
        )
        second = await chunks(graph, mode, resume, config, stream_mode=["tools"])
        return [first, second]

    theirs, ours = both(read)
    assert ours == theirs
    (first,), (second,) = ours
    assert [c[1]["event"] for c in first] == ["tool-started"]
    assert [c[1]["event"] for c in second] == ["tool-started", "tool-finished"]


async def v3_record(name: str, mode: str) -> dict[str, Any]:
    graph = build(name)
    if mode == "sync":
        stream = graph.stream_events({"messages": []}, version="v3")
        log = iter(stream)
        calls = [
            (c.tool_call_id, c.tool_name, c.input, list(c.output_deltas), c)
            for c in stream.tool_calls
        ]
        events = list(log)
    else:
        stream = await graph.astream_events({"messages": []}, version="v3")
        log = aiter(stream)
        calls = []
        async for c in stream.tool_calls:
            deltas = [d async for d in c.output_deltas]
            calls.append((c.tool_call_id, c.tool_name, c.input, deltas, c))
        events = [e async for e in log]
    return {
        "calls": sorted(
            (*head, c.output, c.error, c.completed, repr(c)) for *head, c in calls
        ),
        "tools_events": by_call(
            [
                (e["params"]["namespace"], e["params"]["data"])
                for e in events
                if e["method"] == "tools"
            ]
        ),
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_tool_calls_projection_matches_langgraph(mode: str) -> None:
    theirs, ours = both(lambda name: v3_record(name, mode))
    assert ours == theirs
    (ok, failed) = ours["calls"]
    assert ok[3] == [{"chunk": i, "q": "x"} for i in range(3)]
    assert ok[4] == "found x"
    assert failed[5] == "cannot y"
    assert [len(call) for call in ours["tools_events"]] == [5, 2]


def test_emit_output_delta_without_tools_mode_is_a_no_op() -> None:
    graph = build("stategraph")
    out = graph.invoke({"messages": []})
    assert [m.content for m in out["messages"][1:]] == [
        "found x",
        "Error: ValueError('cannot y')\n Please fix your mistakes.",
    ]
