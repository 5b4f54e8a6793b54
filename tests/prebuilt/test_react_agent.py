"""``create_react_agent`` against LangGraph's: same graphs, streams, states, errors.

No ``from __future__ import annotations``: state schemas and tools are read at
run time and some name per-library classes held in local variables.
"""

import threading
import warnings
from typing import Annotated, Any

import pytest
from _prebuilt_diff import Lib, attempt, same, trace
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langchain_core.tools import tool
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore
from pydantic import BaseModel
from typing_extensions import TypedDict

from stategraph.testing import FakeToolCallingModel


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool(return_direct=True)
def finish(answer: str) -> str:
    """Ends the run with an answer."""
    return f"final: {answer}"


class Weather(BaseModel):
    temperature: int


def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


PARALLEL = [
    [call("add", {"a": 1, "b": 2}, "c1"), call("add", {"a": 3, "b": 4}, "c2")],
    [],
]
HI = {"messages": [("user", "hi")]}


class _SyncDriver:
    """The sync half of the ``driver`` fixture, for sync-only savers."""

    mode = "sync"

    def stream(self, graph: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return list(graph.stream(*args, **kwargs))

    def get_state(self, graph: Any, config: Any) -> Any:
        return graph.get_state(config)

    def history(self, graph: Any, config: Any) -> list[Any]:
        return list(graph.get_state_history(config))


_SYNC = _SyncDriver()


def agent(lib: Lib, *args: Any, **kwargs: Any) -> Any:
    """``create_react_agent``, which must warn that it is deprecated."""
    with pytest.warns(lib.warnings.LangGraphDeprecatedSinceV10) as record:
        graph = lib.agent.create_react_agent(*args, **kwargs)
    assert "create_react_agent has been moved to `langchain.agents`" in str(
        record[0].message
    )
    return graph


def model(script: list[list[Any]] | None = None, **kwargs: Any) -> Any:
    return FakeToolCallingModel(tool_calls=script or [], **kwargs)


def saver(lib: Lib) -> Any:
    return lib.memory.InMemorySaver()


def messages_of(observed: dict[str, Any]) -> list[Any]:
    return [(m["type"], m["content"]) for m in observed["state"]["values"]["messages"]]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_tool_loop(driver: Any, version: str) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(
            lib, model(PARALLEL), [add], checkpointer=saver(lib), version=version
        )
        return trace(lib, driver, graph, HI)

    ours = same(program, driver)
    assert messages_of(ours) == [
        ("human", "hi"),
        ("ai", "hi"),
        ("tool", "3"),
        ("tool", "7"),
        ("ai", "hi-hi-3-7"),
    ]
    tools_steps = [s for s in ours["history"] if s["next"] and "tools" in s["next"]]
    assert len(tools_steps) == 1
    assert len(tools_steps[0]["tasks"]) == (1 if version == "v1" else 2)


@pytest.mark.parametrize(
    "prompt",
    ["str", "system_message", "callable", "runnable", "bad"],
)
def test_prompt_forms(driver: Any, prompt: str) -> None:
    prompts = {
        "str": "be brief",
        "system_message": SystemMessage("be kind"),
        "callable": lambda state: [SystemMessage("fn"), *state["messages"]],
        "runnable": RunnableLambda(lambda state: [HumanMessage("rl")]),
        "bad": 42,
    }

    def program(lib: Lib, driver: Any) -> Any:
        make = attempt(agent, lib, model(), [add], prompt=prompts[prompt])
        if isinstance(make, Exception):
            return make
        return driver.invoke(make, HI)

    ours = same(program, driver)
    expected = {
        "str": "be brief-hi",
        "system_message": "be kind-hi",
        "callable": "fn-hi",
        "runnable": "rl",
    }
    if prompt == "bad":
        assert ours["str"] == "Got unexpected type for `prompt`: <class 'int'>"
    else:
        assert ours["messages"][-1]["content"] == expected[prompt]


@pytest.mark.parametrize("with_tools", [True, False])
@pytest.mark.parametrize("as_tuple", [True, False])
def test_response_format(driver: Any, with_tools: bool, as_tuple: bool) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        fake = model(PARALLEL, structured_response=Weather(temperature=21))
        schema = ("use celsius", Weather) if as_tuple else Weather
        tools = [add] if with_tools else []
        graph = agent(lib, fake, tools, response_format=schema, checkpointer=saver(lib))
        return trace(lib, driver, graph, HI)

    ours = same(program, driver)
    assert ours["state"]["values"]["structured_response"] == {
        "__type__": "Weather",
        "temperature": 21,
    }


def test_pre_and_post_model_hooks(driver: Any) -> None:
    def pre(state: Any) -> dict[str, Any]:
        return {"llm_input_messages": [HumanMessage("trimmed")]}

    def post(state: Any) -> dict[str, Any]:
        return {
            "messages": [HumanMessage("checked", id=f"post{len(state['messages'])}")]
        }

    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(
            lib,
            model([[call("add", {"a": 1, "b": 1}, "c1")], []]),
            [add],
            pre_model_hook=pre,
            post_model_hook=post,
            checkpointer=saver(lib),
        )
        out = trace(lib, driver, graph, HI)
        out["mermaid"] = graph.get_graph().draw_mermaid()
        return out

    ours = same(program, driver)
    assert [c for _, c in messages_of(ours)] == [
        "hi",
        "trimmed",
        "checked",
        "2",
        "trimmed",
        "checked",
    ]
    assert "post_model_hook -.-> tools" in ours["mermaid"]


@pytest.mark.parametrize("hooks", ["pre", "post", "both", "none"])
@pytest.mark.parametrize("tools", [True, False])
def test_graph_shapes(hooks: str, tools: bool) -> None:
    def hook(state: Any) -> dict[str, Any]:
        return {}

    def program(lib: Lib) -> Any:
        kwargs: dict[str, Any] = {}
        if hooks in ("pre", "both"):
            kwargs["pre_model_hook"] = hook
        if hooks in ("post", "both"):
            kwargs["post_model_hook"] = hook
        graph = agent(
            lib,
            model(),
            [add, finish] if tools else [],
            response_format=Weather,
            **kwargs,
        )
        drawn = graph.get_graph()
        return [
            sorted(drawn.nodes),
            drawn.draw_mermaid(),
            drawn.to_json(),  # draw_ascii is left out: grandalf's layout varies
            graph.name,  # between runs of the same graph, in LangGraph too
        ]

    ours = same(program)
    assert "generate_structured_response" in ours[0]
    agent_node = next(n for n in ours[2]["nodes"] if n["id"] == "agent")
    assert agent_node["data"]["id"][-1] == "RunnableCallable"


def test_return_direct_ends_the_run(driver: Any) -> None:
    script = [
        [call("add", {"a": 1, "b": 1}, "c1"), call("finish", {"answer": "x"}, "c2")]
    ]

    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(script), [add, finish], checkpointer=saver(lib))
        return trace(lib, driver, graph, HI)

    ours = same(program, driver)
    assert messages_of(ours)[-1] == ("tool", "final: x")


@pytest.mark.parametrize("limit", [3, 4])
def test_remaining_steps_stop_the_loop(driver: Any, limit: int) -> None:
    forever = [[call("add", {"a": 1, "b": 1}, "c1")]]

    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(forever), [add], checkpointer=saver(lib))
        config = {"configurable": {"thread_id": "t"}, "recursion_limit": limit}
        return trace(lib, driver, graph, HI, config)

    ours = same(program, driver)
    assert messages_of(ours)[-1] == (
        "ai",
        "Sorry, need more steps to process this request.",
    )


def test_custom_state_and_context_with_dynamic_model(driver: Any) -> None:
    class Context(TypedDict):
        model: str

    def program(lib: Lib, driver: Any) -> Any:
        class State(TypedDict):
            messages: Annotated[list[Any], lib.message.add_messages]
            remaining_steps: lib.managed.RemainingSteps
            user: str

        models = {
            "a": model([[call("add", {"a": 2, "b": 2}, "c1")], []]).bind_tools([add]),
            "b": model().bind_tools([add]),
        }

        def pick(state: Any, runtime: Any) -> Any:
            return models[runtime.context["model"]]

        graph = agent(
            lib,
            pick,
            [add],
            state_schema=State,
            context_schema=Context,
            prompt=lambda state: [SystemMessage(state["user"]), *state["messages"]],
            checkpointer=saver(lib),
        )
        return trace(lib, driver, graph, {**HI, "user": "ann"}, context={"model": "a"})

    ours = same(program, driver)
    assert messages_of(ours)[-1] == ("ai", "ann-hi-ann-hi-4")


def test_async_model_picker(driver: Any) -> None:
    async def pick(state: Any, runtime: Any) -> Any:
        return model().bind_tools([add])

    def program(lib: Lib, driver: Any) -> Any:
        return attempt(driver.invoke, agent(lib, pick, [add]), HI)

    ours = same(program, driver)
    if driver.mode == "sync":
        assert ours["__exc__"] == "RuntimeError"
        assert ours["str"].startswith("Async model callable provided but agent")
    else:
        assert ours["messages"][-1]["content"] == "hi"


def test_pydantic_state_schema(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        class State(BaseModel):
            messages: Annotated[list[Any], lib.message.add_messages]
            remaining_steps: lib.managed.RemainingSteps = 25
            mood: str = "calm"

        graph = agent(
            lib, model(PARALLEL), [add], state_schema=State, checkpointer=saver(lib)
        )
        return trace(lib, driver, graph, HI)

    ours = same(program, driver)
    assert messages_of(ours)[-1] == ("ai", "hi-hi-3-7")


@pytest.mark.parametrize("where", ["before", "after"])
def test_static_interrupts_and_resume(driver: Any, where: str) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        kwargs = (
            {"interrupt_before": ["tools"]}
            if where == "before"
            else {"interrupt_after": ["agent"]}
        )
        graph = agent(lib, model(PARALLEL), [add], checkpointer=saver(lib), **kwargs)
        first = trace(lib, driver, graph, HI)
        return [first, trace(lib, driver, graph, None)]

    ours = same(program, driver)
    assert ours[0]["state"]["next"] == ("tools", "tools")
    assert messages_of(ours[1])[-1] == ("ai", "hi-hi-3-7")


def test_name_labels_messages_and_graph(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(PARALLEL), [add], name="helper")
        return [graph.name, driver.invoke(graph, HI)]

    ours = same(program, driver)
    assert ours[0] == "helper"
    assert {m["name"] for m in ours[1]["messages"] if m["type"] == "ai"} == {"helper"}


@pytest.mark.parametrize(
    "case",
    [
        "bad_version",
        "unknown_kwarg",
        "missing_state_keys",
        "bound_tool_count",
        "bound_tool_names",
        "unanswered_tool_call",
        "model_string_without_langchain",
    ],
)
def test_bad_input(driver: Any, case: str) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        class Partial(TypedDict):
            messages: list[Any]

        kwargs: dict[str, Any] = {
            "bad_version": {"version": "v3"},
            "unknown_kwarg": {"colour": "red"},
            "missing_state_keys": {"state_schema": Partial},
        }.get(case, {})
        fake: Any = model()
        if case == "bound_tool_count":
            fake = fake.bind_tools([add, finish])
        if case == "bound_tool_names":
            fake = fake.bind_tools([finish])
        if case == "model_string_without_langchain":
            fake = "openai:gpt-4o"  # resolving it needs the `langchain` package
        made = attempt(agent, lib, fake, [add], **kwargs)
        if isinstance(made, Exception):
            return made
        stale = AIMessage("", id="x", tool_calls=[call("add", {}, "old")])
        return attempt(driver.invoke, made, {"messages": [stale]})

    ours = same(program, driver)
    messages = {
        "bad_version": "Invalid version v3. Supported versions are 'v1' and 'v2'.",
        "unknown_kwarg": "create_react_agent() got unexpected keyword arguments: "
        "{'colour': 'red'}",
        "missing_state_keys": "Missing required key(s) {'remaining_steps'} in "
        "state_schema",
        "bound_tool_count": "Number of tools in the model.bind_tools() and tools "
        "passed to create_react_agent must match Got 1 tools, expected 2",
        "bound_tool_names": "Missing tools '{'add'}' in the model.bind_tools()",
        "model_string_without_langchain": "Please install langchain (`pip install "
        "langchain`) to use '<provider>:<model>' string syntax for `model` parameter.",
    }
    if case == "unanswered_tool_call":
        assert ours["__exc__"] == "ValueError"
        assert "INVALID_CHAT_HISTORY" in ours["str"]
    else:
        assert ours["str"] == messages[case]


def test_config_schema_is_a_deprecated_alias() -> None:
    class Context(TypedDict):
        user: str

    def program(lib: Lib) -> Any:
        warning = lib.warnings.LangGraphDeprecatedSinceV10
        with pytest.warns(warning) as record:
            graph = lib.agent.create_react_agent(model(), [add], config_schema=Context)
        return [sorted(str(r.message) for r in record), graph.context_schema is Context]

    ours = same(program)
    assert ours[1] is True
    assert any("`config_schema` is deprecated" in m for m in ours[0])


def test_tools_as_a_tool_node_and_provider_dicts(driver: Any) -> None:
    search = {"type": "web_search_preview"}

    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([add], handle_tool_errors="tool failed")
        graph = agent(lib, model([[call("add", {"a": "x"}, "c1")], []]), node)
        with_dict = agent(lib, model(), [add, search])
        bound = with_dict.nodes["agent"].bound
        return [driver.invoke(graph, HI), type(bound).__name__]

    ours = same(program, driver)
    assert ours[0]["messages"][2]["content"] == "tool failed"


def test_paused_agent_resumes_from_sqlite(tmp_path: Any) -> None:
    import importlib
    import sqlite3

    def program(lib: Lib) -> Any:
        saver_cls = importlib.import_module(f"{lib.name}.checkpoint.sqlite").SqliteSaver
        path = tmp_path / f"{lib.name}.db"
        fake = model(PARALLEL, structured_response=Weather(temperature=3))
        observed = []
        for input in (HI, None):
            conn = sqlite3.connect(path, check_same_thread=False)
            graph = agent(
                lib,
                fake,
                [add],
                checkpointer=saver_cls(conn),
                interrupt_before=["tools"],
                response_format=Weather,
            )
            observed.append(trace(lib, _SYNC, graph, input))
            conn.close()
        return observed

    ours = same(program)
    assert ours[0]["state"]["next"] == ("tools", "tools")
    assert ours[1]["state"]["values"]["structured_response"]["temperature"] == 3
    assert messages_of(ours[1])[-1] == ("ai", "hi-hi-3-7")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_messages_stream_of_a_model_without_token_streaming(
    driver: Any, version: str
) -> None:
    # The fake model does not stream tokens, so each message arrives whole. In
    # LangGraph the model's message comes through chat-model callbacks, whose
    # metadata adds the model's ``ls_*`` keys; that path is the engine's (not in
    # this branch), so only the ``langgraph_*`` metadata is compared.
    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(PARALLEL), [add], version=version)
        modes = ("messages", "updates", "values")
        out = trace(lib, driver, graph, HI, stream_mode=modes)
        out["chunks"] = [
            (mode, (data[0], {k: v for k, v in data[1].items() if "langgraph_" in k}))
            if mode == "messages"
            else (mode, data)
            for mode, data in out["chunks"]
        ]
        return out

    ours = same(program, driver)
    kinds = [c[1][0]["type"] for c in ours["chunks"] if c[0] == "messages"]
    assert kinds == ["ai", "tool", "tool", "ai"]


def test_agent_nodes_can_be_invoked_by_hand(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(PARALLEL), [add])
        message = AIMessage("", id="a", tool_calls=PARALLEL[0])
        state = {"messages": [message]}
        without_runtime = attempt(driver.invoke, graph.nodes["tools"], state)
        return [
            driver.invoke(graph.nodes["tools"], state, lib.runtime_config()),
            without_runtime,
        ]

    ours = same(program, driver)
    assert [m["content"] for m in ours[0]["messages"]] == ["3", "7"]
    assert ours[1]["str"] == "Missing required config key 'N/A' for 'tools'."


MALFORMED = {
    # the provider's JSON did not parse: langchain keeps it as an invalid call
    "invalid_json": AIMessage(
        "",
        invalid_tool_calls=[
            {"name": "add", "args": '{"a": 1,', "id": "c1", "error": "bad json"}
        ],
    ),
    "wrong_types": AIMessage("", tool_calls=[call("add", {"a": "one", "b": []}, "c1")]),
    "missing_and_extra_args": AIMessage(
        "", tool_calls=[call("add", {"a": 1, "c": 3}, "c1")]
    ),
    "unknown_tool": AIMessage("", tool_calls=[call("subtract", {"a": 1}, "c1")]),
    "no_call_id": AIMessage(
        "", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": None}]
    ),
}


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_tool_calls_from_the_model(
    driver: Any, case: str, version: str
) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        fake = model(responses=[MALFORMED[case], AIMessage("done")])
        graph = agent(lib, fake, [add], checkpointer=saver(lib), version=version)
        return trace(lib, driver, graph, HI)

    ours = same(program, driver)
    text = repr(ours)
    expected = {
        "invalid_json": "'error': 'bad json'",
        "wrong_types": "a: Input should be a valid integer, unable to parse string",
        "missing_and_extra_args": "b: Field required",
        "unknown_tool": "Error: subtract is not a valid tool, try one of [add].",
        # langchain returns a bare value for a call without id; LangGraph's
        # ToolNode then fails on it (not handled by default)
        "no_call_id": "Tool add returned unexpected type: <class 'int'>",
    }
    assert expected[case] in text


def test_prompt_functions_get_config_store_and_runtime(driver: Any) -> None:
    store = InMemoryStore()
    store.put(("prefs",), "ann", {"tone": "dry"})

    def prompt(state: Any, config: RunnableConfig, *, store: BaseStore) -> list[Any]:
        user = config["configurable"]["user"]
        tone = store.get(("prefs",), user).value["tone"]
        return [SystemMessage(f"{user} likes {tone}"), *state["messages"]]

    def typed_badly(state: Any, config: dict) -> list[Any]:  # warns, not injected
        return state["messages"]

    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(), [add], prompt=prompt, store=store)
        config = {"configurable": {"user": "ann"}}
        answer = driver.invoke(graph, HI, config)
        with pytest.warns(UserWarning, match="should be typed as 'RunnableConfig'"):
            agent(lib, model(), [add], prompt=typed_badly)
        return answer

    ours = same(program, driver)
    assert ours["messages"][-1]["content"] == "ann likes dry-hi"


def test_update_state_then_continue(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(
            lib,
            model(PARALLEL),
            [add],
            checkpointer=saver(lib),
            interrupt_before=["tools"],
        )
        config = {"configurable": {"thread_id": "t"}}
        trace(lib, driver, graph, HI, config)
        # replace the model's tool calls before they run
        fixed = AIMessage("", id="0", tool_calls=[call("add", {"a": 5, "b": 5}, "c9")])
        driver.update_state(graph, config, {"messages": [fixed]})
        return trace(lib, driver, graph, None, config)

    ours = same(program, driver)
    assert ("tool", "10") in messages_of(ours)


def test_agent_as_a_subgraph_streams_with_namespaces(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        inner = agent(lib, model(PARALLEL), [add], name="inner")
        outer = lib.graph.StateGraph(lib.graph.MessagesState)
        outer.add_node("inner", inner)
        outer.add_edge(lib.graph.START, "inner")
        graph = outer.compile(checkpointer=saver(lib))
        return trace(lib, driver, graph, HI, subgraphs=True)

    ours = same(program, driver)
    namespaces = {c[0][0].split(":")[0] for c in ours["chunks"] if c[0]}
    assert namespaces == {"inner"}
    assert messages_of(ours)[-1] == ("ai", "hi-hi-3-7")


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_parallel_tools_that_interrupt(driver: Any, version: str) -> None:
    script = [[call("ask", {"q": "a"}, "c1"), call("ask", {"q": "b"}, "c2")], []]
    config = {"configurable": {"thread_id": "t"}}

    def program(lib: Lib, driver: Any) -> Any:
        # v1 runs both calls in one task, and a task's resume values go to its
        # interrupt() calls in call order: "b" waits each round until "a" has
        # called interrupt(), so answers reach the same questions on both
        # libraries instead of following thread timing.
        asked_a = threading.Event()

        @tool
        def ask(q: str) -> str:
            """Asks a human."""
            if q == "b" and version == "v1":
                assert asked_a.wait(timeout=30), "the call asking 'a' never ran"
                asked_a.clear()
                return f"{q}={lib.types.interrupt(q)}"
            try:
                return f"{q}={lib.types.interrupt(q)}"
            finally:
                asked_a.set()

        graph = agent(
            lib, model(script), [ask], checkpointer=saver(lib), version=version
        )
        driver.invoke(graph, HI, config)
        rounds = []
        for _ in range(3):
            state = driver.get_state(graph, config)
            rounds.append(sorted(i.value for i in state.interrupts))
            if not state.interrupts:
                break
            answers = {i.id: i.value.upper() for i in state.interrupts}
            driver.invoke(graph, lib.types.Command(resume=answers), config)
        asked = sorted(q for r in rounds for q in r)
        return [[len(r) for r in rounds], asked, driver.get_state(graph, config).values]

    ours = same(program, driver)
    assert ours[0] == ([1, 1, 0] if version == "v1" else [2, 0])
    assert ours[1] == ["a", "b"]
    final = [(m["type"], m["content"]) for m in ours[2]["messages"]]
    assert ("tool", "a=A") in final
    assert ("tool", "b=B") in final


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_pydantic_state_with_structured_response_and_post_hook(
    driver: Any, version: str
) -> None:
    def post(state: Any) -> dict[str, Any]:
        return {"messages": [HumanMessage("seen", id=f"seen{len(state.messages)}")]}

    def program(lib: Lib, driver: Any) -> Any:
        with warnings.catch_warnings():
            # subclassing the deprecated state warns; that is not under test
            warnings.simplefilter("ignore", lib.warnings.LangGraphDeprecatedSinceV10)

            class Schema(lib.agent.AgentStatePydantic):  # type: ignore[name-defined]
                structured_response: Weather | None = None

        schema = Schema
        graph = agent(
            lib,
            model(PARALLEL, structured_response=Weather(temperature=5)),
            [add],
            state_schema=schema,
            response_format=Weather,
            post_model_hook=post,
            version=version,
            checkpointer=saver(lib),
        )
        return trace(lib, driver, graph, HI)

    ours = same(program, driver)
    if version == "v1":
        # LangGraph's v1 router sends tool calls to "tools", which is not in the
        # agent's path map when there is a post-model hook; reproduced as is.
        assert ours["chunks"] == {"__exc__": "KeyError", "str": "'tools'"}
        return
    assert ours["state"]["values"]["structured_response"]["temperature"] == 5
    assert [t for t, _ in messages_of(ours)].count("tool") == 2


def test_model_node_reports_langchain_callback_runs(driver: Any) -> None:
    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, Any]] = []

        def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
            self.events.append(("chain", kw.get("name")))

        def on_chat_model_start(
            self, serialized: Any, messages: Any, **kw: Any
        ) -> None:
            self.events.append(("chat_model", len(messages[0])))

    def program(lib: Lib, driver: Any) -> Any:
        graph = agent(lib, model(), [add], prompt="be brief")
        recorder = Recorder()
        config = lib.runtime_config()
        config["callbacks"] = [recorder]
        state = {"messages": [HumanMessage("hi", id="h")], "remaining_steps": 5}
        answer = driver.invoke(graph.nodes["agent"], state, config)
        return [answer, recorder.events]

    ours = same(program, driver)
    assert ours[1] == [
        ("chain", "call_model"),
        ("chain", "RunnableSequence"),
        ("chain", "Prompt"),
        ("chat_model", 2),
    ]
