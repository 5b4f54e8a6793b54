"""Seeded random message graphs: chat models, tools and subgraphs streaming messages.

``gen_msgs_spec(seed)`` draws a ``MessagesState`` graph as a chain of steps of
one or two nodes (a two-node step runs its nodes in parallel). A node:

* ``chat``: calls a fake chat model (langchain-core's ``GenericFakeChatModel``,
  which streams its reply word by word through the callbacks): ``invoke``,
  ``stream`` (chunks added up), twice in a row, or a model tagged
  ``nostream``; maybe around custom stream writes;
* ``ret``: returns an ``AIMessage`` itself, with a new id, an id fixed per
  node (seen again on the next run of the thread) or none;
* ``push``: ``push_message`` before returning;
* ``ask``: an ``AIMessage`` with one to three tool calls, followed by a
  prebuilt ``ToolNode`` step running them (the tool writes to the custom
  stream; ``stream_mode="tools"`` reports the calls);
* ``sub``: a compiled subgraph of one or two chat nodes, as a node or invoked
  from inside a node function.

``build_msgs(lib, spec, is_async)`` makes the graph; under the async driver
node functions are coroutines calling the models' async methods. Models are
made per build and reply from an endless script, so both libraries see the
same replies in the same order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from _lib import Lib
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

_NAMES = ["agent", "critic", "planner", "writer", "judge", "scout"]
_WORDS = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"]


def gen_msgs_spec(seed: int) -> dict[str, Any]:
    """Draw one message graph as JSON-able data."""
    rng = random.Random(seed * 7919 + 5)
    names = iter(rng.sample(_NAMES, len(_NAMES)))
    steps: list[list[dict[str, Any]]] = []
    for _ in range(rng.randint(1, 3)):
        width = 2 if rng.random() < 0.3 else 1
        step = []
        for _ in range(width):
            name = next(names, None)
            if name is None:
                break
            step.append(_node(rng, name, depth=0, alone=width == 1))
        if step:
            steps.append(step)
            if any(n["kind"] == "ask" for n in step):
                steps.append([{"name": f"tools{len(steps)}", "kind": "tools"}])
    return {"seed": seed, "steps": steps}


def _node(rng: random.Random, name: str, *, depth: int, alone: bool) -> dict[str, Any]:
    kinds = ["chat", "chat", "chat", "ret", "push"]
    if alone:
        kinds.append("ask")
    if depth < 2:
        kinds += ["sub"] if depth else ["sub", "sub"]
    kind = rng.choice(kinds)
    node: dict[str, Any] = {"name": name, "kind": kind}
    if kind == "chat":
        node["how"] = rng.choice(
            ["invoke", "invoke", "stream", "twice", "nostream", "batch"]
        )
        node["writes"] = rng.random() < 0.35
        node["id"] = rng.choice(["fixed", "none"])
        node["words"] = rng.randint(1, 4)
    elif kind == "ret":
        node["id"] = rng.choice(["new", "fixed", "none"])
    elif kind == "ask":
        node["calls"] = rng.randint(1, 3)
    elif kind == "sub":
        inner = [f"{name}_in{i}" for i in range(rng.randint(1, 2))]
        node["nodes"] = []
        for n in inner:
            node["nodes"].append(_node(rng, n, depth=depth + 1, alone=True))
            if node["nodes"][-1]["kind"] == "ask":
                node["nodes"].append({"name": f"{n}_tools", "kind": "tools"})
        node["call"] = rng.random() < 0.35
    return node


def _script(name: str, words: int, fixed: bool) -> Iterator[AIMessage]:
    i = 0
    while True:
        text = " ".join(f"{_WORDS[(i + k) % len(_WORDS)]}{i}" for k in range(words))
        yield AIMessage(content=f"{name}: {text}", id=f"{name}-m{i}" if fixed else None)
        i += 1


def build_msgs(lib: Lib, spec: dict[str, Any], *, is_async: bool, **kw: Any) -> Any:
    """Compile the graph of ``spec`` with ``lib`` (``kw``: compile options)."""
    return _graph(lib, spec["steps"], is_async).compile(**kw)


def _graph(lib: Lib, steps: list[list[dict[str, Any]]], is_async: bool) -> Any:
    g = lib.StateGraph(lib.MessagesState)
    prev = [lib.START]
    for step in steps:
        for node in step:
            g.add_node(node["name"], _action(lib, node, is_async))
            for p in prev:
                g.add_edge(p, node["name"])
        prev = [n["name"] for n in step]
    return g


def _action(lib: Lib, node: dict[str, Any], is_async: bool) -> Any:
    kind = node["kind"]
    if kind == "tools":
        return lib.module("prebuilt").ToolNode([_lookup_for(lib, is_async)])
    if kind == "sub":
        sub = _graph(lib, [[n] for n in node["nodes"]], is_async).compile()
        if not node["call"]:
            return sub
        if is_async:

            async def acall_sub(state: Any) -> Any:
                return await sub.ainvoke(state)

            return acall_sub

        def call_sub(state: Any) -> Any:
            return sub.invoke(state)

        return call_sub
    if kind == "chat":
        return _chat(lib, node, is_async)
    return _plain(lib, node, is_async)


def _lookup_for(lib: Lib, is_async: bool) -> Any:
    """The tool, writing with ``lib``'s stream writer.

    A coroutine under the async driver: LangGraph's async ``ToolNode`` runs
    sync tools in executor threads, finishing in a racy order.
    """

    def lookup(query: str) -> str:
        """Look ``query`` up."""
        lib.get_stream_writer()({"tool": query})
        return f"found {query}"

    async def alookup(query: str) -> str:
        """Look ``query`` up."""
        return lookup(query)

    alookup.__name__ = "lookup"
    return tool(alookup if is_async else lookup)


def _chat(lib: Lib, node: dict[str, Any], is_async: bool) -> Any:
    name, how = node["name"], node["how"]
    model: Any = GenericFakeChatModel(
        messages=_script(name, node["words"], node["id"] == "fixed")
    )
    if how == "nostream":
        model = model.with_config(tags=["nostream"])
    calls = 2 if how == "twice" else 1

    def write(what: str) -> None:
        if node["writes"]:
            lib.get_stream_writer()(f"{name}:{what}")

    def fn(state: Any) -> Any:
        out = []
        write("start")
        for _ in range(calls):
            if how == "stream":
                msg = None
                for chunk in model.stream(state["messages"]):
                    msg = chunk if msg is None else msg + chunk
                out.append(msg)
            elif how == "batch":
                out.extend(model.invoke(state["messages"]) for _ in range(2))
            else:
                out.append(model.invoke(state["messages"]))
            write("called")
        return {"messages": out}

    async def afn(state: Any) -> Any:
        out = []
        write("start")
        for _ in range(calls):
            if how == "stream":
                msg = None
                async for chunk in model.astream(state["messages"]):
                    msg = chunk if msg is None else msg + chunk
                out.append(msg)
            elif how == "batch":  # two model runs at once (sync: one by one)
                out.extend(await model.abatch([state["messages"]] * 2))
            else:
                out.append(await model.ainvoke(state["messages"]))
            write("called")
        return {"messages": out}

    fn.__name__ = afn.__name__ = name
    return afn if is_async else fn


def _plain(lib: Lib, node: dict[str, Any], is_async: bool) -> Any:
    name, kind = node["name"], node["kind"]
    count = [0]

    def reply() -> AIMessage:
        count[0] += 1
        ident = {"new": f"{name}-r{count[0]}", "fixed": f"{name}-r", "none": None}
        if kind == "ask":
            calls = [
                {"name": "lookup", "args": {"query": f"{name}{i}"}, "id": f"call-{i}"}
                for i in range(node["calls"])
            ]
            mid = f"{name}-ask{count[0]}"
            return AIMessage(content="", tool_calls=calls, id=mid)
        mid = ident[node.get("id", "new")]
        return AIMessage(content=f"{name} says {count[0]}", id=mid)

    def fn(state: Any) -> Any:
        if kind == "push":
            pushed = AIMessage(content=f"{name} pushed", id=f"{name}-p{count[0]}")
            lib.module("graph.message").push_message(pushed)
            return {"messages": [reply()]}
        return {"messages": [reply()]}

    async def afn(state: Any) -> Any:
        return fn(state)

    fn.__name__ = afn.__name__ = name
    return afn if is_async else fn
