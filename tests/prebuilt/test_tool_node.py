"""``ToolNode`` called directly: same results and errors as LangGraph's.

Each case is a program run on both libraries (``same``), through the sync or
the async API (``driver``); the test then pins what the answer must say.

No ``from __future__ import annotations`` here: langchain reads the tools'
signatures at run time, and they name per-library classes held in local
variables, which postponed (string) annotations could not resolve.
"""

import functools
from typing import Annotated, Any

import pytest
from _prebuilt_diff import Lib, attempt, same
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.store.memory import InMemoryStore


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def fail(x: int) -> str:
    """Always fails."""
    raise ValueError(f"bad {x}")


@tool
def blob(kind: str) -> Any:
    """Returns outputs of several shapes."""
    if kind == "dict":
        return {"k": [1, "é"]}
    if kind == "blocks":
        return [{"type": "text", "text": "hi"}]
    return {1, 2} if kind == "set" else kind


@tool
async def slow_add(a: int, b: int) -> int:
    """Add two numbers, asynchronously."""
    return a + b


def call(name: str, args: dict[str, Any], id: str = "1") -> dict[str, Any]:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


def ai(*calls: dict[str, Any]) -> AIMessage:
    return AIMessage("", id="ai", tool_calls=list(calls))


def run(lib: Lib, driver: Any, node: Any, input: Any, **runtime: Any) -> Any:
    return driver.invoke(node, input, lib.runtime_config(**runtime))


def contents(observed: Any) -> list[Any]:
    messages = observed["messages"] if isinstance(observed, dict) else observed
    return [m["content"] for m in messages]


def test_parallel_calls_answer_in_call_order(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([add, blob])
        calls = [call("add", {"a": 1, "b": 2}, "1"), call("blob", {"kind": "x"}, "2")]
        return run(lib, driver, node, {"messages": [HumanMessage("q"), ai(*calls)]})

    ours = same(program, driver)
    assert contents(ours) == ["3", "x"]
    assert [m["tool_call_id"] for m in ours["messages"]] == ["1", "2"]


@pytest.mark.parametrize(
    "shape", ["messages_list", "tool_calls_list", "with_context", "object"]
)
def test_input_forms(driver: Any, shape: str) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([add])
        first = call("add", {"a": 2, "b": 3})
        inputs: dict[str, Any] = {
            "messages_list": [HumanMessage("q"), ai(first)],
            "tool_calls_list": [first],
            "with_context": {
                "__type": "tool_call_with_context",
                "tool_call": first,
                "state": {"messages": []},
            },
            "object": type("S", (), {"messages": [ai(first)]})(),
        }
        return run(lib, driver, node, inputs[shape])

    ours = same(program, driver)
    assert contents(ours) == ["5"]


@pytest.mark.parametrize("kind", ["dict", "blocks", "set", "plain"])
def test_output_content_shapes(driver: Any, kind: str) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([blob])
        return run(lib, driver, node, [ai(call("blob", {"kind": kind}))])

    ours = same(program, driver)
    expected = {
        "dict": '{"k": [1, "é"]}',
        "blocks": [{"type": "text", "text": "hi"}],
        "set": "{1, 2}",
        "plain": "plain",
    }
    assert contents(ours) == [expected[kind]]


def test_unknown_tool_and_bad_arguments_become_error_messages(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([add, fail])
        calls = [call("nope", {}, "1"), call("add", {"a": "x"}, "2")]
        return run(lib, driver, node, {"messages": [ai(*calls)]})

    ours = same(program, driver)
    assert contents(ours) == [
        "Error: nope is not a valid tool, try one of [add, fail].",
        "Error invoking tool 'add' with kwargs {'a': 'x'} with error:\n"
        " a: Input should be a valid integer, unable to parse string as an integer\n"
        "b: Field required\n Please fix the error and try again.",
    ]
    assert [m["status"] for m in ours["messages"]] == ["error", "error"]


def _typed_value_error(e: ValueError) -> str:
    return f"typed: {e}"


def _typed_type_error(e: TypeError) -> str:
    return "never"


def _string_union_handler(e: "KeyError | ValueError") -> str:
    return f"union: {type(e).__name__}"


def _evaluated_union_handler(e: KeyError | ValueError) -> str:
    return f"union: {type(e).__name__}"


# A union written as a string (postponed annotations) is not handled by
# LangGraph: it fails reading the type's MRO; ours does the same.
_UNION_QUIRK = "'types.UnionType' object has no attribute '__mro__'"


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("default", None),
        (True, "Error: ValueError('bad 1')\n Please fix your mistakes."),
        ("custom text", "custom text"),
        (ValueError, "Error: ValueError('bad 1')\n Please fix your mistakes."),
        (
            (KeyError, ValueError),
            "Error: ValueError('bad 1')\n Please fix your mistakes.",
        ),
        ((KeyError, TypeError), None),
        (_typed_value_error, "typed: bad 1"),
        (_typed_type_error, None),
        (_string_union_handler, _UNION_QUIRK),
        (_evaluated_union_handler, "union: ValueError"),
        (False, None),
    ],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_handle_tool_errors_variants(
    driver: Any, flag: Any, expected: str | None
) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        kwargs = {} if flag == "default" else {"handle_tool_errors": flag}
        node = lib.prebuilt.ToolNode([fail], **kwargs)
        return run(lib, driver, node, [ai(call("fail", {"x": 1}))])

    ours = same(program, driver)
    if expected is None:
        assert ours == {"__exc__": "ValueError", "str": "bad 1"}
    elif expected == _UNION_QUIRK:
        assert ours == {"__exc__": "AttributeError", "str": expected}
    else:
        assert contents(ours) == [expected]


def test_bad_arguments_raise_tool_invocation_error_when_unhandled(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([add], handle_tool_errors=False)
        return run(lib, driver, node, [ai(call("add", {"a": 1}))])

    ours = same(program, driver)
    assert ours["__exc__"] == "ToolInvocationError"
    assert "b: Field required" in ours["str"]


def test_handler_annotation_must_name_exceptions(driver: Any) -> None:
    def handler(e: int) -> str:
        return "x"

    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([fail], handle_tool_errors=handler)
        return run(lib, driver, node, [ai(call("fail", {"x": 1}))])

    ours = same(program, driver)
    assert ours["__exc__"] == "ValueError"
    assert ours["str"].startswith("Arbitrary types are not supported")


@pytest.mark.parametrize(
    ("input", "message"),
    [
        ({"messages": [HumanMessage("q")]}, "No AIMessage found in input"),
        ({"other": 1}, "No message found in input"),
    ],
)
def test_inputs_without_tool_calls_fail(driver: Any, input: Any, message: str) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        return run(lib, driver, lib.prebuilt.ToolNode([add]), input)

    assert same(program, driver) == {"__exc__": "ValueError", "str": message}


def test_runtime_is_required_outside_a_graph(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        return driver.invoke(lib.prebuilt.ToolNode([add]), [ai(call("add", {}))])

    ours = same(program, driver)
    assert ours == {
        "__exc__": "ValueError",
        "str": "Missing required config key 'N/A' for 'tools'.",
    }


def test_async_only_tool(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode([slow_add], handle_tool_errors=True)
        return run(lib, driver, node, [ai(call("slow_add", {"a": 1, "b": 1}))])

    ours = same(program, driver)
    if driver.mode == "async":
        assert contents(ours) == ["2"]
    else:
        assert "does not support sync invocation" in contents(ours)[0]


def state_tools(lib: Lib) -> list[Any]:
    injected_state = lib.prebuilt.InjectedState

    @tool
    def whole(x: int, state: Annotated[dict[str, Any], injected_state]) -> str:
        """Reads the whole state."""
        return f"{x}:{sorted(state)}"

    @tool
    def field(x: int, foo: Annotated[str, injected_state("foo")]) -> str:
        """Reads one key."""
        return f"{x}:{foo}"

    @tool
    def optional(
        x: int, bar: Annotated[str | None, injected_state("bar")] = None
    ) -> str:
        """Reads a key that may be missing."""
        return f"{x}:{bar}"

    @tool
    def history(
        messages: Annotated[list[Any], injected_state("messages")],
    ) -> str:
        """Reads the messages."""
        return str(len(messages))

    return [whole, field, optional, history]


@pytest.mark.parametrize("with_foo", [True, False])
def test_injected_state(driver: Any, with_foo: bool) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode(state_tools(lib), handle_tool_errors=True)
        calls = [
            call("whole", {"x": 1}, "1"),
            call("field", {"x": 2}, "2"),
            call("optional", {"x": 3}, "3"),
            call("history", {}, "4"),
        ]
        state: dict[str, Any] = {"messages": [ai(*calls)]}
        if with_foo:
            state["foo"] = "F"
        return run(lib, driver, node, state)

    ours = same(program, driver)
    if with_foo:
        assert contents(ours) == ["1:['foo', 'messages']", "2:F", "3:None", "1"]
    else:  # injection happens before the error handling
        assert ours == {"__exc__": "KeyError", "str": "'foo'"}


def test_injected_state_with_list_input(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode(state_tools(lib), handle_tool_errors=True)
        history = run(lib, driver, node, [ai(call("history", {}, "1"))])
        field = [ai(call("field", {"x": 1}, "2"))]
        return [history, attempt(run, lib, driver, node, field)]

    ours = same(program, driver)
    assert contents(ours[0]) == ["1"]
    assert ours[1] == {
        "__exc__": "ValueError",
        "str": "Invalid input to ToolNode. Tool field requires graph state dict as "
        "input. State should contain fields foo.",
    }


def test_model_cannot_forge_injected_arguments(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode(state_tools(lib))
        forged = call("field", {"x": 1, "foo": "forged"})
        return run(lib, driver, node, {"messages": [ai(forged)], "foo": "real"})

    assert contents(same(program, driver)) == ["1:real"]


def test_injected_store(driver: Any) -> None:
    store = InMemoryStore()

    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def remember(
            key: str, store: Annotated[Any, lib.prebuilt.InjectedStore()]
        ) -> str:
            """Stores a key."""
            store.put(("ns", lib.name), key, {"v": 1})
            return str(store.get(("ns", lib.name), key).value)

        node = lib.prebuilt.ToolNode([remember], handle_tool_errors=True)
        input = [ai(call("remember", {"key": "k"}))]
        with_store = run(lib, driver, node, input, store=store)
        return [with_store, attempt(run, lib, driver, node, input)]

    ours = same(program, driver)
    assert contents(ours[0]) == ["{'v': 1}"]
    assert ours[1]["__exc__"] == "ValueError"
    assert "please compile your graph with a store" in ours[1]["str"]


def test_tool_runtime_and_tool_call_id(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def inspect_runtime(x: int, runtime: lib.prebuilt.ToolRuntime) -> str:
            """Reports what the runtime holds."""
            names = [t.name for t in runtime.tools]
            return f"{x}|{runtime.tool_call_id}|{runtime.context}|{names}|" + str(
                sorted(runtime.state)
            )

        @tool
        def call_id(tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
            """Reports its call id."""
            return f"id={tool_call_id}"

        node = lib.prebuilt.ToolNode([inspect_runtime, call_id])
        calls = [call("inspect_runtime", {"x": 1}, "a"), call("call_id", {}, "b")]
        return run(lib, driver, node, {"messages": [ai(*calls)]})

    ours = same(program, driver)
    assert contents(ours) == [
        "1|a|None|['inspect_runtime', 'call_id']|['messages']",
        "id=b",
    ]


def command_tools(lib: Lib) -> list[Any]:
    command, tool_message = lib.types.Command, ToolMessage

    @tool
    def good(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Answers with a Command."""
        reply = tool_message("ok", tool_call_id=tool_call_id)
        return command(update={"messages": [reply], "foo": 1}, goto="elsewhere")

    @tool
    def as_list(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Answers with a list update."""
        return command(update=[tool_message("listed", tool_call_id=tool_call_id)])

    @tool
    def unanswered() -> Any:
        """Forgets the ToolMessage."""
        return command(update={"foo": 2})

    @tool
    def several(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Returns a list of a message and a Command."""
        return [
            tool_message("first", tool_call_id=tool_call_id),
            command(update={"foo": 3}),
        ]

    @tool
    def to_parent(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Sends to the parent graph."""
        send = lib.types.Send
        return command(graph=command.PARENT, goto=[send("n", {"id": tool_call_id})])

    return [good, as_list, unanswered, several, to_parent]


@pytest.mark.parametrize(
    ("names", "list_input"),
    [
        (["good"], False),
        (["good", "several"], False),
        (["as_list"], True),
        (["as_list"], False),
        (["good"], True),
        (["unanswered"], False),
        (["to_parent", "to_parent", "good"], False),
    ],
)
def test_commands_from_tools(driver: Any, names: list[str], list_input: bool) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode(command_tools(lib), handle_tool_errors=True)
        message = ai(*(call(n, {}, str(i)) for i, n in enumerate(names)))
        return run(
            lib, driver, node, [message] if list_input else {"messages": [message]}
        )

    ours = same(program, driver)
    text = repr(ours)
    if names == ["unanswered"]:
        assert "Expected to have a matching ToolMessage in Command.update" in text
    elif names == ["to_parent", "to_parent", "good"]:
        assert text.count("'__type__': 'Send'") == 2
    elif list_input == (names == ["as_list"]):
        assert "__exc__" not in text
        assert "'status': 'error'" not in text
    else:
        assert "Tools can provide a" in text


def test_wrap_tool_call_interceptor(driver: Any) -> None:
    def wrap(request: Any, execute: Any) -> Any:
        name = request.tool_call["name"]
        if name == "cached":
            return ToolMessage("from cache", tool_call_id=request.tool_call["id"])
        if name == "fail":
            raise RuntimeError("interceptor broke")
        doubled = {**request.tool_call, "args": {"a": 10, "b": 10}}
        return execute(request.override(tool_call=doubled))

    def program(lib: Lib, driver: Any) -> Any:
        node = lib.prebuilt.ToolNode(
            [add, fail], wrap_tool_call=wrap, handle_tool_errors=True
        )
        calls = [
            call("add", {"a": 1, "b": 1}, "1"),
            call("cached", {}, "2"),
            call("fail", {"x": 1}, "3"),
        ]
        return run(lib, driver, node, {"messages": [ai(*calls)]})

    ours = same(program, driver)
    assert contents(ours) == [
        "20",
        "from cache",
        "Error: RuntimeError('interceptor broke')\n Please fix your mistakes.",
    ]


def test_tool_call_request_override_replaces_runtime_state() -> None:
    def program(lib: Lib) -> Any:
        request_cls = lib.tool_node.ToolCallRequest
        runtime = lib.prebuilt.ToolRuntime(
            state={"a": 1},
            context=None,
            config={},
            stream_writer=print,
            tool_call_id="1",
            store=None,
        )
        request = request_cls(call("add", {}), None, {"a": 1}, runtime)
        changed = request.override(state={"b": 2})
        return [request.state, changed.state, changed.runtime.state]

    assert same(program) == [{"a": 1}, {"b": 2}, {"b": 2}]


@pytest.mark.parametrize(
    "state",
    [
        {"messages": [ai(call("add", {}))]},
        {"messages": [AIMessage("done")]},
        [ai(call("add", {}))],
        {"messages": []},
    ],
    ids=["calls", "no_calls", "list", "empty"],
)
def test_tools_condition(state: Any) -> None:
    def program(lib: Lib) -> Any:
        return lib.prebuilt.tools_condition(state)

    ours = same(program)
    assert ours in ("tools", "__end__") or ours["__exc__"] == "ValueError"


def test_bare_tool_calls_read_state_through_a_langgraph_style_reader(
    driver: Any,
) -> None:
    channels = {"messages": [AIMessage("from channels")], "user": "ann"}

    def local_read(
        scratchpad: Any, chans: Any, managed: Any, task: Any, select: Any, fresh: Any
    ) -> Any:
        return {k: chans[k] for k in select}

    def program(lib: Lib, driver: Any) -> Any:
        @tool
        def whoami(user: Annotated[str, lib.prebuilt.InjectedState("user")]) -> str:
            """Reads the user from the state."""
            return user

        config = lib.runtime_config()
        reader = functools.partial(local_read, None, channels, None, None)
        config["configurable"]["__pregel_read"] = reader
        node = lib.prebuilt.ToolNode([whoami])
        return driver.invoke(node, [call("whoami", {})], config)

    assert contents(same(program, driver)) == ["ann"]


def test_setting_request_attributes_is_deprecated() -> None:
    def program(lib: Lib) -> Any:
        request = lib.tool_node.ToolCallRequest(call("add", {}), None, {}, None)
        with pytest.warns(DeprecationWarning, match="override") as record:
            request.state = {"new": 1}
        return [str(record[0].message), request.state]

    ours = same(program)
    assert ours[0].startswith(
        "Setting attribute 'state' on ToolCallRequest is deprecated."
    )


def test_langchain_tools_hand_back_stategraph_commands() -> None:
    import stategraph.prebuilt  # noqa: F401  # installs the pass-through
    from stategraph.types import Command

    @tool
    def jump(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Returns a Command."""
        return Command(
            goto="x",
            update={"messages": [ToolMessage("ok", tool_call_id=tool_call_id)]},
        )

    @tool
    def jumps(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Returns a list of Commands."""
        return [Command(goto="x"), Command(goto="y")]

    assert isinstance(jump.invoke(call("jump", {}, "c1")), Command)
    assert [c.goto for c in jumps.invoke(call("jumps", {}, "c2"))] == ["x", "y"]
    assert isinstance(add.invoke(call("add", {"a": 1, "b": 1}, "c3")), ToolMessage)
