"""Seeded generator of random StateGraph programs, as data first.

``gen_spec(seed)`` draws a JSON-able description of a graph (nodes, edges,
reducers, routing, loops, subgraphs, failures, interrupts) from
``random.Random(seed)``; ``build(lib, spec)`` turns it into a compiled graph
using only that library's public API.  Every node and router is a pure function
of its own name and the state it reads, so two libraries running the same spec
must compute the same thing.

Race-free by construction.  With ``max_concurrency=1`` (see ``_harness``)
LangGraph runs the tasks of a step one at a time (``Send`` tasks first, then
nodes by name, or by declaration order right after loading a checkpoint),
but when one of
them fails the main thread stops waiting, and whether the later siblings ran
and saved their writes depends on timing.  So only the task that sorts last may
fail mid-step: the failing node (``zz_fail``) is never a ``Send`` target and
lives at the top level; nodes inside subgraphs never write the ``last`` key
(an ``InvalidUpdateError`` inside a subgraph fails the parent's task), and a
graph with subgraphs keeps the recursion limit at 25 (subgraphs inherit it).
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from typing import Annotated, Any

from typing_extensions import TypedDict

FAIL_NODE = "zz_fail"
_NAMES = [
    "ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "ibis", "jay", "kit",
    "lynx", "moth", "newt", "owl", "pig", "quail", "ram", "seal", "toad", "vole",
    "wasp", "yak",
]  # fmt: skip


class State(TypedDict, total=False):
    """Shared state schema of all generated graphs."""

    log: Annotated[list, operator.add]
    total: Annotated[int, operator.add]
    count: int
    last: str


# --------------------------------------------------------------------------
# spec generation (pure data)
# --------------------------------------------------------------------------


def gen_spec(seed: int, *, interrupts: bool = False) -> dict[str, Any]:
    """Draw a random graph spec.

    Args:
        seed: seed of the ``random.Random`` that draws everything.
        interrupts: also draw nodes that call ``interrupt()`` and static
            ``interrupt_before``/``interrupt_after`` breakpoints.

    Returns:
        A JSON-able dict; ``build`` turns it into a graph.
    """
    rng = random.Random(seed)
    spec = _gen_graph(rng, depth=0, interrupts=interrupts, prefix="")
    spec["seed"] = seed
    spec["recursion_limit"] = rng.choice([25, 25, 25, 25, 9, 5, 3])
    if any(n["kind"] == "subgraph" for n in spec["nodes"]):
        # subgraphs inherit the limit; hitting it there fails the parent's task
        # mid-step, and which siblings ran before is racy
        spec["recursion_limit"] = 25
    spec["input"] = {"log": [], "count": 0}
    if rng.random() < 0.3:
        spec["input"]["last"] = "init"
    if interrupts:
        names = [n["name"] for n in spec["nodes"]]
        spec["interrupt_before"] = _maybe_some(rng, names, 0.25)
        spec["interrupt_after"] = _maybe_some(rng, names, 0.2)
    return spec


def _maybe_some(rng: random.Random, names: list[str], p: float) -> list[str]:
    if rng.random() >= p:
        return []
    return sorted(rng.sample(names, rng.randint(1, min(2, len(names)))))


def _gen_graph(
    rng: random.Random, *, depth: int, interrupts: bool, prefix: str
) -> dict[str, Any]:
    n = rng.randint(2, 7) if depth == 0 else rng.randint(1, 3)
    names = [prefix + x for x in rng.sample(_NAMES, n)]  # topological order
    nodes = [_gen_node(rng, name, depth, interrupts) for name in names]
    if depth == 0 and rng.random() < 0.18:
        # the failing node goes last in topological order and in path order
        nodes.append(_node(FAIL_NODE, raise_at=rng.choice([0, 1, 2, 3, 5])))
        names.append(FAIL_NODE)
    edges = _gen_edges(rng, names, nodes, depth)
    decl = list(nodes)
    rng.shuffle(decl)  # declaration order differs from topological order
    # LangGraph orders a step's tasks by name, but by declaration order in
    # the first step after loading a checkpoint (fork, retry): the failing
    # node comes last in both, so the siblings it would cut off have finished
    decl.sort(key=lambda node: node["name"] == FAIL_NODE)
    return {"nodes": decl, "edges": edges, "order": names}


def _node(name: str, **kw: Any) -> dict[str, Any]:
    node = {
        "name": name,
        "kind": "plain",
        "defer": False,
        "last": False,
        "total": False,
        "none": False,
        "raise_at": None,
        "intr": 0,
        "loop": False,
        "goto": None,
        "sub": None,
    }
    node.update(kw)
    return node


def _gen_node(
    rng: random.Random, name: str, depth: int, interrupts: bool
) -> dict[str, Any]:
    node = _node(name)
    r = rng.random()
    if depth == 0 and r < 0.12:
        node["kind"] = "subgraph"
        node["sub"] = _gen_graph(
            rng, depth=depth + 1, interrupts=interrupts, prefix=name + "_"
        )
        return node
    # inside a subgraph no node writes `last`: an InvalidUpdateError there fails
    # the parent's task mid-step, and which siblings ran before is racy
    node["last"] = depth == 0 and rng.random() < 0.25
    node["total"] = rng.random() < 0.3
    node["none"] = rng.random() < 0.08
    if interrupts and rng.random() < 0.35:
        node["intr"] = rng.choice([1, 1, 1, 2])
    return node


def _gen_edges(
    rng: random.Random, names: list[str], nodes: list[dict[str, Any]], depth: int
) -> list[dict[str, Any]]:
    by_name = {n["name"]: n for n in nodes}
    edges: list[dict[str, Any]] = []
    n = len(names)
    first = names[0]
    r = rng.random()
    if r < 0.15 and n > 1:
        edges.append(
            {"type": "cond", "src": "__start__", "options": names[:2], "salt": 0}
        )
        edges[-1].update(_cond_style(rng))
    else:
        edges.append({"type": "edge", "src": "__start__", "dst": first})
        if n > 2 and r < 0.4 and names[1] != FAIL_NODE:
            edges.append({"type": "edge", "src": "__start__", "dst": names[1]})
    has_loop = False
    for i, name in enumerate(names):
        node = by_name[name]
        fwd = list(names[i + 1 :])
        outs = [*fwd, "__end__"]
        sendable = [x for x in fwd if x != FAIL_NODE]
        r = rng.random()
        salt = rng.randint(0, 5)
        if name == FAIL_NODE or not fwd:
            if fwd:
                edges.append({"type": "edge", "src": name, "dst": _pick(rng, fwd)})
            continue
        if r < 0.30:
            edges.append({"type": "edge", "src": name, "dst": _pick(rng, fwd)})
        elif r < 0.42 and len(fwd) >= 2:
            a, b = rng.sample(fwd, 2)
            edges.append({"type": "edge", "src": name, "dst": a})
            edges.append({"type": "edge", "src": name, "dst": b})
        elif r < 0.58:
            k = rng.randint(1, min(3, len(outs)))
            e = {
                "type": "cond",
                "src": name,
                "options": rng.sample(outs, k),
                "salt": salt,
                "fanout": rng.random() < 0.3,
            }
            e.update(_cond_style(rng))
            edges.append(e)
        elif r < 0.70 and sendable:
            edges.append(
                {
                    "type": "send",
                    "src": name,
                    "target": rng.choice(sendable),
                    "n": rng.randint(0, 3),
                    "plus": rng.choice([None, *fwd]) if rng.random() < 0.3 else None,
                }
            )
        elif r < 0.82 and node["kind"] == "plain":
            node["kind"] = "command"
            options: list[Any] = rng.sample(outs, rng.randint(1, min(3, len(outs))))
            if len(fwd) >= 2 and rng.random() < 0.3:
                options.append(rng.sample(fwd, 2))
            if sendable and rng.random() < 0.25:
                options.append({"send": rng.choice(sendable), "n": rng.randint(1, 2)})
            node["goto"] = {"options": options, "salt": salt}
        elif not has_loop and i > 0 and depth == 0 and node["kind"] == "plain":
            has_loop = True
            node["loop"] = True
            edges.append(
                {
                    "type": "loop",
                    "src": name,
                    "back": rng.choice(names[:i]),
                    "exit": _pick(rng, fwd),
                    "bound": rng.randint(1, 3),
                }
            )
        else:
            edges.append({"type": "edge", "src": name, "dst": _pick(rng, fwd)})
    if n >= 3 and rng.random() < 0.35:
        c = rng.randrange(2, n)
        srcs = sorted(rng.sample(names[:c], 2))
        if names[c] != FAIL_NODE or rng.random() < 0.5:
            edges.append({"type": "join", "srcs": srcs, "dst": names[c]})
            if rng.random() < 0.4:
                by_name[names[c]]["defer"] = True
    if n >= 2 and rng.random() < 0.12:
        cand = [x for x in names[1:] if by_name[x]["kind"] != "subgraph"]
        if cand:
            by_name[rng.choice(cand)]["defer"] = True
    return edges


def _pick(rng: random.Random, fwd: list[str]) -> str:
    """A forward node, or END now and then."""
    return "__end__" if rng.random() < 0.15 else rng.choice(fwd)


def _cond_style(rng: random.Random) -> dict[str, Any]:
    return {"path_map": rng.choice(["dict", "list", None])}


# --------------------------------------------------------------------------
# building (library API only)
# --------------------------------------------------------------------------


def build(
    lib: Any,
    spec: dict[str, Any],
    *,
    checkpointer: Any = None,
    static_interrupts: bool = True,
) -> Any:
    """Compile ``spec`` with ``lib``'s ``StateGraph``.

    Args:
        lib: a ``_lib.Lib``.
        spec: from ``gen_spec``.
        checkpointer: passed to ``compile``.
        static_interrupts: apply the spec's ``interrupt_before``/``_after``.
    """
    g = builder(lib, spec)
    kw: dict[str, Any] = {}
    if checkpointer is not None:
        kw["checkpointer"] = checkpointer
    if static_interrupts and spec.get("interrupt_before"):
        kw["interrupt_before"] = spec["interrupt_before"]
    if static_interrupts and spec.get("interrupt_after"):
        kw["interrupt_after"] = spec["interrupt_after"]
    return g.compile(**kw)


def builder(lib: Any, spec: dict[str, Any]) -> Any:
    """The uncompiled ``StateGraph`` of ``spec``."""
    g = lib.StateGraph(State)
    for node in spec["nodes"]:
        kw: dict[str, Any] = {}
        if node["defer"]:
            kw["defer"] = True
        if node["kind"] == "subgraph":
            g.add_node(node["name"], build(lib, node["sub"]), **kw)
            continue
        if node["kind"] == "command":
            kw["destinations"] = tuple(_goto_names(node["goto"]["options"]))
        g.add_node(node["name"], _make_node(lib, node), **kw)
    for e in spec["edges"]:
        _add_edge(lib, g, e)
    return g


def _goto_names(options: list[Any]) -> list[str]:
    out: list[str] = []
    for o in options:
        if isinstance(o, str):
            cand = [o]
        elif isinstance(o, list):
            cand = o
        else:
            cand = [o["send"]]
        out.extend(c for c in cand if c != "__end__" and c not in out)
    return out


# Past this many log entries, nodes and routers stop multiplying work (Sends
# fan out to one item, conditional fan-out picks one branch): Send chains
# otherwise grow the state exponentially and exhaust memory in both libraries.
LOG_CAP = 256


def _width(n: int, state: Any) -> int:
    return n if len(state.get("log") or []) < LOG_CAP else min(n, 1)


def _tag(name: str, state: Any) -> str:
    log = state.get("log") or []
    tag = f"{name}:{len(log)}"
    if "item" in state:
        tag += f"[{state['item']}]"
    return tag


def _make_node(lib: Any, node: dict[str, Any]) -> Any:
    name = node["name"]

    def fn(state: dict[str, Any]) -> Any:
        tag = _tag(name, state)
        log = state.get("log") or []
        if node["raise_at"] is not None and len(log) >= node["raise_at"]:
            raise ValueError(f"boom in {tag}")
        answers = [lib.interrupt(f"{tag}?{k}") for k in range(node["intr"])]
        upd: dict[str, Any] = {"log": [tag, *answers]}
        if node["last"]:
            upd["last"] = tag
        if node["total"]:
            upd["total"] = len(log) + 1
        if node["loop"]:
            upd["count"] = (state.get("count") or 0) + 1
        if node["kind"] == "command":
            opts = node["goto"]["options"]
            choice = opts[(len(log) + node["goto"]["salt"]) % len(opts)]
            return lib.Command(goto=_goto_value(lib, choice, tag, state), update=upd)
        if node["none"]:
            return None
        return upd

    fn.__name__ = name
    return fn


def _goto_value(lib: Any, choice: Any, tag: str, state: Any) -> Any:
    if isinstance(choice, dict):
        return [
            lib.Send(choice["send"], {"log": [f"{tag}>{k}"], "item": k})
            for k in range(_width(choice["n"], state))
        ]
    return choice


def build_nodes(
    lib: Any, g: dict[str, Any], schema: Any, make_node: Callable[..., Any]
) -> Any:
    """A builder of ``g`` over ``schema``; ``make_node(node, schema)`` makes a node."""
    b = lib.StateGraph(schema)
    for node in g["nodes"]:
        kw: dict[str, Any] = {}
        if node["defer"]:
            kw["defer"] = True
        if node["kind"] == "subgraph":
            sub = build_nodes(lib, node["sub"], schema, make_node).compile()
            b.add_node(node["name"], sub, **kw)
            continue
        if node["kind"] == "command":
            kw["destinations"] = tuple(_goto_names(node["goto"]["options"]))
        b.add_node(node["name"], make_node(node, schema), **kw)
    for e in g["edges"]:
        _add_edge(lib, b, e)
    return b


def _add_edge(lib: Any, g: Any, e: dict[str, Any]) -> None:
    t = e["type"]
    if t == "edge":
        g.add_edge(_ep(lib, e["src"]), _ep(lib, e["dst"]))
    elif t == "join":
        g.add_edge(e["srcs"], e["dst"])
    elif t == "cond":
        _add_cond(lib, g, e)
    elif t == "send":
        g.add_conditional_edges(e["src"], _send_router(lib, e))
    elif t == "loop":
        g.add_conditional_edges(e["src"], _loop_router(lib, e))
    else:  # pragma: no cover - generator bug
        raise AssertionError(t)


def _ep(lib: Any, name: str) -> Any:
    if name == "__start__":
        return lib.START
    if name == "__end__":
        return lib.END
    return name


def _add_cond(lib: Any, g: Any, e: dict[str, Any]) -> None:
    options = [_ep(lib, o) for o in e["options"]]
    style = e["path_map"]
    salt = e["salt"]
    fanout = e.get("fanout", False)
    keys = [f"r{i}" for i in range(len(options))]

    def router(state: dict[str, Any]) -> Any:
        n = len(state.get("log") or [])
        i = (n + salt) % len(options)
        wide = fanout and len(options) > 1 and n < LOG_CAP
        picked = [i, (i + 1) % len(options)] if wide else [i]
        vals = [keys[j] if style == "dict" else options[j] for j in picked]
        return vals if fanout else vals[0]

    src = _ep(lib, e["src"])
    if style == "dict":
        g.add_conditional_edges(src, router, dict(zip(keys, options, strict=True)))
    elif style == "list":
        g.add_conditional_edges(src, router, list(options))
    else:
        g.add_conditional_edges(src, router)


def _send_router(lib: Any, e: dict[str, Any]) -> Any:
    def router(state: dict[str, Any]) -> Any:
        tag = _tag(e["src"], state)
        out: list[Any] = [
            lib.Send(e["target"], {"log": [f"{tag}>{k}"], "item": k})
            for k in range(_width(e["n"], state))
        ]
        if e["plus"]:
            out.append(_ep(lib, e["plus"]))
        return out

    return router


def _loop_router(lib: Any, e: dict[str, Any]) -> Any:
    def router(state: dict[str, Any]) -> Any:
        if (state.get("count") or 0) < e["bound"]:
            return e["back"]
        return _ep(lib, e["exit"])

    return router
