"""``ValidationNode`` against LangGraph's: same messages for valid and invalid calls.

No ``from __future__ import annotations``: the schema function's signature is
read at run time.
"""

from typing import Any

import pytest
from _prebuilt_diff import Lib, same
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from pydantic import BaseModel, field_validator


class SelectNumber(BaseModel):
    a: int

    @field_validator("a")
    @classmethod
    def only_37(cls, v: int) -> int:
        if v != 37:
            raise ValueError("Only 37 is allowed")
        return v


@tool
def lookup(query: str, limit: int = 3) -> str:
    """Looks something up."""
    return query


def pick(color: str) -> str:
    """Picks a colour."""
    return color


def validation_node(lib: Lib, *args: Any, **kwargs: Any) -> Any:
    with pytest.warns(lib.warnings.LangGraphDeprecatedSinceV10, match="ValidationNode"):
        return lib.prebuilt.ValidationNode(*args, **kwargs)


def call(name: str, args: dict[str, Any], id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": id, "type": "tool_call"}


@pytest.mark.parametrize("list_input", [True, False])
def test_validation_messages(driver: Any, list_input: bool) -> None:
    calls = [
        call("SelectNumber", {"a": 37}, "1"),
        call("SelectNumber", {"a": 1}, "2"),
        call("lookup", {"query": "q"}, "3"),
        call("pick", {"color": 5}, "4"),
    ]
    message = AIMessage("", id="ai", tool_calls=calls)

    def program(lib: Lib, driver: Any) -> Any:
        node = validation_node(lib, [SelectNumber, lookup, pick])
        return driver.invoke(node, [message] if list_input else {"messages": [message]})

    ours = same(program, driver)
    messages = ours if list_input else ours["messages"]
    assert messages[0]["content"] == '{"a":37}'
    assert messages[1]["additional_kwargs"] == {"is_error": True}
    assert "Only 37 is allowed" in messages[1]["content"]
    assert messages[2]["content"] == '{"query":"q","limit":3}'
    assert messages[3]["additional_kwargs"] == {"is_error": True}


def test_custom_error_format_and_graph_use(driver: Any) -> None:
    def format_error(error: BaseException, call: Any, schema: Any) -> str:
        return f"{schema.__name__} rejected {call['args']}"

    def program(lib: Lib, driver: Any) -> Any:
        node = validation_node(lib, [SelectNumber], format_error=format_error)
        builder = lib.graph.StateGraph(lib.graph.MessagesState)
        builder.add_node("validation", node)
        builder.add_edge(lib.graph.START, "validation")
        bad = AIMessage("", id="ai", tool_calls=[call("SelectNumber", {"a": 2}, "1")])
        return driver.invoke(builder.compile(), {"messages": [bad]})

    ours = same(program, driver)
    assert ours["messages"][-1]["content"] == "SelectNumber rejected {'a': 2}"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            42,
            "Unsupported input to ValidationNode. Expected BaseModel, tool or "
            "function. Got: <class 'int'>.",
        ),
    ],
)
def test_bad_schemas(schema: Any, message: str) -> None:
    def program(lib: Lib) -> Any:
        try:
            validation_node(lib, [schema])
        except ValueError as e:
            return e
        return None

    assert same(program) == {"__exc__": "ValueError", "str": message}


def test_last_message_must_be_an_ai_message(driver: Any) -> None:
    def program(lib: Lib, driver: Any) -> Any:
        return driver.invoke(validation_node(lib, [SelectNumber]), [("user", "hi")])

    ours = same(program, driver)
    assert ours["__exc__"] == "ValueError"
