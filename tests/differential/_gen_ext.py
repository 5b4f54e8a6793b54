"""Extended random StateGraph programs: ``_gen``'s graphs with more features.

``gen_ext_spec(seed)`` draws a base graph with ``_gen.gen_spec`` and then, from
a second ``random.Random``, decorates it: flaky nodes under a ``RetryPolicy``
(and the failing node retried until its attempts run out), node caches,
custom stream writes, ``add_messages`` and custom reducers,
``RemainingSteps`` reads, a private channel, ``Command(graph=PARENT)`` from
inside subgraphs, nested subgraphs, subgraphs with their own checkpointer
(``checkpointer=True``) or none (``False``), subgraphs invoked from inside a
node, async node functions and graph-level input/output schemas.

Race-free by construction, as in ``_gen``: flaky nodes always succeed within
their retry budget, a subgraph holds at most one ``PARENT`` command node
(never a ``Send`` target) and never a failing node, a stateful subgraph is
never a ``Send`` target.  The attempt counters and the node-call log live in a
per-program ``Ctx`` so both libraries see the same side effects.
"""

from __future__ import annotations

import operator
import random
from typing import Annotated, Any

from _gen import _add_edge, _gen_graph, _goto_names, _goto_value, _tag, gen_spec
from _gen_lc import lc_forms, lc_node
from langchain_core.messages import AIMessage
from typing_extensions import TypedDict


class Flaky(Exception):
    """Raised by flaky nodes; LangGraph's default ``retry_on`` retries it."""


class Ctx:
    """Side effects one program run shares between its graphs (per library)."""

    def __init__(self) -> None:
        self.attempts: dict[Any, int] = {}
        self.calls: dict[str, int] = {}

    def called(self, name: str) -> None:
        """Count one execution of node ``name``'s function."""
        self.calls[name] = self.calls.get(name, 0) + 1


def gen_ext_spec(
    seed: int, *, interrupts: bool = False, runnables: bool = False
) -> dict[str, Any]:
    """Draw a base spec and decorate it with the extended features.

    With ``runnables``, some node functions run as LangChain runnables
    (``_gen_lc``).
    """
    spec = gen_spec(seed, interrupts=interrupts)
    rng = random.Random(seed * 104729 + 7)
    spec["schemas"] = rng.random() < 0.3
    spec["async_nodes"] = rng.random() < 0.5
    spec["cache"] = rng.random() < 0.3
    _decorate(rng, spec, depth=0, interrupts=interrupts)
    # drawn apart so that the draws above (and older seeds) stay as they were
    _parent_sends(random.Random(seed * 7 + 3), spec)
    if runnables:
        lc_forms(random.Random(seed * 13 + 5), spec)
    return spec


def _parent_sends(rng: random.Random, g: dict[str, Any]) -> None:
    """Some ``PARENT`` commands go to a ``Send`` of a plain parent node.

    Never to a node that sends a ``PARENT`` command itself: two instances of
    it in one step would send two, and which one LangGraph keeps is racy.
    """
    plain = {
        n["name"]
        for n in g["nodes"]
        if n["kind"] != "subgraph"
        and n["name"] != "zz_fail"
        and not n.get("ext", {}).get("parent")
    }
    for n in g["nodes"]:
        if n["kind"] != "subgraph":
            continue
        for child in n["sub"]["nodes"]:
            target = child.get("ext", {}).get("parent")
            if target in plain and rng.random() < 0.5:
                child["ext"]["parent_send"] = True
        _parent_sends(rng, n["sub"])


def _all_nodes(g: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for n in g["nodes"]:
        out.append(n)
        if n["sub"] is not None:
            out.extend(_all_nodes(n["sub"]))
    return out


def _decorate(
    rng: random.Random, g: dict[str, Any], *, depth: int, interrupts: bool
) -> None:
    order = g["order"]
    sent = _send_targets(g)
    for node in g["nodes"]:
        name = node["name"]
        ext: dict[str, Any] = {}
        node["ext"] = ext
        if node["kind"] == "subgraph":
            sub = node["sub"]
            if depth == 0 and rng.random() < 0.3:
                _nest(rng, sub, interrupts)
            _decorate(rng, sub, depth=depth + 1, interrupts=interrupts)
            has_intr = any(n["intr"] for n in _all_nodes(sub))
            ckpts: list[Any] = [None, True]
            if name in sent:
                # parallel instances of a stateful subgraph share one namespace
                ckpts = [None]
            ext["ckpt"] = rng.choice(ckpts if has_intr else [*ckpts, False])
            ext["call"] = rng.random() < 0.3
            # a subgraph that outputs the shared log doubles it every pass
            ext["nolog"] = rng.random() < 0.5
            later = order[order.index(name) + 1 :]
            # one PARENT command per run of the subgraph: which of several
            # (Send instances too) reaches the parent is random in LangGraph
            sub_sent = _send_targets(sub)
            plain = [
                n
                for n in sub["nodes"]
                if n["kind"] == "plain" and n["name"] not in sub_sent
            ]
            if later and plain and rng.random() < 0.35:
                rng.choice(plain)["ext"]["parent"] = rng.choice(later)
            continue
        if name != "zz_fail" and rng.random() < 0.2:
            ext["retry"] = rng.choice([1, 1, 2])
        elif name == "zz_fail" and rng.random() < 0.4:
            ext["fail_retry"] = True  # retried until its attempts run out
        ext["cache"] = rng.random() < 0.3
        ext["writer"] = rng.random() < 0.25
        ext["steps"] = rng.random() < 0.15
        ext["msg"] = rng.choice([None, None, None, "new", "fixed"])
        ext["trail"] = rng.random() < 0.3
        ext["priv_w"] = rng.random() < 0.12
    readers = [n for n in g["nodes"] if n["kind"] != "subgraph"]
    if any(n["ext"].get("priv_w") for n in g["nodes"]) and readers:
        rng.choice(readers)["ext"]["priv_r"] = True


def _send_targets(g: dict[str, Any]) -> set[str]:
    out = {e["target"] for e in g["edges"] if e["type"] == "send"}
    for n in g["nodes"]:
        if n["goto"]:
            out.update(o["send"] for o in n["goto"]["options"] if isinstance(o, dict))
    return out


def _nest(rng: random.Random, sub: dict[str, Any], interrupts: bool) -> None:
    """Turn one plain node of ``sub`` into a subgraph of its own."""
    plain = [n for n in sub["nodes"] if n["kind"] == "plain" and not n["defer"]]
    if not plain:
        return
    node = rng.choice(plain)
    node["kind"] = "subgraph"
    node["sub"] = _gen_graph(
        rng, depth=1, interrupts=interrupts, prefix=node["name"] + "_"
    )


# --------------------------------------------------------------------------
# building (library API only)
# --------------------------------------------------------------------------


def _concat(a: str, b: str) -> str:
    return (a or "") + b


_STATES: dict[str, Any] = {}


def states(lib: Any) -> dict[str, Any]:
    """The state, input, output and private schemas for ``lib``."""
    if lib.name in _STATES:
        return _STATES[lib.name]
    log = Annotated[list, operator.add]
    msgs = Annotated[list, lib.add_messages]
    full = TypedDict(  # noqa: UP013 (annotations built at run time)
        "ExtState",
        {
            "log": log,
            "total": Annotated[int, operator.add],
            "count": int,
            "last": str,
            "msgs": msgs,
            "trail": Annotated[str, _concat],
            "steps": lib.RemainingSteps,
        },
        total=False,
    )
    inp = TypedDict("ExtIn", {"log": log, "count": int, "last": str}, total=False)  # noqa: UP013
    out = TypedDict(  # noqa: UP013 (annotations built at run time)
        "ExtOut",
        {"log": log, "total": Annotated[int, operator.add], "trail": str},
        total=False,
    )
    priv = TypedDict("PrivIn", {"log": log, "priv": str}, total=False)  # noqa: UP013
    nolog = TypedDict(  # noqa: UP013 (annotations built at run time)
        "SubOut",
        {"total": Annotated[int, operator.add], "msgs": msgs},
        total=False,
    )
    _STATES[lib.name] = {
        "full": full,
        "in": inp,
        "out": out,
        "priv": priv,
        "nolog": nolog,
    }
    return _STATES[lib.name]


def build_ext(
    lib: Any,
    spec: dict[str, Any],
    ctx: Ctx,
    *,
    checkpointer: Any = None,
    static_interrupts: bool = True,
    is_async: bool = False,
) -> Any:
    """Compile an extended spec with ``lib``.

    Args:
        lib: a ``_lib.Lib``.
        spec: from ``gen_ext_spec``.
        ctx: side-effect counters of this program run.
        checkpointer: passed to ``compile``.
        static_interrupts: apply the spec's breakpoints.
        is_async: node functions are coroutines when the spec asks for them.
    """
    kw: dict[str, Any] = {}
    if checkpointer is not None:
        kw["checkpointer"] = checkpointer
    if static_interrupts and spec.get("interrupt_before"):
        kw["interrupt_before"] = spec["interrupt_before"]
    if static_interrupts and spec.get("interrupt_after"):
        kw["interrupt_after"] = spec["interrupt_after"]
    if spec["cache"]:
        kw["cache"] = lib.InMemoryCache()
    asy = is_async and spec["async_nodes"]
    return _builder(lib, spec, ctx, asy, root=spec["schemas"]).compile(**kw)


def _builder(
    lib: Any, g: dict[str, Any], ctx: Ctx, asy: bool, root: bool, nolog: bool = False
) -> Any:
    s = states(lib)
    kw = {"input_schema": s["in"], "output_schema": s["out"]} if root else {}
    if nolog:
        kw["output_schema"] = s["nolog"]
    b = lib.StateGraph(s["full"], **kw)
    for node in g["nodes"]:
        _add_node(lib, b, node, ctx, asy)
    for e in g["edges"]:
        _add_edge(lib, b, e)
    return b


def _add_node(lib: Any, b: Any, node: dict[str, Any], ctx: Ctx, asy: bool) -> None:
    ext = node["ext"]
    kw: dict[str, Any] = {}
    if node["defer"]:
        kw["defer"] = True
    if node["kind"] == "subgraph":
        sub = _builder(lib, node["sub"], ctx, asy, root=False, nolog=ext["nolog"])
        sub = sub.compile(checkpointer=ext["ckpt"])
        if ext["call"]:
            b.add_node(node["name"], _caller(node["name"], sub, ctx, asy), **kw)
        else:
            b.add_node(node["name"], sub, **kw)
        return
    if node["kind"] == "command" or ext.get("parent"):
        opts = node["goto"]["options"] if node["goto"] else []
        kw["destinations"] = tuple(_goto_names(opts))
    if ext.get("retry"):
        kw["retry_policy"] = lib.RetryPolicy(
            initial_interval=0.0,
            jitter=False,
            max_attempts=ext["retry"] + 1,
            **({"retry_on": Flaky} if ext["retry"] > 1 else {}),
        )
    if ext.get("fail_retry"):
        kw["retry_policy"] = lib.RetryPolicy(
            initial_interval=0.0, jitter=False, max_attempts=2, retry_on=ValueError
        )
    if ext.get("cache"):
        kw["cache_policy"] = lib.CachePolicy()
    if ext.get("priv_r"):
        kw["input_schema"] = states(lib)["priv"]
    fn = _node_fn(lib, node, ctx)
    afn = _wrap(fn, node["name"], asy) if asy else None
    b.add_node(node["name"], lc_node(fn, afn, node["name"], ext.get("lc")), **kw)


def _wrap(fn: Any, name: str, asy: bool) -> Any:
    if not asy:
        return fn

    async def afn(state: dict[str, Any]) -> Any:
        return fn(state)

    afn.__name__ = name
    return afn


def _caller(name: str, sub: Any, ctx: Ctx, asy: bool) -> Any:
    """A node that invokes the subgraph ``sub`` itself."""

    def head(state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        ctx.called(name)
        return _tag(name, state), {"log": [f"{name}>in"], "count": 0}

    if asy:

        async def acall(state: dict[str, Any]) -> Any:
            tag, arg = head(state)
            out = await sub.ainvoke(arg) or {}  # empty output: None
            return {"log": [tag, *out.get("log", [])]}

        acall.__name__ = name
        return acall

    def call(state: dict[str, Any]) -> Any:
        tag, arg = head(state)
        out = sub.invoke(arg) or {}  # empty output: None
        return {"log": [tag, *out.get("log", [])]}

    call.__name__ = name
    return call


def _node_fn(lib: Any, node: dict[str, Any], ctx: Ctx) -> Any:
    name = node["name"]
    ext = node["ext"]

    def fn(state: dict[str, Any]) -> Any:
        ctx.called(name)
        tag = _tag(name, state)
        log = state.get("log") or []
        if ext.get("writer"):
            lib.get_stream_writer()({"at": tag})
        if ext.get("retry"):
            key = (name, tag, str(log[-1:]))
            n = ctx.attempts[key] = ctx.attempts.get(key, 0) + 1
            if n <= ext["retry"]:
                raise Flaky(f"flaky {tag} attempt {n}")
        if node["raise_at"] is not None and len(log) >= node["raise_at"]:
            raise ValueError(f"boom in {tag}")
        answers = [lib.interrupt(f"{tag}?{k}") for k in range(node["intr"])]
        upd: dict[str, Any] = {"log": [tag, *answers]}
        _extras(ext, name, tag, state, upd)
        if node["last"]:
            upd["last"] = tag
        if node["total"]:
            upd["total"] = len(log) + 1
        if node["loop"]:
            upd["count"] = (state.get("count") or 0) + 1
        if ext.get("parent"):
            goto: Any = ext["parent"]
            if ext.get("parent_send"):
                goto = lib.Send(goto, {"log": [tag + "^s"], "item": 7})
            return lib.Command(
                graph=lib.Command.PARENT,
                goto=goto,
                update={"log": [tag + "^"]},
            )
        if node["kind"] == "command":
            opts = node["goto"]["options"]
            choice = opts[(len(log) + node["goto"]["salt"]) % len(opts)]
            return lib.Command(goto=_goto_value(lib, choice, tag, state), update=upd)
        if node["none"]:
            return None
        return upd

    fn.__name__ = name
    return fn


def _extras(
    ext: dict[str, Any], name: str, tag: str, state: Any, upd: dict[str, Any]
) -> None:
    if ext.get("steps"):
        upd["log"].append(f"rs={state.get('steps')}")
    if ext.get("priv_r"):
        upd["log"].append(f"priv={state.get('priv')}")
    if ext.get("priv_w"):
        upd["priv"] = tag
    if ext.get("trail"):
        upd["trail"] = name[0]
    if ext.get("msg") == "new":
        # an explicit id: add_messages assigns missing ids in place, racing
        # LangGraph's background checkpoint serialisation
        upd["msgs"] = [AIMessage(content=tag, id=f"m-{tag}")]
    elif ext.get("msg") == "fixed":
        upd["msgs"] = [AIMessage(content=tag, id=f"m-{name}")]
