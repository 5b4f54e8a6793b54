"""The approval graph, served by ``stategraph dev`` (see langgraph.json).

Run ``stategraph dev --config examples/server/langgraph.json`` and drive it
with ``langgraph_sdk``: a run stops at the review interrupt, and a run with
``command={"resume": "yes"}`` pays.
"""

from __future__ import annotations

from typing import Literal

from typing_extensions import TypedDict

from stategraph.graph import END, START, StateGraph
from stategraph.types import Command, interrupt


class Request(TypedDict, total=False):
    amount: int
    approved: bool
    status: str


def review(state: Request) -> Command[Literal["pay", "reject"]]:
    answer = interrupt({"question": "Approve this payment?", "amount": state["amount"]})
    approved = answer == "yes"
    return Command(update={"approved": approved}, goto="pay" if approved else "reject")


def pay(state: Request) -> Request:
    return {"status": f"paid {state['amount']}"}


def reject(state: Request) -> Request:
    return {"status": "rejected"}


builder = StateGraph(Request)
builder.add_node("review", review)
builder.add_node("pay", pay)
builder.add_node("reject", reject)
builder.add_edge(START, "review")
builder.add_edge("pay", END)
builder.add_edge("reject", END)

# No checkpointer: the server brings its own.
graph = builder.compile(name="approval")
