"""Schemas equal LangGraph's over combinations of state, input, output, context.

Message states (ours and LangChain-typed), TypedDict, dataclass and pydantic
states are combined as state, input and output schemas, with and without a
dataclass context; every schema is compared with LangGraph's as JSON text.
"""

import itertools
import json
import operator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import langgraph.graph as lg
import langgraph.graph.message as lgm
import pytest
from langchain_core.messages import AnyMessage
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

import stategraph.graph as sg
import stategraph.graph.message as sgm

_NAMES = ["Msgs", "Typed", "Data", "Model", "MessagesState"]
_METHODS = ("get_input_jsonschema", "get_output_jsonschema", "get_context_jsonschema")


@dataclass
class Ctx:
    user: str
    n: int = 1


def _schemas(message: Any) -> dict[str, Any]:
    class Msgs(message.MessagesState, total=False):
        """A message state whose own key is optional."""

        n: Annotated[int, operator.add]

    class Typed(TypedDict):
        messages: Annotated[list[AnyMessage], message.add_messages]
        q: Literal["x", 1] | None

    @dataclass
    class Data:
        q: str = "a"
        z: list[int] = field(default_factory=list)

    class Model(BaseModel):
        """A model."""

        q: str = Field(default="a", description="the q")
        n: int = 0

    found = {"Msgs": Msgs, "Typed": Typed, "Data": Data, "Model": Model}
    return {**found, "MessagesState": message.MessagesState}


def _build(graph: Any, message: Any, combo: tuple[Any, ...]) -> Any:
    state, given_input, output, context = combo
    schemas = _schemas(message)
    kwargs: dict[str, Any] = {"context_schema": context}
    if given_input:
        kwargs["input_schema"] = schemas[given_input]
    if output:
        kwargs["output_schema"] = schemas[output]
    builder = graph.StateGraph(schemas[state], **kwargs)
    builder.add_node("n", lambda s: {})
    builder.add_edge(graph.START, "n")
    return builder.compile()


def _outcome(graph: Any, message: Any, combo: tuple[Any, ...]) -> list[str]:
    try:
        compiled = _build(graph, message, combo)
    except ValueError as exc:  # conflicting channel types: both must refuse
        return [f"build: {exc}"]
    out = []
    for method in _METHODS:
        try:
            out.append(json.dumps(getattr(compiled, method)()))
        except Exception as exc:  # a failure is compared as well
            out.append(f"{method}: {type(exc).__name__}")
    return out


@pytest.mark.parametrize("state", _NAMES)
def test_schemas_match_langgraph_over_combinations(state: str) -> None:
    combos = itertools.product(
        [state], [None, *_NAMES], [None, "MessagesState"], [None, Ctx]
    )
    different = [
        combo
        for combo in combos
        if _outcome(sg, sgm, combo) != _outcome(lg, lgm, combo)
    ]
    assert different == []
