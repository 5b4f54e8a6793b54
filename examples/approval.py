"""Human-in-the-loop approval: the graph pauses with interrupt() and resumes with Command.

This is the demo that ``make demo`` starts. State is checkpointed in a SQLite
file, so the run can pause, be inspected with ``get_state``, and continue
where it stopped, even from another process.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path
from typing import Literal

from typing_extensions import TypedDict

from stategraph.checkpoint.sqlite import SqliteSaver
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


def build() -> StateGraph[Request]:
    builder = StateGraph(Request)
    builder.add_node("review", review)
    builder.add_node("pay", pay)
    builder.add_node("reject", reject)
    builder.add_edge(START, "review")
    builder.add_edge("pay", END)
    builder.add_edge("reject", END)
    return builder


def main(path: str) -> None:
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    with SqliteSaver.from_conn_string(path) as saver:
        graph = build().compile(checkpointer=saver)
        first = graph.invoke({"amount": 42}, config)
        print("paused:", first["__interrupt__"][0].value)
        print("next:", graph.get_state(config).next)
    # A new connection (as a new process would open) resumes the same thread.
    with SqliteSaver.from_conn_string(path) as saver:
        graph = build().compile(checkpointer=saver)
        done = graph.invoke(Command(resume="yes"), config)
        print("result:", done)
        history = [s.metadata["source"] for s in graph.get_state_history(config)]
        print("checkpoints:", len(history), history)
    print(graph.get_graph().draw_mermaid())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(str(Path(folder) / "demo.sqlite"))
