"""More behaviours LangGraph's own tests check, run on langgraph and on us.

As in ``test_compat_fixes``: each test runs once per library and what
LangGraph does is the expectation.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from typing import Any, TypedDict

import pytest
from _lib import REFERENCE, sut_name
from langchain_core.runnables import RunnableConfig


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def mod(lib: str, name: str) -> Any:
    return importlib.import_module(f"{lib}.{name}")


class Num(TypedDict):
    x: int


def _echo_graph(lib: str, seen: list[dict[str, Any]]) -> Any:
    """``StateGraph(dict)``: the whole state is one dict value (a root channel)."""

    def node(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        seen.append(
            {
                "state": state,
                "configurable": {
                    k: v
                    for k, v in config["configurable"].items()
                    if k in ("bound", "given", "both")
                },
                "metadata": {
                    k: v
                    for k, v in config["metadata"].items()
                    if k in ("bound", "given", "both")
                },
                "tags": list(config.get("tags") or []),
            }
        )
        return {**state, "seen": True}

    builder = mod(lib, "graph").StateGraph(dict)
    builder.add_node("node", node)
    builder.add_edge("__start__", "node")
    return builder.compile()


@pytest.mark.asyncio
@pytest.mark.parametrize("is_async", [False, True])
async def test_dict_state_schema_passes_the_whole_dict(
    lib: str, is_async: bool
) -> None:
    seen: list[dict[str, Any]] = []
    graph = _echo_graph(lib, seen)
    for value in ({}, {"a": 1}):
        out = await graph.ainvoke(value) if is_async else graph.invoke(value)
        assert out == {**value, "seen": True}
    assert [s["state"] for s in seen] == [{}, {"a": 1}]


@pytest.mark.asyncio
@pytest.mark.parametrize("is_async", [False, True])
async def test_with_config_values_merge_with_the_call_config(
    lib: str, is_async: bool
) -> None:
    seen: list[dict[str, Any]] = []
    graph = _echo_graph(lib, seen).with_config(
        configurable={"bound": 1, "both": "bound"},
        metadata={"bound": 1, "both": "bound"},
        tags=["bound", "same"],
    )
    config = {
        "configurable": {"given": 2, "both": "given"},
        "metadata": {"given": 2, "both": "given"},
        "tags": ["given", "same"],
    }
    if is_async:
        await graph.ainvoke({}, config)
    else:
        graph.invoke({}, config)
    # Per key for the dicts (the call wins), concatenated for the tags.
    assert seen[0]["configurable"] == {"bound": 1, "given": 2, "both": "given"}
    assert seen[0]["metadata"] == {"bound": 1, "given": 2, "both": "given"}
    assert seen[0]["tags"] == ["bound", "same", "given", "same"]


def _async_branch_graph(lib: str) -> Any:
    graph = mod(lib, "graph")

    def add(state: Num) -> Num:
        return {"x": state["x"] + 1}

    def times_ten(state: Num) -> Num:
        return {"x": state["x"] * 10}

    async def route(state: Num) -> str:
        return "times_ten" if state["x"] < 10 else graph.END

    builder = graph.StateGraph(Num)
    builder.add_node("add", add)
    builder.add_node("times_ten", times_ten)
    builder.add_edge(graph.START, "add")
    builder.add_conditional_edges("add", route, ["times_ten", graph.END])
    return builder.compile(checkpointer=mod(lib, "checkpoint.memory").InMemorySaver())


_NO_SYNC = (
    r'^No synchronous function provided to "route"\.\n'
    r"Either initialize with a synchronous function or invoke via the async API "
    r"\(ainvoke, astream, etc\.\)"
)


@pytest.mark.asyncio
async def test_aupdate_state_as_node_awaits_its_async_edge(lib: str) -> None:
    graph = _async_branch_graph(lib)
    config = {"configurable": {"thread_id": "1"}}
    await graph.aupdate_state(config, {"x": 3}, as_node="add")
    state = await graph.aget_state(config)
    assert state.next == ("times_ten",)
    assert await graph.ainvoke(None, config) == {"x": 30}


def test_sync_update_state_refuses_an_async_edge(lib: str) -> None:
    graph = _async_branch_graph(lib)
    config = {"configurable": {"thread_id": "1"}}
    with pytest.raises(TypeError, match=_NO_SYNC + "$"):
        graph.update_state(config, {"x": 3}, as_node="add")
    assert graph.get_state(config).next == ()


def test_sync_invoke_refuses_an_async_edge(lib: str) -> None:
    graph = _async_branch_graph(lib)
    # Raised in the task, so the error carries a note naming it.
    note = r"\nDuring task with name 'add' and id '[0-9a-f-]+'$"
    with pytest.raises(TypeError, match=_NO_SYNC + note):
        graph.invoke({"x": 1}, {"configurable": {"thread_id": "1"}})


@pytest.mark.asyncio
async def test_root_stream_events_come_after_the_caller_resumes(lib: str) -> None:
    func = mod(lib, "func")

    @func.task()
    async def double(number: int) -> int:
        await asyncio.sleep(0)
        return number * 2

    @func.task()
    async def fail(number: int) -> int:
        await asyncio.sleep(0)
        raise ValueError("boom")

    @func.entrypoint()
    async def flow(number: int) -> str:
        await double(number)
        with contextlib.suppress(ValueError):
            await fail(number)
        await double(number)
        return "done"

    # A first run streams live (the nodes are not known to be quick yet).
    events = [(e["event"], e["name"]) async for e in flow.astream_events(1)]
    root = "LangGraph"
    assert events == [
        ("on_chain_start", root),
        ("on_chain_start", "flow"),
        ("on_chain_start", "double"),
        ("on_chain_stream", "double"),
        ("on_chain_end", "double"),
        # The graph's chunk is streamed before ``flow`` goes on to call ``fail``
        ("on_chain_stream", root),
        ("on_chain_start", "fail"),
        ("on_chain_start", "double"),
        ("on_chain_stream", "double"),
        ("on_chain_end", "double"),
        # but after ``flow``, resumed by ``double``'s result, has returned.
        ("on_chain_stream", "flow"),
        ("on_chain_stream", root),
        ("on_chain_end", "flow"),
        ("on_chain_stream", root),
        ("on_chain_end", root),
    ]
