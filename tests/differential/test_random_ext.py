"""Extended random StateGraph programs (``_gen_ext``) on both libraries.

The graphs add flaky nodes under retry policies, node caches, custom stream
writes, message and custom reducers, ``RemainingSteps``, private channels,
``Command(graph=PARENT)``, nested and stateful subgraphs, subgraphs invoked
from a node, async nodes and input/output schemas.  Each seed runs the graph
without a checkpointer (twice when it has a cache), streams it with a saver,
reads state and history, forks from a past checkpoint with ``update_state``
and continues; the interrupt variant drives the graph through its interrupts
like ``test_random_interrupts``.  How many times each node function ran is
compared too.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen_ext import Ctx, _send_targets, build_ext, gen_ext_spec
from _harness import (
    Driver,
    Recorder,
    is_eager,
    pytest_repro,
    run_differential,
    seed_params,
)
from _lib import Lib
from test_random_interrupts import interrupt_program

_PLAIN_STREAMS: list[dict[str, Any]] = [
    {"stream_mode": ["updates", "custom"]},
    {"stream_mode": "custom"},
    {"stream_mode": ["values", "custom", "tasks"], "subgraphs": True},
    {"stream_mode": ["custom", "updates"], "subgraphs": True, "version": "v2"},
    {"stream_mode": "debug", "subgraphs": True},
    {"stream_mode": ["values", "updates"], "version": "v2"},
    {"stream_mode": "updates", "subgraphs": True},
]

_SAVED_STREAMS: list[dict[str, Any]] = [
    {
        "stream_mode": ["updates", "values", "checkpoints", "tasks", "custom"],
        "subgraphs": True,
    },
    {"stream_mode": ["checkpoints", "custom"], "durability": "exit"},
    {"stream_mode": "updates", "durability": "sync", "subgraphs": True},
    {"stream_mode": "debug", "version": "v2"},
    {"stream_mode": ["values", "checkpoints"], "subgraphs": True},
    {"stream_mode": ["updates", "tasks"], "durability": "exit", "subgraphs": True},
]


def _unsaved_sub(g: dict[str, Any]) -> bool:
    """Whether a subgraph of ``g`` is compiled with ``checkpointer=False``."""
    return any(
        n["kind"] == "subgraph"
        and (n["ext"]["ckpt"] is False or _unsaved_sub(n["sub"]))
        for n in g["nodes"]
    )


def _shared_stateful(g: dict[str, Any], shared: bool = False) -> bool:
    """Whether a stateful subgraph runs in parallel instances of a Send target.

    They share its namespace: on LangGraph's thread pool (an eager sync
    stream) which instance saves there first is a race (seeds 972, 1294).
    """
    sent = _send_targets(g)
    for n in g["nodes"]:
        if n["kind"] != "subgraph":
            continue
        if shared and n["ext"]["ckpt"] is True:
            return True
        if _shared_stateful(n["sub"], shared or n["name"] in sent):
            return True
    return False


def _variant(kw: dict[str, Any], spec: dict[str, Any], d: Driver) -> dict[str, Any]:
    """``kw`` made lazy where an eager sync stream would be racy.

    That is with a failing node, or with a stateful subgraph run in parallel
    instances (``_shared_stateful``).

    LangGraph 1.2.24 crashes (``AttributeError: ... '_put_checkpoint_fut'``)
    when ``durability="sync"`` reaches a subgraph compiled with
    ``checkpointer=False``; that combination is not drawn.
    """
    if kw.get("durability") == "sync" and _unsaved_sub(spec):
        kw = {k: v for k, v in kw.items() if k != "durability"}
    racy = any(n["raise_at"] is not None for n in spec["nodes"])
    if not ((racy or _shared_stateful(spec)) and not d.is_async and is_eager(kw)):
        return kw
    out = {k: v for k, v in kw.items() if k != "subgraphs"}
    modes = kw.get("stream_mode")
    if isinstance(modes, list):
        out["stream_mode"] = [m for m in modes if m != "custom"] or "updates"
    elif modes == "custom":
        out["stream_mode"] = "updates"
    return out


def ext_program(spec: dict[str, Any]) -> Any:
    """The observations recorded for one extended graph."""
    seed = spec["seed"]
    rl = spec["recursion_limit"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        ctx = Ctx()
        rng = random.Random(seed * 31 + 3)
        plain_kw = _variant(_PLAIN_STREAMS[seed % len(_PLAIN_STREAMS)], spec, d)
        saved_kw = _variant(_SAVED_STREAMS[(seed // 7) % len(_SAVED_STREAMS)], spec, d)
        try:
            graph = build_ext(lib, spec, ctx, is_async=d.is_async)
        except Exception as e:
            rec.add("compile", {"raised": e})
            return
        inp = spec["input"]
        conf = d.config(lib, recursion_limit=rl)
        await rec.call("invoke", d.invoke(graph, inp, conf))
        rec.add("node calls after invoke", sorted(ctx.calls.items()))
        if spec["cache"]:
            await rec.call("invoke again (cache)", d.invoke(graph, inp, conf))
            rec.add("node calls after invoke again", sorted(ctx.calls.items()))
        await rec.stream(
            f"stream {plain_kw}",
            graph,
            inp,
            d.config(lib, eager=is_eager(plain_kw), recursion_limit=rl),
            **plain_kw,
        )
        saver = lib.InMemorySaver()
        saved = build_ext(lib, spec, ctx, checkpointer=saver, is_async=d.is_async)
        t1 = d.config(lib, "t1", recursion_limit=rl)
        _, exc = await rec.stream(
            f"saved stream {saved_kw}",
            saved,
            inp,
            d.config(lib, "t1", eager=is_eager(saved_kw), recursion_limit=rl),
            **saved_kw,
        )
        rec.add("node calls after saved stream", sorted(ctx.calls.items()))
        await rec.state("get_state subgraphs", saved, t1, subgraphs=True)
        hist = await rec.history("history", saved, t1)
        if exc is not None:
            retry = t1
            if type(exc).__name__ == "GraphRecursionError":
                retry = d.config(lib, "t1", recursion_limit=min(rl, 4))
            await rec.call("retry invoke(None)", d.invoke(saved, None, retry))
        if hist:
            await fork(lib, d, rec, saved, spec, hist, rl, rng)
        rec.add("node calls before t2", sorted(ctx.calls.items()))
        await rec.call(
            "invoke t2", d.invoke(saved, inp, d.config(lib, "t2", recursion_limit=rl))
        )
        again = d.config(lib, "t2", recursion_limit=min(rl, 8))
        await rec.call("invoke t2 again", d.invoke(saved, inp, again))
        rec.add("node calls", sorted(ctx.calls.items()))

    return program


async def fork(
    lib: Lib,
    d: Driver,
    rec: Recorder,
    graph: Any,
    spec: dict[str, Any],
    hist: list[Any],
    rl: int,
    rng: random.Random,
) -> None:
    """``update_state`` on a past checkpoint (maybe as a node), then continue."""
    k = rng.randrange(len(hist))
    names = [n["name"] for n in spec["nodes"]]
    as_node = rng.choice([None, None, *names])
    kw = {} if as_node is None else {"as_node": as_node}
    past = dict(hist[k].config)
    cfg = await rec.call(
        f"fork history[{k}] as_node={as_node}",
        d.update_state(graph, past, {"log": ["forked"]}, **kw),
    )
    if isinstance(cfg, BaseException):
        return
    conf = d.config(lib, recursion_limit=rl)
    conf["configurable"] = dict(cfg["configurable"])
    await rec.state("fork get_state", graph, conf)
    await rec.call("fork continue", d.invoke(graph, None, conf))
    thread = d.config(lib, "t1")
    await rec.state("after fork get_state subgraphs", graph, thread, subgraphs=True)


@pytest.mark.parametrize(("driver", "seed"), seed_params(80), indirect=["driver"])
def test_random_ext_graph(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_ext_spec(seed)
    run_differential(
        ext_program(spec),
        driver,
        title=f"extended random graph seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )


def ext_interrupt_program(spec: dict[str, Any]) -> Any:
    """``interrupt_program`` on an extended graph, plus the node-call counts."""

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        ctx = Ctx()

        def make(lib: Lib, d: Driver, saver: Any) -> Any:
            return build_ext(lib, spec, ctx, checkpointer=saver, is_async=d.is_async)

        await interrupt_program(spec, make)(lib, d, rec)
        rec.add("node calls", sorted(ctx.calls.items()))

    return program


@pytest.mark.parametrize(("driver", "seed"), seed_params(40), indirect=["driver"])
def test_random_ext_interrupts(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_ext_spec(seed, interrupts=True)
    run_differential(
        ext_interrupt_program(spec),
        driver,
        title=f"extended interrupt scenario seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
