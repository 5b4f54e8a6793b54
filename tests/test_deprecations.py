"""Deprecated spellings warn with LangGraph's categories and still work."""

from __future__ import annotations

import importlib

import pytest
from typing_extensions import TypedDict


class State(TypedDict):
    x: int


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_builder_legacy_keywords_warn_and_apply(lib: str) -> None:
    graph = importlib.import_module(f"{lib}.graph")
    types = importlib.import_module(f"{lib}.types")
    warns = importlib.import_module(f"{lib}.warnings")
    with pytest.warns(
        warns.LangGraphDeprecatedSinceV05, match=r"^`input` is deprecated"
    ):
        builder = graph.StateGraph(State, input=State)
    assert builder.input_schema is State
    with pytest.warns(
        warns.LangGraphDeprecatedSinceV05, match=r"^`output` is deprecated"
    ):
        graph.StateGraph(State, output=State)
    with pytest.warns(
        warns.LangGraphDeprecatedSinceV10, match=r"^`config_schema` is deprecated"
    ):
        assert graph.StateGraph(State, config_schema=State).context_schema is State
    with pytest.warns(
        warns.LangGraphDeprecatedSinceV05, match=r"^`retry` is deprecated"
    ):
        builder.add_node("a", lambda s: s, retry=types.RetryPolicy(max_attempts=2))
    assert builder.nodes["a"].retry_policy == types.RetryPolicy(max_attempts=2)
    with pytest.warns(
        warns.LangGraphDeprecatedSinceV05, match=r"^`input` is deprecated"
    ):
        builder.add_node("b", lambda s: s, input=State)


@pytest.mark.parametrize("lib", ["langgraph", "stategraph"])
def test_moved_names_warn_on_import(lib: str) -> None:
    warns = importlib.import_module(f"{lib}.warnings")
    types = importlib.import_module(f"{lib}.types")
    constants = importlib.import_module(f"{lib}.constants")
    with pytest.warns(
        warns.LangGraphDeprecatedSinceV10, match=r"^Importing Send from "
    ):
        assert constants.Send is types.Send
    with pytest.warns(warns.LangGraphDeprecatedSinceV10, match=r"^Importing PREVIOUS"):
        assert constants.PREVIOUS == "__previous__"
    with pytest.warns(warns.LangGraphDeprecatedSinceV10, match=r"^`interrupt_id` is"):
        assert types.Interrupt(value=1, id="abc").interrupt_id == "abc"
