"""Message-list states get LangGraph's JSON schemas (LangChain message models).

Every case builds the same graph with stategraph and with LangGraph and
compares the schemas as JSON text, so field order and ``$defs`` order count.
"""

import importlib
import json
import operator
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import langgraph.graph as lg
import langgraph.graph.message as lgm
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from typing_extensions import NotRequired, TypedDict

import stategraph.graph as sg
import stategraph.graph.message as sgm
from stategraph.graph import _messages

_METHODS = ("get_input_jsonschema", "get_output_jsonschema", "get_context_jsonschema")


class Inner(TypedDict):
    k: int


class In(TypedDict):
    question: str


class Out(TypedDict):
    answer: str


class Ctx(BaseModel):
    model: Literal["x", "y"] = "x"


def _node(state: Any) -> Any:
    return {}


def _compile(module: Any, state: Any, **kwargs: Any) -> Any:
    builder = module.StateGraph(state, **kwargs)
    builder.add_node("n", _node)
    builder.add_edge(module.START, "n")
    return builder.compile()


def _messages_state(m: Any, mm: Any) -> Any:
    return _compile(m, mm.MessagesState)


def _subclass(m: Any, mm: Any) -> Any:
    class Sub(mm.MessagesState):
        extra: str
        # A wrapper written as a string: pydantic honours it, the class's
        # required keys miss it.
        opt: "NotRequired[int | None]"

    return _compile(m, Sub, context_schema=Ctx)


def _partial_subclass(m: Any, mm: Any) -> Any:
    class Partial(mm.MessagesState, total=False):
        """A state whose own keys are optional."""

        lit: Literal["a", "b"]
        nested: Inner

    return _compile(m, Partial)


def _explicit(m: Any, mm: Any) -> Any:
    class Explicit(TypedDict):
        messages: Annotated[list[AnyMessage], mm.add_messages]
        items: Annotated[list[Inner], operator.add]

    return _compile(m, Explicit)


def _pydantic(m: Any, mm: Any) -> Any:
    class PS(BaseModel):
        messages: Annotated[list[AnyMessage], mm.add_messages] = []
        x: str | None = None

    return _compile(m, PS)


def _dataclass(m: Any, mm: Any) -> Any:
    @dataclass
    class DS:
        messages: Annotated[list[AnyMessage], mm.add_messages] = field(
            default_factory=list
        )
        y: int = 0

    return _compile(m, DS)


def _input_output(m: Any, mm: Any) -> Any:
    class Full(mm.MessagesState, In, Out):
        bare: Annotated[list, mm.add_messages]  # type: ignore[type-arg]

    return _compile(m, Full, input_schema=In, output_schema=Out, context_schema=Ctx)


def _message_io(m: Any, mm: Any) -> Any:
    class Private(TypedDict):
        secret: int

    def reads_private(state: Private) -> Any:
        return {}

    builder = m.StateGraph(In, input_schema=In, output_schema=mm.MessagesState)
    builder.add_node("a", _node)
    builder.add_node("b", reads_private)
    builder.add_edge(m.START, "a")
    builder.add_edge("a", "b")
    return builder.compile()


_CASES: dict[str, Callable[[Any, Any], Any]] = {
    "messages_state": _messages_state,
    "subclass": _subclass,
    "partial_subclass": _partial_subclass,
    "explicit": _explicit,
    "pydantic": _pydantic,
    "dataclass": _dataclass,
    "input_output": _input_output,
    "message_io": _message_io,
}


@pytest.mark.parametrize("case", list(_CASES))
@pytest.mark.parametrize("method", _METHODS)
def test_schema_text_matches_langgraph(case: str, method: str) -> None:
    ours = getattr(_CASES[case](sg, sgm), method)()
    theirs = getattr(_CASES[case](lg, lgm), method)()
    assert json.dumps(ours) == json.dumps(theirs)


@pytest.mark.parametrize("case", list(_CASES))
@pytest.mark.parametrize("method", ["get_input_schema", "get_output_schema"])
def test_model_schema_text_matches_langgraph(case: str, method: str) -> None:
    ours = getattr(_CASES[case](sg, sgm), method)()
    theirs = getattr(_CASES[case](lg, lgm), method)()
    assert json.dumps(ours.model_json_schema()) == json.dumps(
        theirs.model_json_schema()
    )


def test_pydantic_input_is_its_own_schema() -> None:
    # LangChain returns a model input type itself, not a root model around it.
    for module, message in ((sg, sgm), (lg, lgm)):
        assert _pydantic(module, message).get_input_schema().__name__ == "PS"


def _entrypoint_model(package: str) -> Any:
    func = importlib.import_module(f"{package}.func")

    def answer(inputs: Answer) -> Answer:
        return inputs

    return func.entrypoint()(answer)


def _entrypoint(package: str) -> Any:
    func = importlib.import_module(f"{package}.func")
    message = importlib.import_module(f"{package}.graph.message")

    def echo(inputs: message.MessagesState) -> list[Any]:
        return inputs["messages"]

    return func.entrypoint()(echo)


def _react(package: str, response_format: Any = None) -> Any:
    prebuilt = importlib.import_module(f"{package}.prebuilt")

    class Model(GenericFakeChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    @tool
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    model = Model(messages=iter([AIMessage("done")]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_react_agent is deprecated
        return prebuilt.create_react_agent(
            model, [add], response_format=response_format
        )


class Answer(BaseModel):
    text: str


_OTHER_CASES: dict[str, Callable[[str], Any]] = {
    "entrypoint_messages_state": _entrypoint,
    "entrypoint_model": _entrypoint_model,
    "react_agent": _react,
    "react_agent_structured": lambda package: _react(package, Answer),
}


@pytest.mark.parametrize("case", list(_OTHER_CASES))
@pytest.mark.parametrize("method", _METHODS)
def test_entrypoint_and_agent_schema_text_matches_langgraph(
    case: str, method: str
) -> None:
    ours = getattr(_OTHER_CASES[case]("stategraph"), method)()
    theirs = getattr(_OTHER_CASES[case]("langgraph"), method)()
    assert json.dumps(ours) == json.dumps(theirs)


def test_messages_state_items_are_message_models() -> None:
    schema = _messages_state(sg, sgm).get_input_jsonschema()
    items = schema["properties"]["messages"]["items"]["oneOf"]
    assert items[:2] == [
        {"$ref": "#/$defs/AIMessage"},
        {"$ref": "#/$defs/HumanMessage"},
    ]
    assert schema["$defs"]["HumanMessage"]["properties"]["type"]["const"] == "human"
    assert "description" not in schema


def test_message_graph_root_schema_matches_langgraph() -> None:
    schemas = []
    for module in (sgm, lgm):
        with pytest.warns(DeprecationWarning, match="MessageGraph is deprecated"):
            builder = module.MessageGraph()
        builder.add_node("n", lambda messages: [])
        builder.add_edge("__start__", "n")
        schemas.append(json.dumps(builder.compile().get_input_jsonschema()))
    assert schemas[0] == schemas[1]
    assert '"$ref": "#/$defs/AIMessage"' in schemas[0]


def test_dict_world_keeps_untyped_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_messages, "_FORCE_DICTS", True)
    schema = _messages_state(sg, sgm).get_input_jsonschema()
    assert schema["properties"]["messages"]["items"] == {}
    assert "$defs" not in schema


def test_schema_without_messages_does_not_import_langchain() -> None:
    code = (
        "import sys\n"
        "from typing_extensions import TypedDict\n"
        "import stategraph.graph as sg\n"
        "class S(TypedDict):\n"
        "    a: int\n"
        "b = sg.StateGraph(S)\n"
        "b.add_node('n', lambda s: {})\n"
        "b.add_edge(sg.START, 'n')\n"
        "schema = b.compile().get_input_jsonschema()\n"
        "assert schema['properties']['a'] == {'title': 'A', 'type': 'integer'}\n"
        "print(sorted(m for m in sys.modules if m.startswith('langchain')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_retyped_copies_are_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    from stategraph.graph._jsonschema_messages import retyped_typeddict

    class Own(sgm.MessagesState):
        n: int

    class Plain(TypedDict):
        n: int

    copy = retyped_typeddict(Own)
    assert copy is not Own
    assert copy is retyped_typeddict(Own)  # stable: model caches can hit
    assert retyped_typeddict(Plain) is Plain
    monkeypatch.setattr(_messages, "_FORCE_DICTS", True)
    assert retyped_typeddict(Own) is Own  # no LangChain types in the dict world
