"""Behaviours LangGraph's own test suite checks, run on langgraph and on us.

Each test runs once per library: what LangGraph does is the expectation, so a
test failing only for the library under test is a compatibility bug.
"""

from __future__ import annotations

import asyncio
import importlib
import operator
import threading
import uuid
from typing import Annotated, Any, TypedDict

import pytest
from _lib import REFERENCE, sut_name
from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from pydantic import Field, create_model


@pytest.fixture(params=[REFERENCE, "sut"])
def lib(request: pytest.FixtureRequest) -> str:
    return REFERENCE if request.param == REFERENCE else sut_name()


def mod(lib: str, name: str) -> Any:
    return importlib.import_module(f"{lib}.{name}")


class State(TypedDict, total=False):
    value: str
    items: Annotated[list[str], operator.add]


def test_config_type_is_a_deprecated_context_schema(lib: str) -> None:
    pregel = mod(lib, "pregel")
    channels = mod(lib, "channels")
    category = mod(lib, "warnings").LangGraphDeprecatedSinceV10
    node = (
        pregel.NodeBuilder()
        .subscribe_only("input")
        .do(lambda x: str(x))
        .write_to("output")
    )
    with pytest.warns(category, match="`config_type` is deprecated"):
        graph = pregel.Pregel(
            nodes={"one": node},
            channels={
                "input": channels.LastValue(int),
                "output": channels.LastValue(str),
            },
            input_channels="input",
            output_channels="output",
            config_type=State,
        )
    assert graph.context_schema is State


def test_mistyped_config_parameter_warns_when_the_node_is_added(lib: str) -> None:
    def node(state: State, config: dict) -> State:  # type: ignore[type-arg]
        return state

    builder = mod(lib, "graph").StateGraph(State)
    with pytest.warns(UserWarning, match="should be typed as 'RunnableConfig'"):
        builder.add_node(node)


def test_foreign_object_in_runtime_slot_lends_its_context(lib: str) -> None:
    constants = mod(lib, "_internal._constants" if lib == REFERENCE else "_constants")
    seen: dict[str, Any] = {}

    class ServerRuntime:  # carries context and store, but is no Runtime
        def __init__(self) -> None:
            self.context = {"source": "graph-level"}
            self.store = None

    def echo(state: State, runtime: Any) -> State:
        seen["context"] = runtime.context
        return {"value": "done"}

    g = mod(lib, "graph").StateGraph(State)
    g.add_node("echo", echo)
    g.set_entry_point("echo")
    config = {"configurable": {constants.CONFIG_KEY_RUNTIME: ServerRuntime()}}
    assert g.compile().invoke({"value": "x"}, config)["value"] == "done"
    assert seen["context"] == {"source": "graph-level"}


@pytest.mark.asyncio
async def test_cancelling_ainvoke_stops_at_a_blocking_sync_node(lib: str) -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def blocking(state: State) -> State:
        started.set()
        release.wait(5)
        return {"value": "first"}

    def second(state: State) -> State:
        ran.append("second")
        return {"value": "second"}

    g = mod(lib, "graph").StateGraph(State)
    g.add_node("blocking", blocking)
    g.add_node("second", second)
    g.set_entry_point("blocking")
    g.add_edge("blocking", "second")
    run = asyncio.ensure_future(g.compile().ainvoke({}))
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, started.wait, 5)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    release.set()
    assert ran == []


@pytest.mark.asyncio
@pytest.mark.parametrize("is_async", [False, True])
async def test_dict_of_runnables_is_a_node(lib: str, is_async: bool) -> None:
    from langchain_core.runnables import RunnableLambda

    g = mod(lib, "graph").StateGraph(State)
    g.add_node("both", {"value": RunnableLambda(lambda s: s["value"] + "!")})
    g.set_entry_point("both")
    app = g.compile()
    out = await app.ainvoke({"value": "a"}) if is_async else app.invoke({"value": "a"})
    assert out["value"] == "a!"


@pytest.mark.asyncio
async def test_async_edge_after_sync_node_sends(lib: str) -> None:
    types = mod(lib, "types")

    def start(state: State) -> State:
        return {"value": "go"}

    async def fan_out(state: State) -> list[Any]:
        return [types.Send("leaf", {"value": v}) for v in ("a", "b")]

    def leaf(state: State) -> State:
        return {"items": [state["value"]]}

    g = mod(lib, "graph").StateGraph(State)
    g.add_node("start", start)
    g.add_node("leaf", leaf)
    g.set_entry_point("start")
    g.add_conditional_edges("start", fan_out, ["leaf"])
    out = await g.compile().ainvoke({"items": []})
    assert sorted(out["items"]) == ["a", "b"]


def _nested(lib: str, saver: Any) -> Any:
    graph = mod(lib, "graph")

    def step(state: State) -> State:
        return {"value": state["value"] + "+"}

    inner = graph.StateGraph(State)
    inner.add_node("one", step)
    inner.add_node("two", step)
    inner.set_entry_point("one")
    inner.add_edge("one", "two")
    middle = graph.StateGraph(State)
    middle.add_node("inner", inner.compile(interrupt_before=["two"]))
    middle.set_entry_point("inner")
    outer = graph.StateGraph(State)
    outer.add_node("middle", middle.compile())
    outer.set_entry_point("middle")
    return outer.compile(checkpointer=saver)


@pytest.mark.asyncio
async def test_subgraph_state_and_update_through_async_saver(lib: str) -> None:
    aio = mod(lib, "checkpoint.sqlite.aio")
    config = {"configurable": {"thread_id": "1"}}
    async with aio.AsyncSqliteSaver.from_conn_string(":memory:") as saver:
        app = _nested(lib, saver)
        await app.ainvoke({"value": "v"}, config)
        outer = await app.aget_state(config)
        middle = await app.aget_state(outer.tasks[0].state)
        # Without subgraphs=True a nested task's state is only its config.
        assert set(middle.tasks[0].state["configurable"]) == {
            "thread_id",
            "checkpoint_ns",
        }
        inner = await app.aget_state(middle.tasks[0].state)
        assert inner.next == ("two",)
        await app.aupdate_state(inner.config, {"value": "edited"})
        assert (await app.ainvoke(None, config))["value"] == "edited+"


def test_message_ids_come_from_uuid4(lib: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_core.messages import HumanMessage

    fixed = uuid.UUID("00000000-0000-4000-8000-000000000007")
    monkeypatch.setattr(uuid, "uuid4", lambda: fixed)
    merged = mod(lib, "graph.message").add_messages([], [HumanMessage("hi")])
    assert merged[0].id == str(fixed)


def test_graph_streamed_inside_a_node_streams_its_tokens(lib: str) -> None:
    from langchain_core.language_models import GenericFakeChatModel

    graph = mod(lib, "graph")
    model = GenericFakeChatModel(messages=iter(["sunny today"]))

    def call_model(state: Any, config: RunnableConfig) -> Any:
        return {"messages": [model.invoke(state["messages"], config)]}

    inner = graph.StateGraph(graph.MessagesState)
    inner.add_node("call_model", call_model)
    inner.set_entry_point("call_model")
    app = inner.compile()

    def outer_node(state: State, config: RunnableConfig) -> State:
        chunks = app.stream(
            {"messages": [("user", "hi")]}, config, stream_mode="messages"
        )
        return {"items": [m.content for m, _ in chunks]}

    outer = graph.StateGraph(State)
    outer.add_node("outer", outer_node)
    outer.set_entry_point("outer")
    assert outer.compile().invoke({})["items"] == ["sunny", " ", "today"]


def test_pydantic_state_messages_are_not_streamed_twice(lib: str) -> None:
    graph = mod(lib, "graph")
    types = mod(lib, "types")
    memory = mod(lib, "checkpoint.memory")

    # Built at run time: ``from __future__ import annotations`` would leave
    # pydantic a string naming this test's local ``graph``.
    PState = create_model(
        "PState",
        messages=(
            Annotated[list[AnyMessage], graph.add_messages],
            Field(default_factory=list),
        ),
    )

    def propose(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("proposal", id="proposal")]}

    def approve(state: Any) -> dict[str, Any]:
        types.interrupt("ok?")
        return {"messages": [AIMessage("done", id="done")]}

    g = graph.StateGraph(PState)
    g.add_node("propose", propose)
    g.add_node("approve", approve)
    g.set_entry_point("propose")
    g.add_edge("propose", "approve")
    # The parent's node returns the subgraph's messages: those it got as
    # input (a pydantic model) were streamed already.
    parent = graph.StateGraph(PState)
    parent.add_node("sub", g.compile())
    parent.set_entry_point("sub")
    app = parent.compile(checkpointer=memory.InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}

    def ids(value: Any) -> list[str]:
        chunks = app.stream(value, config, stream_mode="messages", subgraphs=True)
        return [m.id for _, (m, _meta) in chunks]

    first = ids({})
    again = ids(types.Command(resume="y"))
    assert (first, again) == (["proposal"], ["done"])


@pytest.mark.asyncio
async def test_task_calls_are_traced_under_the_calling_node(lib: str) -> None:
    from langchain_core.tracers.base import BaseTracer

    class Tracer(BaseTracer):
        def _persist_run(self, run: Any) -> None:
            self.root = run

    func = mod(lib, "func")

    @func.task
    async def double(number: int) -> int:
        return number * 2

    @func.entrypoint()
    async def workflow(numbers: list[int]) -> list[int]:
        return list(await asyncio.gather(*(double(n) for n in numbers)))

    tracer = Tracer()
    assert await workflow.ainvoke([1, 2], {"callbacks": [tracer]}) == [2, 4]
    (node_run,) = tracer.root.child_runs
    assert node_run.name == "workflow"
    calls = [r for r in node_run.child_runs if r.name == "double"]
    assert sorted(r.inputs["number"] for r in calls) == [1, 2]


@pytest.mark.asyncio
@pytest.mark.parametrize("siblings", [1, 2])
async def test_step_timeout_cancels_the_step(lib: str, siblings: int) -> None:
    cancelled = asyncio.Event()

    async def hangs(state: State) -> State:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {}

    async def quick(state: State) -> State:
        return {"value": "quick"}

    g = mod(lib, "graph").StateGraph(State)
    g.add_node("hangs", hangs)
    g.add_node("quick", quick)
    g.set_conditional_entry_point(lambda _: ["hangs", "quick"][:siblings])
    app = g.compile()
    app.step_timeout = 0.2
    with pytest.raises(asyncio.TimeoutError):
        await app.ainvoke({})
    assert cancelled.is_set()


@pytest.mark.asyncio
@pytest.mark.parametrize("is_async", [False, True])
async def test_interrupt_in_a_node_with_an_error_handler_pauses(
    lib: str, is_async: bool
) -> None:
    types = mod(lib, "types")
    memory = mod(lib, "checkpoint.memory")

    def asks(state: State) -> State:
        return {"value": "a_" + types.interrupt("need input")}

    def handler(state: State) -> State:
        return {"value": "handled"}

    g = mod(lib, "graph").StateGraph(State)
    g.add_node("asks", asks, error_handler=handler)
    g.set_entry_point("asks")
    app = g.compile(checkpointer=memory.InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    resume = types.Command(resume="yes")
    if is_async:
        await app.ainvoke({"value": ""}, config)
        state = await app.aget_state(config)
        out = await app.ainvoke(resume, config)
    else:
        app.invoke({"value": ""}, config)
        state = app.get_state(config)
        out = app.invoke(resume, config)
    assert state.next == ("asks",)
    assert [i.value for t in state.tasks for i in t.interrupts] == ["need input"]
    assert out["value"] == "a_yes"
