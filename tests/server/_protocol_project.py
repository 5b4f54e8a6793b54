"""A ``langgraph.json`` project for the MCP, A2A and UI route tests.

Graphs: ``adder`` (``{"x": n}`` to ``n + 1``), ``echo`` (answers each
message), ``ask`` (interrupts, then answers with the resume value),
``broken`` (raises) and ``tooled`` (calls a tool, then answers). ``ui``
declares components for ``echo``; ``write_bundle`` puts a prebuilt bundle
in place, as ``@langchain/langgraph-ui`` writes one. Custom auth
(``with_auth``) lets Alice and Bob in, each owning the threads they create.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GRAPHS_PY = """
from langchain_core.messages import AIMessage, ToolMessage
from typing_extensions import TypedDict

from stategraph.graph import START, MessagesState, StateGraph
from stategraph.types import interrupt


class Sum(TypedDict):
    x: int


def add(state: Sum) -> dict:
    return {"x": state["x"] + 1}


def echo(state: MessagesState) -> dict:
    last = state["messages"][-1]
    return {"messages": [AIMessage(content="echo: " + str(last.content))]}


def ask(state: MessagesState) -> dict:
    answer = interrupt("what?")
    return {"messages": [AIMessage(content="got " + str(answer))]}


def use_tool(state: MessagesState) -> dict:
    call = {"name": "calc", "args": {}, "id": "c1", "type": "tool_call"}
    return {
        "messages": [
            AIMessage(content="", tool_calls=[call]),
            ToolMessage(content="42", tool_call_id="c1", name="calc"),
            AIMessage(content="done"),
        ]
    }


def fail(state: MessagesState) -> dict:
    raise ValueError("boom")


def build(schema, fn):
    builder = StateGraph(schema)
    builder.add_node("node", fn)
    builder.add_edge(START, "node")
    return builder.compile()


adder = build(Sum, add)
echoer = build(MessagesState, echo)
asker = build(MessagesState, ask)
broken = build(MessagesState, fail)
tooled = build(MessagesState, use_tool)
"""

AUTH_PY = """
from langgraph_sdk import Auth

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None):
    users = {"Bearer alice": "alice", "Bearer bob": "bob"}
    if authorization not in users:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Bad token")
    return {"identity": users[authorization]}


@auth.on.threads
async def owner_only(ctx: Auth.types.AuthContext, value: dict):
    metadata = value.setdefault("metadata", {})
    if isinstance(metadata, dict):
        metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}
"""

GRAPHS = {
    "adder": "./graphs.py:adder",
    "echo": "./graphs.py:echoer",
    "ask": "./graphs.py:asker",
    "broken": "./graphs.py:broken",
    "tooled": "./graphs.py:tooled",
}


def write_project(
    root: Path, *, with_auth: bool = False, http: dict[str, Any] | None = None
) -> Path:
    """``root/langgraph.json`` and its files; returns the config's path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "graphs.py").write_text(GRAPHS_PY)
    (root / "ui.tsx").write_text("export default {};\n")
    config: dict[str, Any] = {"graphs": GRAPHS, "ui": {"echo": "./ui.tsx"}}
    if with_auth:
        (root / "auth.py").write_text(AUTH_PY)
        config["auth"] = {"path": "./auth.py:auth"}
    if http is not None:
        config["http"] = http
    path = root / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


def write_bundle(root: Path) -> None:
    """A built bundle for ``echo``: a script and a stylesheet."""
    out = root / ".langgraph_api" / "ui"
    (out / "public" / "echo").mkdir(parents=True, exist_ok=True)
    (out / "public" / "echo" / "entrypoint.js").write_text("var __LGUI_echo = {};\n")
    (out / "public" / "echo" / "entrypoint.css").write_text("p { color: red }\n")
    schemas = {"echo": {"assets": ["entrypoint.js", "entrypoint.css"], "name": "echo"}}
    (out / "schemas.json").write_text(json.dumps(schemas))
