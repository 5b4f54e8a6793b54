"""``stream_mode="messages"`` with chat models and LangChain callbacks, differentially.

Chat models are langchain-core's fakes: tokens are streamed through the
callbacks the graph hands its nodes, so what is compared is exactly what a
user sees: chunks, their metadata, the order of callback events.
"""

from __future__ import annotations

from typing import Any

import pytest
from _harness import Driver, Recorder, pytest_repro, run_differential
from _lib import Lib
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

SCENARIOS: dict[str, Any] = {}


def scenario(fn: Any) -> Any:
    SCENARIOS[fn.__name__] = fn
    return fn


def fake_model(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(
        messages=iter(
            [AIMessage(content=r, id=f"ai-{i}") for i, r in enumerate(replies)]
        )
    )


def chat_graph(lib: Lib, d: Driver, model: Any, **node_kw: Any) -> Any:
    def call(state: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def acall(state: Any) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    g = lib.StateGraph(lib.MessagesState)
    g.add_node("call", acall if d.is_async else call, **node_kw)
    g.add_edge(lib.START, "call")
    return g


class Events(BaseCallbackHandler):
    """Records the chain/model events a graph run reports, by name."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
        self.seen.append(("chain_start", kw.get("name")))

    def on_chain_end(self, outputs: Any, **kw: Any) -> None:
        self.seen.append(("chain_end", None))

    def on_chain_error(self, error: BaseException, **kw: Any) -> None:
        self.seen.append(("chain_error", type(error).__name__))

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        md = kw.get("metadata") or {}
        self.seen.append(("chat_start", md.get("langgraph_node")))


@scenario
async def tokens_from_node(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = chat_graph(lib, d, fake_model("hello big world", "again")).compile(
        checkpointer=lib.InMemorySaver()
    )
    cfg = {"configurable": {"thread_id": "t"}, "metadata": {"user": "u"}}
    await rec.stream(
        "messages", graph, {"messages": [("user", "hi")]}, cfg, stream_mode="messages"
    )
    await rec.stream(
        "messages+updates",
        graph,
        {"messages": [("user", "more")]},
        cfg,
        stream_mode=["messages", "updates"],
    )


@scenario
async def nostream_tag(lib: Lib, d: Driver, rec: Recorder) -> None:
    model = fake_model("quiet please").with_config(tags=["nostream"])
    graph = chat_graph(lib, d, model).compile()
    await rec.stream(
        "messages", graph, {"messages": [("user", "hi")]}, {}, stream_mode="messages"
    )


@scenario
async def subgraph_tokens(lib: Lib, d: Driver, rec: Recorder) -> None:
    inner = chat_graph(lib, d, fake_model("from inside", "again inside")).compile()
    g = lib.StateGraph(lib.MessagesState)
    g.add_node("inner", inner)
    g.add_edge(lib.START, "inner")
    graph = g.compile()
    await rec.stream(
        "no subgraphs",
        graph,
        {"messages": [("user", "hi")]},
        {},
        stream_mode="messages",
    )
    await rec.stream(
        "subgraphs",
        graph,
        {"messages": [("user", "hi")]},
        {},
        stream_mode="messages",
        subgraphs=True,
    )


@scenario
async def callback_events(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = chat_graph(lib, d, fake_model("one", "two")).compile()
    events = Events()
    await rec.call(
        "invoke",
        d.invoke(graph, {"messages": [("user", "hi")]}, {"callbacks": [events]}),
    )
    rec.add("events", events.seen)

    def boom(state: Any) -> dict[str, Any]:
        raise ValueError("boom")

    g = lib.StateGraph(lib.MessagesState)
    g.add_node("boom", boom)
    g.add_edge(lib.START, "boom")
    failing = g.compile()
    events = Events()
    await rec.call(
        "failing", d.invoke(failing, {"messages": []}, {"callbacks": [events]})
    )
    rec.add("failing events", events.seen)


@scenario
async def tokens_from_task(lib: Lib, d: Driver, rec: Recorder) -> None:
    model = fake_model("task says hi", "second")

    @lib.task
    def ask(question: str) -> str:
        return str(model.invoke(question).content)

    def main(question: str) -> str:
        return ask(question).result()

    async def amain(question: str) -> str:
        return await ask(question)

    wf = lib.entrypoint()(amain if d.is_async else main)
    await rec.stream("messages", wf, "hi", {}, stream_mode=["messages", "updates"])


@scenario
async def astream_events_v2(lib: Lib, d: Driver, rec: Recorder) -> None:
    if not d.is_async:
        return
    model = fake_model("hello world", "bye")

    async def call(state: Any) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    def after(state: Any) -> dict[str, Any]:
        return {"messages": []}

    g = lib.StateGraph(lib.MessagesState)
    g.add_node("call", call)
    g.add_node("after", after)
    g.add_edge(lib.START, "call")
    g.add_edge("call", "after")
    graph = g.compile()
    seen = []
    async for event in graph.astream_events(
        {"messages": [("user", "hi")]}, {"tags": ["t1"]}, version="v2"
    ):
        md = {k: v for k, v in event["metadata"].items() if k != "lc_versions"}
        seen.append(
            (
                event["event"],
                event["name"],
                event["tags"],
                md,
                len(event["parent_ids"]),
                sorted(event["data"]),
            )
        )
    rec.add("events", seen)


@scenario
async def protocol_events_v2_handler(lib: Lib, d: Driver, rec: Recorder) -> None:
    flag = lib.module("_internal._constants").CONFIG_KEY_STREAM_MESSAGES_V2
    graph = chat_graph(lib, d, fake_model("hi there", "more")).compile()
    cfg = {"configurable": {flag: True}}
    await rec.stream(
        "protocol events",
        graph,
        {"messages": [("user", "x")]},
        cfg,
        stream_mode="messages",
        version="v2",
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_messages_scenario(
    name: str, driver: Driver, request: pytest.FixtureRequest
) -> None:
    run_differential(
        SCENARIOS[name],
        driver,
        title=f"messages scenario {name}",
        repro=pytest_repro(request.node.nodeid),
    )
