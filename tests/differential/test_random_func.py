"""Random functional-API programs (``_gen_func``) on both libraries.

Each seed draws tasks and an entrypoint body, runs it on a thread until it
finishes (answering every interrupt: one value, or a map by interrupt id when
several are pending), then runs it again on the same thread (``previous``)
and replays from a past checkpoint.  Results, stream chunks, state, history
and how often each task body ran are compared.  Parallel and nested task
calls run on LangGraph's thread pool under the sync driver, where chunks come
in completion order; those streams are compared as sorted lists of chunks.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen_ext import Ctx
from _gen_func import build_func, gen_func_spec
from _harness import Driver, Recorder, pytest_repro, run_differential, seed_params
from _lib import Lib
from _norm import Normalizer, render

_MAX_ROUNDS = 6

_STREAMS: list[dict[str, Any]] = [
    {"stream_mode": ["updates", "custom"]},
    {"stream_mode": "values"},
    {"stream_mode": ["tasks", "checkpoints"]},
    {"stream_mode": "debug"},
    {"stream_mode": ["updates", "values", "custom"], "version": "v2"},
    {"stream_mode": "updates"},
]


def func_program(spec: dict[str, Any]) -> Any:
    """Drive one functional program through its interrupts, twice."""
    seed = spec["seed"]
    racy = any(op["op"] == "par" for op in spec["ops"]) or any(
        t["sub"] for t in spec["tasks"]
    )

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        ctx = Ctx()
        erase = Normalizer(erase_ids=True)
        rng = random.Random(seed * 13 + 5)
        wf = build_func(lib, spec, ctx, d.is_async)
        conf = {"configurable": {"thread_id": "t1"}}
        extra = {"durability": spec["durability"]} if spec["durability"] else {}

        async def run(label: str, inp: Any) -> None:
            if rng.random() < 0.4:
                await rec.call(label + " invoke", d.invoke(wf, inp, conf, **extra))
                return
            kw = dict(rng.choice(_STREAMS))
            chunks, exc = await d.stream(wf, inp, conf, **kw, **extra)
            if racy and not d.is_async:
                chunks = sorted(chunks, key=lambda c: render(erase(c)))
                label += " [sorted]"
            rec.add(f"{label} stream {kw}", {"chunks": chunks, "raised": exc})

        for n in (1, 2):
            await run(f"run {n}", n)
            await drive(lib, d, rec, wf, conf, run, f"run {n}")
            rec.add(f"task calls after run {n}", sorted(ctx.calls.items()))
        hist = await rec.history("history", wf, conf)
        if hist:
            k = rng.randrange(len(hist))
            past = {"configurable": dict(hist[k].config["configurable"])}
            await rec.call(f"replay history[{k}]", d.invoke(wf, None, past))
            await rec.state("state after replay", wf, conf)
        rec.add("task calls", sorted(ctx.calls.items()))

    return program


async def drive(
    lib: Lib, d: Driver, rec: Recorder, wf: Any, conf: Any, run: Any, label: str
) -> None:
    """Answer pending interrupts until the thread has nothing left to run."""
    for rnd in range(_MAX_ROUNDS):
        snap = await rec.state(f"{label} round {rnd} get_state", wf, conf)
        if isinstance(snap, BaseException) or not snap.interrupts:
            return
        pending = list(snap.interrupts)
        if len(pending) == 1:
            cmd = lib.Command(resume=f"ans{rnd}")
        else:
            cmd = lib.Command(resume={i.id: f"ans{rnd}:{i.value}" for i in pending})
        await run(f"{label} round {rnd} resume", cmd)
    rec.add(f"{label} rounds exhausted", _MAX_ROUNDS)


@pytest.mark.parametrize(("driver", "seed"), seed_params(80), indirect=["driver"])
def test_random_functional(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_func_spec(seed)
    run_differential(
        func_program(spec),
        driver,
        title=f"functional program seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
