"""``messages`` mode with subgraphs: a message streamed from a subgraph is not
streamed again when the parent node returns it (LangGraph shares one handler)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage


def _build(lib: str) -> Any:
    if lib == "stategraph":
        from stategraph.graph import END, START, MessagesState, StateGraph
    else:
        from langgraph.graph import END, START, MessagesState, StateGraph  # type: ignore[no-redef]

    def inner(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("from inner", id="inner-1")]}

    def outer(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("from outer", id="outer-1")]}

    sub = StateGraph(MessagesState)
    sub.add_node("inner", inner)
    sub.add_edge(START, "inner")
    sub.add_edge("inner", END)
    builder = StateGraph(MessagesState)
    builder.add_node("outer", outer)
    builder.add_node("sub", sub.compile())
    builder.add_edge(START, "outer")
    builder.add_edge("outer", "sub")
    return builder.compile()


def _trace(lib: str, subgraphs: bool) -> list[tuple[Any, ...]]:
    graph = _build(lib)
    out = []
    for chunk in graph.stream(
        {"messages": [("user", "hi")]}, stream_mode="messages", subgraphs=subgraphs
    ):
        ns, (message, meta) = chunk if subgraphs else ((), chunk)
        out.append((len(ns), message.content, meta["langgraph_node"]))
    return out


@pytest.mark.parametrize("subgraphs", [True, False])
def test_subgraph_messages_are_streamed_once(subgraphs: bool) -> None:
    ours = _trace("stategraph", subgraphs)
    assert ours == _trace("langgraph", subgraphs)
    expected_last = (
        (1, "from inner", "inner") if subgraphs else (0, "from inner", "sub")
    )
    assert ours[-1] == expected_last
    assert len(ours) == 2
