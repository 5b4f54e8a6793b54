"""Input, output and context JSON schemas equal LangGraph's for the same graph."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Any

import langgraph.graph as lg
import pytest
from pydantic import BaseModel
from typing_extensions import NotRequired, TypedDict

import stategraph.graph as sg


class TD(TypedDict):
    a: int
    b: Annotated[list[int], operator.add]
    c: NotRequired[str]


@dataclass
class DC:
    x: int
    y: str | None = None
    z: list[int] = field(default_factory=list)


@dataclass
class Names:
    """Keys pydantic reserves or treats as private: kept, under an alias."""

    schema: str = ""
    copy: int = 0
    model_config: str = ""
    _hidden: int = 0
    needed: int | None = None


class PM(BaseModel):
    q: str
    r: int = 3


class Ctx(TypedDict):
    user: str


def _build(module: Any, schema: Any) -> Any:
    builder = module.StateGraph(schema, context_schema=Ctx)
    builder.add_node("n", lambda s: {})
    builder.add_edge(module.START, "n")
    return builder.compile()


@pytest.mark.parametrize("schema", [TD, DC, Names, PM, int])
def test_schemas_match_langgraph(schema: Any) -> None:
    ours, theirs = _build(sg, schema), _build(lg, schema)
    assert ours.get_input_jsonschema() == theirs.get_input_jsonschema()
    assert ours.get_output_jsonschema() == theirs.get_output_jsonschema()
    assert ours.get_context_jsonschema() == theirs.get_context_jsonschema()


def test_private_and_reserved_keys_are_described() -> None:
    schema = _build(sg, Names).get_input_jsonschema()
    assert list(schema["properties"]) == [
        "schema",
        "copy",
        "model_config",
        "_hidden",
        "needed",
    ]
    assert schema["properties"]["_hidden"] == {
        "default": 0,
        "title": "Hidden",
        "type": "integer",
    }


@pytest.mark.parametrize("include", [None, ["tags", "recursion_limit", "configurable"]])
@pytest.mark.parametrize("context", [Ctx, None])
def test_deprecated_config_schema_matches_langgraph(
    include: list[str] | None, context: Any
) -> None:
    import langgraph.warnings as lgw

    import stategraph.warnings as sgw

    schemas = []
    for module, warns in ((sg, sgw), (lg, lgw)):
        builder = module.StateGraph(TD, context_schema=context)
        builder.add_node("n", lambda s: {})
        builder.add_edge(module.START, "n")
        graph = builder.compile()
        warning = warns.LangGraphDeprecatedSinceV10
        with pytest.warns(warning, match=r"^`config_schema` is deprecated\."):
            model = graph.config_schema(include=include)
        with pytest.warns(warning, match=r"^`get_config_jsonschema` is deprecated\."):
            schemas.append(
                (model.__name__, graph.get_config_jsonschema(include=include))
            )
    assert schemas[0] == schemas[1]
