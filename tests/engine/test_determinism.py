"""Same graph and same input give the same superstep trace (Hypothesis)."""

from __future__ import annotations

import operator
from typing import Annotated, Any

from hypothesis import given, settings, strategies as st
from typing_extensions import TypedDict

from stategraph.graph import END, START, StateGraph
from stategraph.types import Send


class State(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    hops: int


def _node(name: str) -> Any:
    def run(state: Any) -> dict[str, Any]:
        seen = len(state.get("log", [])) if isinstance(state, dict) else 0
        return {"log": [f"{name}:{seen}"]}

    return run


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(min_value=1, max_value=6))
    names = [f"n{i}" for i in range(n)]
    edges = set()
    for i, name in enumerate(names):
        later = names[i + 1 :]
        for target in (
            draw(st.lists(st.sampled_from(later), max_size=2)) if later else []
        ):
            edges.add((name, target))
    starts = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    sends = draw(st.integers(min_value=0, max_value=3))
    return {"names": names, "edges": sorted(edges), "starts": starts, "sends": sends}


def _build(spec: dict[str, Any]) -> Any:
    builder = StateGraph(State)
    for name in spec["names"]:
        builder.add_node(name, _node(name))
    for start in spec["starts"]:
        builder.add_edge(START, start)
    for src, dst in spec["edges"]:
        builder.add_edge(src, dst)
    last = spec["names"][-1]
    count = spec["sends"]
    if count:
        builder.add_node("fan", _node("fan"))
        builder.add_conditional_edges(
            last, lambda s: [Send("fan", {"log": []}) for _ in range(count)], ["fan"]
        )
        builder.add_edge("fan", END)
    return builder.compile()


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_same_input_same_trace(spec: dict[str, Any]) -> None:
    graph = _build(spec)
    modes = ["updates", "values", "tasks"]
    first = _strip_ids(list(graph.stream({"log": []}, stream_mode=modes)))
    second = _strip_ids(list(_build(spec).stream({"log": []}, stream_mode=modes)))
    assert first == second
    assert graph.invoke({"log": []}) == first[-1][1]


def _strip_ids(chunks: list[Any]) -> list[Any]:
    out = []
    for mode, payload in chunks:
        if mode == "tasks":
            payload = {k: v for k, v in payload.items() if k != "id"}
        out.append((mode, payload))
    return out
