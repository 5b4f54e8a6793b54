"""Graph lifecycle callbacks (``stategraph.callbacks``) behave as LangGraph's."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler, CallbackManager
from typing_extensions import TypedDict

LIBS = ["langgraph", "stategraph"]


class State(TypedDict):
    answer: str | None


def build(lib: str) -> Any:
    graph = importlib.import_module(f"{lib}.graph")
    types = importlib.import_module(f"{lib}.types")
    memory = importlib.import_module(f"{lib}.checkpoint.memory")

    def ask(state: State) -> State:
        return {"answer": types.interrupt("Provide value")}

    builder = graph.StateGraph(State)
    builder.add_node("ask", ask)
    builder.add_edge(graph.START, "ask")
    return builder.compile(checkpointer=memory.InMemorySaver()), types


def recorder(lib: str, *, raise_error: bool = False) -> Any:
    base = importlib.import_module(f"{lib}.callbacks").GraphCallbackHandler

    class Recorder(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            self.events: list[tuple[str, Any, Any]] = []
            self.raise_error = raise_error

        def on_interrupt(self, event: Any) -> None:
            self.events.append(("interrupt", event.checkpoint_ns, event.status))
            if raise_error:
                raise ValueError("boom")

        def on_resume(self, event: Any) -> None:
            self.events.append(("resume", event.checkpoint_ns, event.status))

    return Recorder()


class Plain(BaseCallbackHandler):
    def __init__(self) -> None:
        self.custom: list[str] = []

    def on_custom_event(self, name: str, data: Any, **kw: Any) -> None:
        self.custom.append(name)


def observe(lib: str, mode: str, as_manager: bool) -> list[Any]:
    graph, types = build(lib)
    handler, plain = recorder(lib), Plain()
    callbacks: Any = [plain, handler]
    if as_manager:
        callbacks = CallbackManager.configure(inheritable_callbacks=[plain])
        callbacks.add_handler(handler)
    config = {"configurable": {"thread_id": "t"}, "callbacks": callbacks}
    if mode == "async":
        first = asyncio.run(graph.ainvoke({"answer": None}, config))
        second = asyncio.run(graph.ainvoke(types.Command(resume="done"), config))
    else:
        first = graph.invoke({"answer": None}, config)
        second = graph.invoke(types.Command(resume="done"), config)
    return ["__interrupt__" in first, second, handler.events, plain.custom]


@pytest.mark.parametrize("as_manager", [False, True])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_interrupt_and_resume_events_match_langgraph(
    mode: str, as_manager: bool
) -> None:
    ours = observe("stategraph", mode, as_manager)
    assert ours == observe("langgraph", mode, as_manager)
    assert ours[2] == [("interrupt", (), "pending"), ("resume", (), "pending")]


@pytest.mark.parametrize("lib", LIBS)
def test_raising_handler_fails_the_run_only_with_raise_error(lib: str) -> None:
    graph, _ = build(lib)
    quiet = recorder(lib)
    quiet.on_interrupt = lambda event: (_ for _ in ()).throw(ValueError("ignored"))
    out = graph.invoke(
        {"answer": None}, {"configurable": {"thread_id": "q"}, "callbacks": [quiet]}
    )
    assert "__interrupt__" in out
    loud = recorder(lib, raise_error=True)
    with pytest.raises(ValueError, match=r"^boom$"):
        graph.invoke(
            {"answer": None}, {"configurable": {"thread_id": "l"}, "callbacks": [loud]}
        )


def test_manager_keeps_only_graph_handlers() -> None:
    from stategraph.callbacks import _GraphCallbackManager

    plain, handler = Plain(), recorder("stategraph")
    manager = _GraphCallbackManager.configure([plain, handler])
    assert manager.handlers == [handler]
    manager.add_handler(plain, inherit=True)
    assert plain in manager.handlers
    with pytest.raises(TypeError, match=r"^callbacks must be a handler"):
        _GraphCallbackManager.configure(42)
