"""Map-reduce with Send: one worker task per subject, results gathered by a reducer."""

from __future__ import annotations

import operator
from typing import Annotated

from typing_extensions import TypedDict

from stategraph.graph import END, START, StateGraph
from stategraph.types import Send


class Overall(TypedDict):
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]


class Job(TypedDict):
    subject: str


def fan_out(state: Overall) -> list[Send]:
    return [Send("write_joke", {"subject": s}) for s in state["subjects"]]


def write_joke(job: Job) -> dict[str, list[str]]:
    return {"jokes": [f"Why did the {job['subject']} cross the road?"]}


def build() -> StateGraph[Overall]:
    builder = StateGraph(Overall)
    builder.add_node("write_joke", write_joke)
    builder.add_conditional_edges(START, fan_out, ["write_joke"])
    builder.add_edge("write_joke", END)
    return builder


if __name__ == "__main__":
    graph = build().compile()
    for chunk in graph.stream({"subjects": ["cat", "dog", "duck"]}):
        print(chunk)
