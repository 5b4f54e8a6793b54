"""Graphs whose ``/schemas``, ``/graph`` and ``/subgraphs`` answers are recorded.

``golden/langgraph_dev_schemas.json`` holds what ``langgraph dev``
(langgraph-api 0.16.7, langgraph 1.2.24, langchain-core 1.8.3, pydantic
2.14.4) answered for these graphs with ``stategraph`` imports replaced by
``langgraph`` ones (``sed 's/stategraph/langgraph/'`` on this module, served as
``graphs.py``). Re-record with ``python tests/server/_schema_graphs.py
http://127.0.0.1:PORT``. ``$defs`` are stored once, under ``"$defs"`` at the
top, and replaced in place by their sorted names, since the message models
repeat in every schema. The module has no ``from __future__ import
annotations``: entrypoints type their input by their annotations, which must
be classes, not strings (``entry_unresolved`` shows what strings give).
"""

import json
import operator
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from typing_extensions import NotRequired, TypedDict

from stategraph.func import entrypoint
from stategraph.graph import END, START, MessagesState, StateGraph
from stategraph.graph.message import add_messages
from stategraph.prebuilt import create_react_agent

GOLDEN = Path(__file__).parent / "golden" / "langgraph_dev_schemas.json"


def _noop(state: Any) -> Any:
    return {}


def _simple(state: Any, **kwargs: Any) -> Any:
    builder = StateGraph(state, **kwargs)
    builder.add_node("n", _noop)
    builder.add_edge(START, "n")
    return builder


class Sub(MessagesState):
    extra: str


class Inner(TypedDict):
    k: int


class Typed(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    lit: Literal["a", "b"]
    opt: int | None
    nested: Inner
    lst: Annotated[list[Inner], operator.add]
    nr: NotRequired[str]


class PS(BaseModel):
    messages: Annotated[list[AnyMessage], add_messages] = []
    x: str | None = None
    inner: Inner | None = None


@dataclass
class DS:
    messages: Annotated[list[AnyMessage], add_messages] = field(default_factory=list)
    y: int = 0


class In(TypedDict):
    question: str


class Out(TypedDict):
    answer: str


class Full(In, Out):
    messages: Annotated[list, add_messages]  # type: ignore[type-arg]


class Ctx(BaseModel):
    model: Literal["x", "y"] = "x"


class CtxTD(TypedDict):
    user_id: str
    thread_id: str


class Priv(TypedDict):
    secret: int


class WithPriv(MessagesState):
    p: int


def _writes_private(state: WithPriv) -> Any:
    return {"secret": 1}


def _reads_private(state: Priv) -> Any:
    return {}


def _private() -> Any:
    builder = StateGraph(WithPriv)
    builder.add_node("a", _writes_private)
    builder.add_node("c", _reads_private)
    builder.add_edge(START, "a")
    builder.add_edge("a", "c")
    builder.add_edge("c", END)
    return builder.compile()


messages = _simple(MessagesState).compile()
typed = _simple(Typed).compile()
pyd = _simple(PS).compile()
dc = _simple(DS).compile()
io = _simple(Full, input_schema=In, output_schema=Out, context_schema=Ctx).compile()
ctxtd = _simple(Sub, context_schema=CtxTD).compile()
priv = _private()


def _parent() -> Any:
    builder = StateGraph(Sub)
    builder.add_node("child", messages)
    builder.add_node("other", _noop)
    builder.add_edge(START, "child")
    builder.add_edge("child", "other")
    return builder.compile()


parent = _parent()


def _route(state: Sub) -> Literal["a", "b"]:
    return "a"


def _conditional() -> Any:
    builder = StateGraph(Sub)
    builder.add_node("first", _noop)
    builder.add_node("a", _noop)
    builder.add_node("b", _noop)
    builder.add_edge(START, "first")
    builder.add_conditional_edges("first", _route)
    builder.add_edge("a", END)
    builder.add_edge("b", END)
    return builder.compile()


class _Model(GenericFakeChatModel):
    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def _react() -> Any:
    model = _Model(messages=iter([AIMessage("done")]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # create_react_agent is deprecated
        return create_react_agent(model, [add], name="agent")


conditional = _conditional()
react = _react()


class Answer(BaseModel):
    text: str


@entrypoint()
def entry_dict(inputs: dict[str, Any]) -> dict[str, Any]:
    return inputs


@entrypoint()
def entry_messages(inputs: MessagesState) -> MessagesState:
    return inputs


@entrypoint()
def entry_model(inputs: Answer) -> Answer:
    return inputs


@entrypoint()
def entry_unresolved(inputs: "Answer") -> "Answer":
    # A string annotation is not resolved: both servers send null schemas.
    return inputs


class ServerKeys(TypedDict):
    checkpoint_ns: str
    model: str


named = _simple(MessagesState, context_schema=ServerKeys).compile(name="MyAgent")

GRAPHS = {
    "messages": messages,
    "typed": typed,
    "pyd": pyd,
    "dc": dc,
    "io": io,
    "ctxtd": ctxtd,
    "priv": priv,
    "parent": parent,
    "conditional": conditional,
    "react": react,
    "entry_dict": entry_dict,
    "entry_messages": entry_messages,
    "entry_model": entry_model,
    "entry_unresolved": entry_unresolved,
    "named": named,
}

_PATHS = {
    "schemas": "/schemas",
    "graph": "/graph",
    "graph_xray": "/graph?xray=true",
    "subgraphs": "/subgraphs?recurse=true",
}


# Query strings both servers parse alike (asked of one graph): status and body.
_QUERIES = {
    "xray_empty": "/graph?xray=",
    "xray_depth": "/graph?xray=1",
    "xray_title": "/graph?xray=True",
    "xray_upper": "/graph?xray=TRUE",
    "xray_zero": "/graph?xray=0",
    "xray_negative": "/graph?xray=-1",
    "xray_word": "/graph?xray=deep",
    "recurse_title": "/subgraphs?recurse=True",
    "recurse_upper": "/subgraphs?recurse=TRUE",
}


def _pull_defs(value: Any, defs: dict[str, Any]) -> Any:
    """``value`` with each ``$defs`` replaced by its names, kept in ``defs``."""
    if isinstance(value, list):
        return [_pull_defs(item, defs) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "$defs":
            for name, schema in item.items():
                assert defs.setdefault(name, schema) == schema, name
            out[key] = sorted(item)
        else:
            out[key] = _pull_defs(item, defs)
    return out


def record(url: str) -> dict[str, Any]:
    """Every graph's answers from the server at ``url``, ``$defs`` pulled out."""
    answers: dict[str, Any] = {"queries": {}}
    with httpx.Client(base_url=url) as client:
        for graph_id in GRAPHS:
            found = client.post("/assistants/search", json={"graph_id": graph_id})
            assistant = found.json()[0]["assistant_id"]
            answers[graph_id] = {
                name: client.get(f"/assistants/{assistant}{path}").json()
                for name, path in _PATHS.items()
            }
        found = client.post("/assistants/search", json={"graph_id": "parent"})
        assistant = found.json()[0]["assistant_id"]
        for name, path in _QUERIES.items():
            got = client.get(f"/assistants/{assistant}{path}")
            answers["queries"][name] = [got.status_code, got.json()]
    defs: dict[str, Any] = {}
    pulled = _pull_defs(answers, defs)
    return {"$defs": dict(sorted(defs.items())), **pulled}


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(record(sys.argv[1]), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
