"""A loop with a conditional edge: keep refining a draft until it is long enough."""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

from stategraph.graph import END, START, StateGraph


class Draft(TypedDict):
    text: str
    rounds: int


def refine(state: Draft) -> Draft:
    return {"text": state["text"] + " and more", "rounds": state["rounds"] + 1}


def good_enough(state: Draft) -> Literal["refine", "__end__"]:
    return END if state["rounds"] >= 3 else "refine"


def build() -> StateGraph[Draft]:
    builder = StateGraph(Draft)
    builder.add_node("refine", refine)
    builder.add_edge(START, "refine")
    builder.add_conditional_edges("refine", good_enough)
    return builder


if __name__ == "__main__":
    print(build().compile().invoke({"text": "an idea", "rounds": 0}))
