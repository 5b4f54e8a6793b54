"""``ToolNode`` and ``tools_condition`` inside graphs, against LangGraph.

Compares stream chunks (``updates`` and ``values``), final state, state history
and interrupts of the same graph built with each library.

No ``from __future__ import annotations``: tools' signatures are read at run
time and name per-library classes held in local variables.
"""

from typing import Annotated, Any

from _prebuilt_diff import Lib, same, trace
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.store.memory import InMemoryStore
from typing_extensions import TypedDict

from stategraph.testing import FakeToolCallingModel


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


def react_graph(
    lib: Lib, tools: list[Any], script: list[list[Any]], **compile: Any
) -> Any:
    """A hand-built ReAct loop: a model node, a ToolNode, ``tools_condition``."""
    model = FakeToolCallingModel(tool_calls=script).bind_tools(tools)

    def agent(state: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = lib.graph.StateGraph(lib.graph.MessagesState)
    builder.add_node("agent", agent)
    builder.add_node(lib.prebuilt.ToolNode(tools))
    builder.add_edge(lib.graph.START, "agent")
    builder.add_conditional_edges("agent", lib.prebuilt.tools_condition)
    builder.add_edge("tools", "agent")
    compile.setdefault("checkpointer", lib.memory.InMemorySaver())
    return builder.compile(**compile)


def messages_of(observed: dict[str, Any]) -> list[Any]:
    return [(m["type"], m["content"]) for m in observed["state"]["values"]["messages"]]


def test_react_loop_with_parallel_tool_calls(driver: Any) -> None:
    script = [
        [call("add", {"a": 1, "b": 2}, "c1"), call("add", {"a": 3, "b": 4}, "c2")],
        [],
    ]

    def program(lib: Lib, driver: Any) -> Any:
        graph = react_graph(lib, [add], script)
        return trace(lib, driver, graph, {"messages": [("user", "hi")]})

    ours = same(program, driver)
    assert messages_of(ours) == [
        ("human", "hi"),
        ("ai", "hi"),
        ("tool", "3"),
        ("tool", "7"),
        ("ai", "hi-hi-3-7"),
    ]
    assert len(ours["history"]) == 5


def test_interrupt_in_a_tool_and_resume(driver: Any) -> None:
    script = [[call("ask", {"q": "sure?"}, "c1")], []]

    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def ask(q: str) -> str:
            """Asks a human."""
            return f"human said {lib.types.interrupt({'question': q})}"

        graph = react_graph(lib, [ask], script)
        first = trace(lib, driver, graph, {"messages": [("user", "hi")]})
        second = trace(lib, driver, graph, lib.types.Command(resume="yes"))
        return [first, second]

    ours = same(program, driver)
    assert "'question': 'sure?'" in repr(ours[0]["chunks"])
    assert ours[0]["state"]["next"] == ("tools",)
    assert ("tool", "human said yes") in messages_of(ours[1])


def test_command_from_a_tool_updates_state_and_routes(driver: Any) -> None:
    class State(TypedDict):
        messages: Annotated[list[Any], lambda a, b: a + b]
        visited: str

    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def jump(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
            """Jumps to the other node."""
            done = ToolMessage("jumped", tool_call_id=tool_call_id)
            return lib.types.Command(
                update={"messages": [done], "visited": "tool"}, goto="other"
            )

        def other(state: Any) -> dict[str, Any]:
            return {"visited": state["visited"] + "+other"}

        builder = lib.graph.StateGraph(State)
        builder.add_node("tools", lib.prebuilt.ToolNode([jump]))
        builder.add_node("other", other)
        builder.add_edge(lib.graph.START, "tools")
        graph = builder.compile(checkpointer=lib.memory.InMemorySaver())
        message = AIMessage("", id="a", tool_calls=[call("jump", {}, "c1")])
        return trace(lib, driver, graph, {"messages": [message], "visited": ""})

    ours = same(program, driver)
    assert ours["state"]["values"]["visited"] == "tool+other"


def test_tool_runtime_sees_context_store_and_custom_stream(driver: Any) -> None:
    store = InMemoryStore()

    class Context(TypedDict):
        user: str

    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def whoami(runtime: lib.prebuilt.ToolRuntime[Context]) -> str:
            """Reports the runtime."""
            runtime.stream_writer({"progress": runtime.tool_call_id})
            runtime.store.put(("users",), runtime.context["user"], {"seen": True})
            thread = runtime.execution_info.thread_id
            seen = len(runtime.state["messages"])
            return f"{runtime.context['user']}|{thread}|{seen}"

        graph = react_graph(
            lib, [whoami], [[call("whoami", {}, "c1")], []], store=store
        )
        out = trace(
            lib,
            driver,
            graph,
            {"messages": [("user", "hi")]},
            stream_mode=("updates", "custom"),
            context={"user": "ann"},
        )
        out["stored"] = store.get(("users",), "ann").value
        return out

    ours = same(program, driver)
    assert ("tool", "ann|t|2") in messages_of(ours)
    assert ["custom", {"progress": "c1"}] in [list(c) for c in ours["chunks"]]
    assert ours["stored"] == {"seen": True}


def test_tool_calls_sent_bare_read_the_state(driver: Any) -> None:
    class State(TypedDict):
        messages: Annotated[list[Any], lambda a, b: a + b]
        user: str

    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def greet(user: Annotated[str, lib.prebuilt.InjectedState("user")]) -> str:
            """Greets the user in the state."""
            return f"hello {user}"

        def fan_out(state: Any) -> list[Any]:
            calls = state["messages"][-1].tool_calls
            return [lib.types.Send("tools", [c]) for c in calls]

        builder = lib.graph.StateGraph(State)
        builder.add_node("start", lambda state: {"user": "bob"})
        builder.add_node("tools", lib.prebuilt.ToolNode([greet]))
        builder.add_edge(lib.graph.START, "start")
        builder.add_conditional_edges("start", fan_out, ["tools"])
        graph = builder.compile(checkpointer=lib.memory.InMemorySaver())
        calls = [call("greet", {}, "c1"), call("greet", {}, "c2")]
        message = AIMessage("", id="a", tool_calls=calls)
        return trace(lib, driver, graph, {"messages": [message], "user": "ann"})

    ours = same(program, driver)
    assert messages_of(ours)[1:] == [("tool", "hello bob"), ("tool", "hello bob")]


def test_parent_command_from_a_tool_in_a_subgraph(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def escalate(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
            """Hands over to the parent graph."""
            return lib.types.Command(
                graph=lib.types.Command.PARENT,
                goto="human",
                update={"messages": [ToolMessage("up", tool_call_id=tool_call_id)]},
            )

        sub = lib.graph.StateGraph(lib.graph.MessagesState)
        sub.add_node("tools", lib.prebuilt.ToolNode([escalate]))
        sub.add_edge(lib.graph.START, "tools")
        parent = lib.graph.StateGraph(lib.graph.MessagesState)
        parent.add_node("sub", sub.compile())
        parent.add_node("human", lambda state: {"messages": [("ai", "human here")]})
        parent.add_edge(lib.graph.START, "sub")
        graph = parent.compile(checkpointer=lib.memory.InMemorySaver())
        message = AIMessage("", id="a", tool_calls=[call("escalate", {}, "c1")])
        return trace(lib, driver, graph, {"messages": [message]})

    ours = same(program, driver)
    assert [t for t, _ in messages_of(ours)] == ["ai", "tool", "ai"]


def test_unhandled_tool_error_fails_the_run(driver: Any) -> None:
    @tool
    def broken(x: int) -> str:
        """Fails."""
        raise KeyError(x)

    def program(lib: Lib, driver: Any) -> Any:
        graph = react_graph(lib, [broken], [[call("broken", {"x": 1}, "c1")], []])
        return trace(lib, driver, graph, {"messages": [("user", "hi")]})

    ours = same(program, driver)
    assert ours["chunks"]["__exc__"] == "KeyError"
    assert ours["state"]["next"] == ("tools",)


def test_tool_running_a_graph_that_interrupts(driver: Any) -> None:
    script = [[call("delegate", {"task": "pay"}, "c1")], []]

    class Job(TypedDict):
        task: str
        result: str

    def program(lib: Lib, driver: Any) -> Any:
        def approve(state: Any) -> dict[str, Any]:
            answer = lib.types.interrupt({"approve": state["task"]})
            return {"result": f"{state['task']}: {answer}"}

        inner = lib.graph.StateGraph(Job)
        inner.add_node("approve", approve)
        inner.add_edge(lib.graph.START, "approve")
        worker = inner.compile()

        @tool
        def delegate(task: str) -> str:
            """Runs the approval graph."""
            return worker.invoke({"task": task, "result": ""})["result"]

        graph = react_graph(lib, [delegate], script)
        paused = trace(lib, driver, graph, {"messages": [("user", "hi")]})
        return [paused, trace(lib, driver, graph, lib.types.Command(resume="ok"))]

    ours = same(program, driver)
    assert ours[0]["state"]["interrupts"][0]["value"] == {"approve": "pay"}
    assert ("tool", "pay: ok") in messages_of(ours[1])


def test_custom_messages_key(driver: Any) -> None:
    class State(TypedDict):
        history: Annotated[list[Any], lambda a, b: a + b]

    script = [[call("add", {"a": 2, "b": 2}, "c1")], []]

    def program(lib: Lib, driver: Any) -> Any:
        model = FakeToolCallingModel(tool_calls=script).bind_tools([add])

        def agent(state: Any) -> dict[str, Any]:
            return {"history": [model.invoke(state["history"])]}

        def route(state: Any) -> str:
            return lib.prebuilt.tools_condition(state, messages_key="history")

        builder = lib.graph.StateGraph(State)
        builder.add_node("agent", agent)
        builder.add_node(lib.prebuilt.ToolNode([add], messages_key="history"))
        builder.add_edge(lib.graph.START, "agent")
        builder.add_conditional_edges("agent", route, ["tools", lib.graph.END])
        builder.add_edge("tools", "agent")
        graph = builder.compile(checkpointer=lib.memory.InMemorySaver())
        return trace(lib, driver, graph, {"history": [("user", "hi")]})

    ours = same(program, driver)
    history = ours["state"]["values"]["history"]
    assert history[-2]["content"] == "4"
