"""Random graphs whose nodes fail into node error handlers.

Each seed draws a ``_gen`` graph (with interrupts on odd seeds) and, from a
second ``random.Random``, makes one of its top-level nodes fail now and then
(a pure function of the state they read, sometimes under a ``RetryPolicy``)
with an ``error_handler`` that returns an update, a ``Command(goto=...)``,
``None``, or asks ``interrupt()``; handlers take ``(state)`` or
``(state, error: NodeError)``.  Otherwise ``set_node_defaults`` gives every
node (the failing ``zz_fail`` too) a default handler.  The graph runs
without a checkpointer (``invoke``, a stream) and with one (a stream, state,
history, then its interrupts answered until it is done).

Handled failures do not stop sibling tasks; unhandled ones still only come
from ``zz_fail`` (``_gen``'s rule).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen import FAIL_NODE, _add_edge, _goto_names, _make_node, _tag, gen_spec
from _gen_ext import _send_targets
from _harness import (
    Driver,
    Recorder,
    is_eager,
    pytest_repro,
    run_differential,
    saved_rounds,
    seed_params,
)
from _lib import Lib
from test_random_graphs import _PLAIN_STREAMS, _SAVED_STREAMS, _variant

_HANDLERS = ["update", "update", "goto", "none", "interrupt", "plain"]


def gen_err_spec(seed: int) -> dict[str, Any]:
    """A ``_gen`` spec plus one failing node with a handler, or a default one.

    One at most: LangGraph schedules a handler when its main thread sees the
    failure, so two handlers of one step start in a racy order.
    """
    spec = gen_spec(seed, interrupts=seed % 2 == 1)
    rng = random.Random(seed * 4241 + 9)
    cand = _candidates(spec)
    spec["default_handler"] = False
    if cand and rng.random() < 0.75:
        node, order = rng.choice(cand)
        later = order[order.index(node["name"]) + 1 :]
        node["err"] = {
            "mod": rng.choice([1, 2, 3]),
            "handler": rng.choice(_HANDLERS),
            "to": rng.choice([*later, "__end__"]),
            "retry": rng.random() < 0.25,
        }
        for n in spec["nodes"]:
            if n["name"] == FAIL_NODE:
                # an unhandled failure in the step of a handled one: whether
                # LangGraph's async runner got to start the handler is racy
                n["raise_at"] = None
    else:
        spec["default_handler"] = True
    return spec


def _candidates(g: dict[str, Any]) -> list[Any]:
    """``(node, its graph's order)`` of the plain nodes that may fail.

    Not ``Send`` targets, nor inside a subgraph that is one: parallel
    instances would route several failures in one step.
    """
    sent = _send_targets(g)
    out: list[Any] = []
    for n in g["nodes"]:
        if n["name"] in sent or n["name"] == FAIL_NODE:
            continue
        if n["kind"] == "subgraph":
            out.extend(_candidates(n["sub"]))
        else:
            out.append((n, g["order"]))
    return out


def _failing(lib: Any, node: dict[str, Any]) -> Any:
    inner = _make_node(lib, node)
    name, mod = node["name"], node["err"]["mod"]

    def fn(state: Any) -> Any:
        n = len(state.get("log") or [])
        if n % mod == 0:
            raise KeyError(f"fail {_tag(name, state)}")
        return inner(state)

    fn.__name__ = name
    return fn


def _handler(lib: Any, name: str, err: dict[str, Any]) -> Any:
    kind = err["handler"]
    node_error = lib.module("errors").NodeError

    def plain(state: Any) -> Any:
        return {"log": [f"h:{_tag(name, state)}"]}

    def handler(state: Any, error: Any) -> Any:
        tag = f"h:{_tag(name, state)}:{error.node}:{error.error!r}"
        if kind == "goto":
            return lib.Command(update={"log": [tag]}, goto=err["to"])
        if kind == "none":
            return None
        if kind == "interrupt":
            return {"log": [tag, str(lib.interrupt(tag + "?"))]}
        return {"log": [tag]}

    # the error is injected by its annotation, which must be the class itself
    handler.__annotations__ = {"state": Any, "error": node_error, "return": Any}
    return plain if kind == "plain" else handler


def _default_handler(lib: Any) -> Any:
    node_error = lib.module("errors").NodeError

    def fallback(state: Any, error: Any) -> Any:
        return {"log": [f"default:{error.node}:{error.error!r}"]}

    fallback.__annotations__ = {"state": Any, "error": node_error, "return": Any}
    return fallback


def build_err(lib: Any, spec: dict[str, Any], *, checkpointer: Any = None) -> Any:
    """Compile ``spec`` with its failing nodes and handlers."""
    kw = {"checkpointer": checkpointer} if checkpointer is not None else {}
    if spec.get("interrupt_before"):
        kw["interrupt_before"] = spec["interrupt_before"]
    if spec.get("interrupt_after"):
        kw["interrupt_after"] = spec["interrupt_after"]
    return _err_builder(lib, spec, spec["default_handler"]).compile(**kw)


def _err_builder(lib: Any, g: dict[str, Any], default: bool) -> Any:
    b = lib.StateGraph(_state())
    if default:
        b.set_node_defaults(error_handler=_default_handler(lib))
    for node in g["nodes"]:
        kw: dict[str, Any] = {}
        if node["defer"]:
            kw["defer"] = True
        if node["kind"] == "subgraph":
            sub = _err_builder(lib, node["sub"], False).compile()
            b.add_node(node["name"], sub, **kw)
            continue
        if node["kind"] == "command":
            kw["destinations"] = tuple(_goto_names(node["goto"]["options"]))
        err = node.get("err")
        fn = _make_node(lib, node)
        if err is not None:
            fn = _failing(lib, node)
            kw["error_handler"] = _handler(lib, node["name"], err)
            if err["retry"]:
                kw["retry_policy"] = lib.RetryPolicy(
                    max_attempts=2,
                    initial_interval=0.0,
                    jitter=False,
                    retry_on=KeyError,
                )
        b.add_node(node["name"], fn, **kw)
    for e in g["edges"]:
        _add_edge(lib, b, e)
    return b


def _state() -> Any:
    from _gen import State

    return State


def errors_program(spec: dict[str, Any]) -> Any:
    """The observations recorded for one graph with error handlers."""
    seed = spec["seed"]
    rl = spec["recursion_limit"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        plain_kw = _variant(_PLAIN_STREAMS[seed % len(_PLAIN_STREAMS)], spec, d)
        saved_kw = _variant(_SAVED_STREAMS[seed % len(_SAVED_STREAMS)], spec, d)
        try:
            graph = build_err(lib, spec)
        except Exception as e:
            rec.add("compile", {"raised": e})
            return
        inp = spec["input"]
        if not spec.get("interrupt_before") and not spec.get("interrupt_after"):
            conf = d.config(lib, recursion_limit=rl)
            await rec.call("invoke", d.invoke(graph, inp, conf))
            kw = d.config(lib, eager=is_eager(plain_kw), recursion_limit=rl)
            await rec.stream(f"stream {plain_kw}", graph, inp, kw, **plain_kw)
        saved = build_err(lib, spec, checkpointer=lib.InMemorySaver())
        t1 = await saved_rounds(rec, d, lib, saved, inp, saved_kw, rl)
        await rec.state("final get_state", saved, t1, subgraphs=True)
        await rec.history("history", saved, t1)

    return program


@pytest.mark.parametrize(("driver", "seed"), seed_params(40), indirect=["driver"])
def test_random_error_handlers(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_err_spec(seed)
    run_differential(
        errors_program(spec),
        driver,
        title=f"error handler graph seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
