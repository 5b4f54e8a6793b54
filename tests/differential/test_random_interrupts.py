"""Interrupt/resume fuzzing: random graphs with ``interrupt()`` and breakpoints.

Each seed draws a graph whose nodes may call ``interrupt()`` once or twice (in
parallel branches, in ``Send`` targets, inside subgraphs) and that may have
static ``interrupt_before``/``interrupt_after`` breakpoints.  It is driven with
an ``InMemorySaver`` until it finishes: each round reads ``get_state`` and
either resumes the pending interrupts (one value when one is pending, else a
map ``{interrupt.id: value}``; now and then a bare value with several pending,
which LangGraph rejects), or, at a breakpoint, continues with ``invoke(None)``,
possibly after an ``update_state``.  Every output, stream chunk, state and the
final history are compared; so is a time-travel fork from a past checkpoint.

Resume values are derived from the interrupt *values* (which are the same on
both sides), never from the ids (which depend on random checkpoint ids).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen import build, gen_spec
from _harness import Driver, Recorder, pytest_repro, run_differential, seed_params
from _lib import Lib

_MAX_ROUNDS = 8

_RUN_STREAMS: list[dict[str, Any]] = [
    {"stream_mode": ["updates", "values"]},
    {"stream_mode": "updates"},
    {"stream_mode": ["values", "checkpoints", "tasks"]},
    {"stream_mode": "values", "version": "v2"},
    {"stream_mode": "debug"},
]


def interrupt_program(spec: dict[str, Any], make: Any = None) -> Any:
    """Drive one generated graph through all its interrupts.

    Args:
        spec: the generated graph.
        make: ``make(lib, d, checkpointer)`` compiles it (default ``_gen.build``).
    """
    seed = spec["seed"]
    rl = spec["recursion_limit"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        rng = random.Random(seed * 7919 + 1)  # same draws on both sides
        try:
            saver = lib.InMemorySaver()
            if make is None:
                graph = build(lib, spec, checkpointer=saver)
            else:
                graph = make(lib, d, saver)
        except Exception as e:
            rec.add("compile", {"raised": e})
            return
        t1 = d.config(lib, "t1", recursion_limit=rl)

        async def run(label: str, inp: Any) -> None:
            if rng.random() < 0.5:
                await rec.call(label + " invoke", d.invoke(graph, inp, t1))
            else:
                kw = rng.choice(_RUN_STREAMS)
                await rec.stream(f"{label} stream {kw}", graph, inp, t1, **kw)

        await run("start", spec["input"])
        for rnd in range(_MAX_ROUNDS):
            snap = await rec.state(f"round {rnd} get_state", graph, t1)
            if isinstance(snap, BaseException) or not snap.next:
                break
            if snap.interrupts:
                await resume(lib, d, rec, graph, t1, snap, rnd, rng, run)
            else:
                await at_breakpoint(lib, d, rec, graph, t1, spec, rnd, rng, run)
        else:
            rec.add("rounds exhausted", _MAX_ROUNDS)
        await rec.state("final get_state subgraphs", graph, t1, subgraphs=True)
        hist = await rec.history("final history", graph, t1)
        if hist and seed % 2 == 0:
            await time_travel(lib, d, rec, graph, hist, rl, rng)

    return program


async def resume(
    lib: Lib,
    d: Driver,
    rec: Recorder,
    graph: Any,
    config: Any,
    snap: Any,
    rnd: int,
    rng: random.Random,
    run: Any,
) -> None:
    """Answer the pending interrupts of ``snap``."""
    pending = list(snap.interrupts)
    if len(pending) > 1 and rng.random() < 0.15:
        # a bare value with several interrupts pending is an error
        await rec.call(
            f"round {rnd} bare resume with {len(pending)} pending",
            d.invoke(graph, lib.Command(resume="bare"), config),
        )
    if len(pending) == 1 and rng.random() < 0.6:
        cmd = lib.Command(resume=f"ans{rnd}")
    else:
        cmd = lib.Command(resume={i.id: f"ans{rnd}:{i.value}" for i in pending})
    await run(f"round {rnd} resume", cmd)


async def at_breakpoint(
    lib: Lib,
    d: Driver,
    rec: Recorder,
    graph: Any,
    config: Any,
    spec: dict[str, Any],
    rnd: int,
    rng: random.Random,
    run: Any,
) -> None:
    """Continue from a static breakpoint, maybe after ``update_state``."""
    if rng.random() < 0.4:
        names = [n["name"] for n in spec["nodes"]]
        as_node = rng.choice([None, *names])
        kw = {} if as_node is None else {"as_node": as_node}
        await rec.call(
            f"round {rnd} update_state as_node={as_node}",
            d.update_state(graph, config, {"log": [f"patch{rnd}"]}, **kw),
        )
        await rec.state(f"round {rnd} get_state after update", graph, config)
    await run(f"round {rnd} continue", None)


async def time_travel(
    lib: Lib,
    d: Driver,
    rec: Recorder,
    graph: Any,
    hist: list[Any],
    rl: int,
    rng: random.Random,
) -> None:
    """Replay from a past checkpoint (chosen by position): LangGraph forks."""
    k = rng.randrange(len(hist))
    past = hist[k].config
    conf = d.config(lib, recursion_limit=rl)
    conf["configurable"] = dict(past["configurable"])
    await rec.call(f"time travel from history[{k}]", d.invoke(graph, None, conf))
    thread = d.config(lib, "t1", recursion_limit=rl)
    await rec.history("history after time travel", graph, thread, limit=4)


@pytest.mark.parametrize(("driver", "seed"), seed_params(100), indirect=["driver"])
def test_random_interrupts(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_spec(seed, interrupts=True)
    run_differential(
        interrupt_program(spec),
        driver,
        title=f"interrupt scenario seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
