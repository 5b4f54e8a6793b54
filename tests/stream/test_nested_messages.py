"""A graph streamed with ``stream_mode="messages"`` inside another graph's node.

The inner call asked for token chunks itself, so it gets them, whatever the
outer run streams.
"""

from __future__ import annotations

from typing import Any, TypedDict

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.runnables import RunnableConfig

from stategraph.graph import END, START, MessagesState, StateGraph


class Outer(TypedDict, total=False):
    chunks: list[str]


def _outer() -> Any:
    model = GenericFakeChatModel(messages=iter(["one two", "three four"]))

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": model.invoke(state["messages"])}

    inner_builder: StateGraph[MessagesState] = StateGraph(MessagesState)
    inner_builder.add_node("call_model", call_model)
    inner_builder.add_edge(START, "call_model")
    inner_builder.add_edge("call_model", END)
    inner = inner_builder.compile()

    def call_inner(state: Outer, config: RunnableConfig) -> Outer:
        parts = inner.stream({"messages": "hi"}, config, stream_mode="messages")
        chunks = [m for m, _ in parts]
        assert all(isinstance(m, AIMessageChunk) for m in chunks)
        return {"chunks": [str(m.content) for m in chunks]}

    builder: StateGraph[Outer] = StateGraph(Outer)
    builder.add_node("call_inner", call_inner)
    builder.add_edge(START, "call_inner")
    builder.add_edge("call_inner", END)
    return builder.compile()


@pytest.mark.parametrize(
    "outer_modes", [None, ["messages", "values"], ["messages"]], ids=str
)
def test_nested_messages_stream_gets_its_own_tokens(outer_modes: Any) -> None:
    graph = _outer()
    if outer_modes is None:
        result = graph.invoke({})
    else:
        *_, (_, result) = (
            (m, c) for m, c in graph.stream({}, stream_mode=[*outer_modes, "values"])
        )
    assert result["chunks"] == ["one", " ", "two"]


def test_nested_messages_stream_stays_v1_under_outer_stream_events_v3() -> None:
    # The outer v3 run's content-block handler is not passed to the inner run:
    # its model streams token chunks carrying the model run's id, so the
    # node's final message is not streamed again.
    graph = _outer()
    result = graph.stream_events({}, version="v3").output
    assert result["chunks"] == ["one", " ", "two"]


def test_nested_messages_tokens_share_the_model_run_id_under_stream_events_v3() -> None:
    ids: list[Any] = []
    model = GenericFakeChatModel(messages=iter(["x y"]))

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": model.invoke(state["messages"])}

    inner_builder: StateGraph[MessagesState] = StateGraph(MessagesState)
    inner_builder.add_node("call_model", call_model)
    inner_builder.add_edge(START, "call_model")
    inner = inner_builder.compile()

    def call_inner(state: Outer, config: RunnableConfig) -> Outer:
        for message, _ in inner.stream(
            {"messages": "hi"}, config, stream_mode="messages"
        ):
            ids.append(message.id)
        return {"chunks": []}

    builder: StateGraph[Outer] = StateGraph(Outer)
    builder.add_node("call_inner", call_inner)
    builder.add_edge(START, "call_inner")
    outer = builder.compile()
    assert outer.stream_events({}, version="v3").output == {"chunks": []}
    assert len(ids) == 3
    assert len(set(ids)) == 1
    assert ids[0].startswith("lc_run--")
