"""A conditional edge's fresh read and the barrier reduce the same writes.

The barrier may take the read's ``add_messages`` result instead of reducing
again; what the edge and the state see must stay as under LangGraph.
"""

import importlib
import operator
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from typing_extensions import TypedDict

LIBS = ["langgraph", "stategraph"]


def _lib(name: str) -> tuple[Any, Any, Any, Any]:
    graph = importlib.import_module(f"{name}.graph")
    message = importlib.import_module(f"{name}.graph.message")
    return graph.StateGraph, graph.START, graph.END, message.add_messages


def _loop(name: str, route: Any, reducer: Any = None, turns: int = 3) -> Any:
    StateGraph, START, END, add_messages = _lib(name)

    class State(TypedDict):
        messages: Annotated[list[Any], reducer or add_messages]
        turn: int

    def model(s: State) -> dict[str, Any]:
        t = s.get("turn", 0)
        return {"messages": [AIMessage(content=f"a{t}")], "turn": t + 1}

    def decide(s: State) -> str:
        route(s)
        return "model" if s["turn"] < turns else END

    b = StateGraph(State)
    b.add_node("model", model)
    b.add_edge(START, "model")
    b.add_conditional_edges("model", decide, ["model", END])
    return b.compile()


@pytest.mark.parametrize("lib", LIBS)
def test_edge_edits_to_its_list_stay_out_of_the_state(lib: str) -> None:
    def route(s: dict[str, Any]) -> None:
        s["messages"].append(HumanMessage("edge", id="edge"))

    out = _loop(lib, route).invoke({"messages": [HumanMessage("hi", id="h")]})
    assert [m.content for m in out["messages"]] == ["hi", "a0", "a1", "a2"]


@pytest.mark.parametrize("lib", LIBS)
def test_edge_sees_the_ids_the_state_keeps(lib: str) -> None:
    seen: list[str] = []

    def route(s: dict[str, Any]) -> None:
        seen.append(s["messages"][-1].id)

    out = _loop(lib, route).invoke({"messages": [HumanMessage("hi", id="h")]})
    assert [m.id for m in out["messages"][1:]] == seen
    assert all(seen)


@pytest.mark.parametrize("lib", LIBS)
def test_other_reducers_run_for_the_read_and_the_barrier(lib: str) -> None:
    calls: list[int] = []

    def add(left: list[Any], right: list[Any]) -> list[Any]:
        calls.append(len(right))
        return operator.add(left, right)

    out = _loop(lib, lambda s: None, reducer=add).invoke(
        {"messages": [HumanMessage("hi", id="h")]}
    )
    assert len(out["messages"]) == 4
    # the input, then each of the three steps twice (fresh read, barrier)
    assert len(calls) == 7


def test_same_as_langgraph_with_dict_messages() -> None:
    def route(s: dict[str, Any]) -> None:
        s["messages"].pop()

    outs = []
    for lib in LIBS:
        StateGraph, START, END, add_messages = _lib(lib)

        class State(TypedDict):
            messages: Annotated[list[Any], add_messages]

        def node(s: State) -> dict[str, Any]:
            n = len(s["messages"])
            return {"messages": [{"role": "ai", "content": f"c{n}", "id": f"i{n}"}]}

        def decide(s: State, end: str = END) -> str:
            route(s)
            return "node" if len(s["messages"]) < 3 else end

        b = StateGraph(State)
        b.add_node("node", node)
        b.add_edge(START, "node")
        b.add_conditional_edges("node", decide, ["node", END])
        out = b.compile().invoke({"messages": [("user", "hi")]})
        outs.append([(type(m).__name__, m.content) for m in out["messages"]])
    assert outs[0] == outs[1]
    assert len(outs[1]) == 4
