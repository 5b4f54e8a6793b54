"""A hand-built ``Pregel``'s schemas equal LangGraph's for the same graph."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import langgraph.channels as lgc
import langgraph.func as lgf
import langgraph.graph as lgg
import langgraph.pregel as lgp
import pytest
from langgraph.warnings import LangGraphDeprecatedSinceV10 as LGDeprecated
from pydantic import BaseModel
from typing_extensions import TypedDict

import stategraph.channels as sgc
import stategraph.func as sgf
import stategraph.graph as sgg
import stategraph.pregel as sgp
from stategraph.warnings import LangGraphDeprecatedSinceV10


@dataclass
class DC:
    x: int
    y: str = field(default="foo")


class TD(TypedDict):
    model: str


class PM(BaseModel):
    q: str
    r: int = 3


def _graph(pregel: Any, channels: Any, inputs: Any, outputs: Any, **kwargs: Any) -> Any:
    node = pregel.NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("b")
    return pregel.Pregel(
        nodes={"one": node},
        channels={
            "a": channels.LastValue(int),
            "b": channels.LastValue(str),
            "_private": channels.EphemeralValue(list[int]),
            "copy": channels.BinaryOperatorAggregate(int, operator.add),
            "topic": channels.Topic(float, accumulate=True),
        },
        input_channels=inputs,
        output_channels=outputs,
        **kwargs,
    )


LAYOUTS = [
    ("a", "b"),
    (["a"], ["b"]),
    (["a", "_private", "copy"], ["b", "topic", "copy"]),
    (["a", "topic"], "_private"),
]


@pytest.mark.parametrize(("inputs", "outputs"), LAYOUTS)
def test_input_output_schemas_match_langgraph(inputs: Any, outputs: Any) -> None:
    ours = _graph(sgp, sgc, inputs, outputs)
    theirs = _graph(lgp, lgc, inputs, outputs)
    assert ours.InputType == theirs.InputType
    assert ours.OutputType == theirs.OutputType
    assert (
        ours.input_schema.model_json_schema() == theirs.input_schema.model_json_schema()
    )
    assert ours.get_input_jsonschema() == theirs.get_input_jsonschema()
    assert ours.get_output_jsonschema() == theirs.get_output_jsonschema()
    assert ours.output_schema.__name__ == theirs.output_schema.__name__


def test_schema_models_validate_values() -> None:
    graph = _graph(sgp, sgc, ["a", "_private"], "b")
    model = graph.input_schema.model_validate({"a": 3, "_private": [1]})
    assert model.model_dump(by_alias=True) == {"a": 3, "_private": [1]}
    assert graph.output_schema.model_validate("x").root == "x"
    assert graph.get_input_schema() is graph.get_input_schema()


def test_named_graph_titles_its_schemas() -> None:
    graph = _graph(sgp, sgc, "a", ["b"], name="Mine")
    assert graph.get_input_jsonschema() == {"title": "MineInput", "type": "integer"}
    assert graph.get_output_jsonschema()["title"] == "MineOutput"


@pytest.mark.parametrize("context", [DC, TD, PM, None])
def test_context_schema_matches_langgraph(context: Any) -> None:
    ours = _graph(sgp, sgc, "a", "b", context_schema=context)
    theirs = _graph(lgp, lgc, "a", "b", context_schema=context)
    assert ours.get_context_jsonschema() == theirs.get_context_jsonschema()


def test_context_schema_of_another_kind_is_rejected() -> None:
    graph = _graph(sgp, sgc, "a", "b", context_schema=int)
    with pytest.raises(ValueError, match=r"^Invalid context schema type: <class"):
        graph.get_context_jsonschema()


def test_config_schema_is_deprecated_and_matches_langgraph() -> None:
    ours = _graph(sgp, sgc, "a", "b", context_schema=TD)
    theirs = _graph(lgp, lgc, "a", "b", context_schema=TD)
    with pytest.warns(LangGraphDeprecatedSinceV10):
        mine = ours.get_config_jsonschema(include=["tags", "recursion_limit"])
    with pytest.warns(LGDeprecated):
        expected = theirs.get_config_jsonschema(include=["tags", "recursion_limit"])
    assert set(mine["properties"]) == set(expected["properties"])
    assert mine["title"] == expected["title"] == "LangGraphConfig"
    assert ours.config_specs == []


def _workflows(func: Any) -> list[Any]:
    # Annotations are set by hand: this module's own are strings.
    def typed(items):  # type: ignore[no-untyped-def]  # annotated below
        return [str(i) for i in items]

    def final(msg, *, previous):  # type: ignore[no-untyped-def]  # annotated below
        return func.entrypoint.final(value=1, save=[msg])

    def untyped(value, *, previous):  # type: ignore[no-untyped-def]  # annotated below
        return func.entrypoint.final(value=value, save=value)

    typed.__annotations__ = {"items": list[int], "return": list[str]}
    final.__annotations__ = {
        "previous": Any,
        "return": func.entrypoint.final[int, list[str]],
    }
    untyped.__annotations__ = {"previous": Any, "return": func.entrypoint.final}
    return [func.entrypoint()(f) for f in (typed, final, untyped)]


def test_entrypoint_schemas_match_langgraph() -> None:
    for ours, theirs in zip(_workflows(sgf), _workflows(lgf), strict=True):
        assert ours.get_input_jsonschema() == theirs.get_input_jsonschema()
        assert ours.get_output_jsonschema() == theirs.get_output_jsonschema()
        assert ours.get_context_jsonschema() is None


class _State(TypedDict):
    a: int
    b: list[str]


class _Out(TypedDict):
    b: list[str]


def _compiled(graph_module: Any) -> Any:
    builder = graph_module.StateGraph(_State, output_schema=_Out)
    builder.add_node("x", lambda s: {"a": 1})
    builder.add_edge(graph_module.START, "x")
    return builder.compile()


def test_compiled_state_graph_models_match_langgraph() -> None:
    ours, theirs = _compiled(sgg), _compiled(lgg)
    assert ours.InputType is theirs.InputType is _State
    assert ours.OutputType == theirs.OutputType
    for attr in ("input_schema", "output_schema"):
        assert (
            getattr(ours, attr).model_json_schema()
            == getattr(theirs, attr).model_json_schema()
        )
