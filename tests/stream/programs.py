"""Programs run by the v3 differential tests, each built for a given library.

Every builder returns ``(graph, calls)`` (see ``_v3``). Nodes run one at a
time, so both libraries emit events in one deterministic order.
"""

from __future__ import annotations

import operator
from itertools import pairwise
from typing import Annotated, Any

from _lib import Lib
from _v3 import Call
from typing_extensions import TypedDict


class State(TypedDict):
    """A log of visited nodes."""

    log: Annotated[list[str], operator.add]


def _node(name: str, lib: Lib | None = None) -> Any:
    def node(state: State) -> dict[str, Any]:
        if lib is not None:
            lib.get_stream_writer()({"from": name, "seen": len(state["log"])})
        return {"log": [name]}

    return node


def _chain(lib: Lib, names: list[str], nodes: dict[str, Any] | None = None) -> Any:
    builder = lib.StateGraph(State)
    for name in names:
        builder.add_node(name, (nodes or {}).get(name) or _node(name, lib))
    builder.add_edge(lib.START, names[0])
    for a, b in pairwise(names):
        builder.add_edge(a, b)
    return builder


def _once(*args: Any, **kwargs: Any) -> list[Call]:
    return [(args, kwargs)]


def linear(lib: Lib) -> tuple[Any, list[Call]]:
    """Three nodes in a row writing custom data."""
    return _chain(lib, ["a", "b", "c"]).compile(), _once({"log": []})


def nested(lib: Lib) -> tuple[Any, list[Call]]:
    """A subgraph inside a subgraph, between two plain nodes."""
    inner = _chain(lib, ["i1", "i2"]).compile()
    middle = _chain(lib, ["m1", "inner"], {"inner": inner}).compile()
    graph = _chain(lib, ["first", "middle", "last"], {"middle": middle}).compile()
    return graph, _once({"log": []})


def interrupting(lib: Lib) -> tuple[Any, list[Call]]:
    """A subgraph node that interrupts, then a resume with ``Command``."""

    def ask(state: State) -> dict[str, Any]:
        answer = lib.interrupt({"question": "name?"})
        return {"log": [f"answer:{answer}"]}

    inner = _chain(lib, ["before", "ask"], {"ask": ask}).compile()
    graph = _chain(lib, ["start", "inner", "end"], {"inner": inner}).compile(
        checkpointer=lib.InMemorySaver()
    )
    config = {"configurable": {"thread_id": "t1"}}
    return graph, [
        (({"log": []}, config), {}),
        ((lib.Command(resume="ada"), config), {}),
    ]


def failing(lib: Lib) -> tuple[Any, list[Call]]:
    """A node of a subgraph raises: the run and the handle fail."""

    def boom(state: State) -> dict[str, Any]:
        raise ValueError("boom: " + ",".join(state["log"]))

    inner = _chain(lib, ["ok", "boom"], {"boom": boom}).compile()
    graph = _chain(lib, ["start", "inner"], {"inner": inner}).compile()
    return graph, _once({"log": []})


def functional(lib: Lib) -> tuple[Any, list[Call]]:
    """An ``@entrypoint`` workflow calling a ``@task``."""

    def double(x: int) -> int:
        return x * 2

    task = lib.task(double)

    def workflow(x: int) -> dict[str, Any]:
        return {"result": task(x).result()}

    return lib.entrypoint()(workflow), _once(3)


def with_context(lib: Lib) -> tuple[Any, list[Call]]:
    """Keyword arguments such as ``context`` reach the run."""

    def read(state: State, runtime: Any) -> dict[str, Any]:
        return {"log": [f"ctx:{runtime.context['user']}"]}

    builder = lib.StateGraph(State, context_schema=dict)
    builder.add_node("read", read)
    builder.add_edge(lib.START, "read")
    return builder.compile(), _once({"log": []}, context={"user": "u1"})
