"""State edits fuzzing: random ``update_state`` moves mixed with runs and forks.

Each seed draws a graph (``_gen.gen_spec`` with interrupts, every third seed
``_gen_ext``) and a random sequence of moves on one thread:

- run: the input, ``None``, answers to pending interrupts, or
  ``Command(goto=..., update=...)``; invoke or stream with random modes and
  ``durability``;
- ``update_state`` on the thread's head or on a past checkpoint, with a dict,
  ``None`` or a ``Command(update=..., goto=node|Send)``, ``as_node`` one of the
  graph's nodes, none, ``__start__``, ``__input__``, ``__end__`` or
  ``__copy__``; then maybe a run from the config it returned (a fork);
- ``bulk_update_state`` with one or two supersteps of one or two updates;
- ``get_state`` (maybe ``subgraphs=True``) of the head or of a past checkpoint.

Invalid moves are part of the game: the error each library raises is compared.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen import FAIL_NODE, build, gen_spec
from _gen_delta import build_delta
from _gen_ext import Ctx, build_ext
from _harness import (
    Driver,
    Recorder,
    is_eager,
    pytest_repro,
    run_differential,
    seed_params,
)
from _lib import Lib
from test_random_ext import _unsaved_sub
from test_random_resume import _DURABILITY, _STREAMS as _RESUME_STREAMS, _spec

_MAX_MOVES = 9
_STREAMS: list[dict[str, Any]] = [
    *_RESUME_STREAMS,
    {"stream_mode": ["checkpoints", "tasks"], "subgraphs": True, "version": "v2"},
    {"stream_mode": "debug", "subgraphs": True},
    {"stream_mode": ["checkpoints", "values"], "subgraphs": True},
]
_SPECIAL = ["__start__", "__input__", "__end__", "__copy__"]


class Edits:
    """One library's thread: graph, configs, shared draws, recorder."""

    def __init__(
        self, lib: Lib, d: Driver, rec: Recorder, spec: dict[str, Any], graph: Any
    ) -> None:
        self.lib, self.d, self.rec, self.spec, self.graph = lib, d, rec, spec, graph
        self.rng = random.Random(spec["seed"] * 7001 + 5)  # same on both sides
        # drawn apart, so the other draws stay those of earlier seeds
        self.durability = random.Random(spec["seed"] * 13 + 2)
        self.rl = spec["recursion_limit"]
        self.t1 = d.config(lib, "t1", recursion_limit=self.rl)
        self.names = [n["name"] for n in spec["nodes"]]
        self.hist: list[Any] = []
        # a Send runs a second instance of its target in the step: two
        # instances of a stateful subgraph share its namespace (a race in
        # LangGraph), and the failing node must stay the step's last task
        self.sendable = [
            n["name"]
            for n in spec["nodes"]
            if n["kind"] != "subgraph" and n["name"] != FAIL_NODE
        ]

    def conf(self, configurable: dict[str, Any] | None = None, kw: Any = None) -> Any:
        """A run config (``max_concurrency``) on the thread or a checkpoint."""
        c = self.d.config(
            self.lib, "t1", eager=is_eager(kw or {}), recursion_limit=self.rl
        )
        if configurable is not None:
            c["configurable"] = dict(configurable)
        return c

    async def run(self, label: str, inp: Any, at: Any = None) -> None:
        """``invoke`` or ``stream`` of ``inp`` from the head or from ``at``."""
        rng = self.rng
        extra: dict[str, Any] = {}
        durability = self.durability.choice(_DURABILITY)
        if durability == "sync" and self.spec.get("ext") and _unsaved_sub(self.spec):
            durability = None  # LangGraph 1.2.24 crashes there (_gen_ext note)
        if durability is not None:
            extra["durability"] = durability
        if rng.random() < 0.4:
            call = self.d.invoke(self.graph, inp, self.conf(at), **extra)
            self.shorten(await self.rec.call(f"{label} invoke {extra}", call))
            return
        kw = dict(rng.choice(_STREAMS))
        if self.spec.get("fails") and not self.d.is_async and is_eager(kw):
            kw = {"stream_mode": ["updates", "values"]}  # racy siblings otherwise
        conf = self.conf(at, kw)
        kw.update(extra)
        _, exc = await self.rec.stream(
            f"{label} stream {kw}", self.graph, inp, conf, **kw
        )
        self.shorten(exc)

    def shorten(self, result: Any) -> None:
        """After a recursion error, later runs get a short limit.

        A subgraph sharing the parent's list reducer doubles the list every
        pass: runs that keep hitting the limit grow the state exponentially.
        """
        if type(result).__name__ == "GraphRecursionError" and self.rl > 4:
            self.rl = 4
            self.t1 = self.d.config(self.lib, "t1", recursion_limit=self.rl)

    def values(self, tag: str) -> Any:
        """A random update value (a dict, ``None`` or a ``Command``)."""
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            return {"log": [tag]}
        if r < 0.55:
            return {"log": [tag], "total": 1, "count": 1}
        if r < 0.62:
            return None
        if r < 0.7:
            return {"nope": 1}
        goto: Any = rng.choice(self.names)
        if self.sendable and rng.random() < 0.3:
            sent = {"log": [tag + ">s"], "item": 9}
            goto = self.lib.Send(rng.choice(self.sendable), sent)
        return self.lib.Command(update={"log": [tag]}, goto=goto)

    def as_node(self) -> Any:
        r = self.rng.random()
        if r < 0.3:
            return None
        if r < 0.5:
            return self.rng.choice(_SPECIAL)
        return self.rng.choice(self.names)

    async def target(self) -> tuple[str, Any]:
        """The thread's head or a past checkpoint of the last history read."""
        if self.hist and self.rng.random() < 0.4:
            k = self.rng.randrange(len(self.hist))
            return f"history[{k}]", dict(self.hist[k].config)
        return "head", self.t1


async def move_update(e: Edits, i: int) -> None:
    """``update_state`` somewhere, then maybe run on from the returned config."""
    where, conf = await e.target()
    values, as_node = e.values(f"u{i}"), e.as_node()
    kw = {} if as_node is None else {"as_node": as_node}
    shown = values if not isinstance(values, e.lib.Command) else "Command"
    cfg = await e.rec.call(
        f"move {i} update_state {where} {shown} as_node={as_node}",
        e.d.update_state(e.graph, conf, values, **kw),
    )
    if isinstance(cfg, BaseException):
        return
    await e.rec.state(f"move {i} get_state of update", e.graph, cfg)
    if e.rng.random() < 0.5:
        await e.run(f"move {i} run from update", None, cfg["configurable"])


async def move_bulk(e: Edits, i: int) -> None:
    """``bulk_update_state`` with random supersteps."""
    steps = []
    for s in range(e.rng.choice([1, 1, 2])):
        ups = []
        for u in range(e.rng.choice([1, 1, 2])):
            ups.append(
                e.lib.StateUpdate(e.values(f"b{i}.{s}.{u}"), e.rng.choice(e.names))
            )
        steps.append(ups)
    where, conf = await e.target()
    await e.rec.call(
        f"move {i} bulk_update_state {where} {[[u[1] for u in s] for s in steps]}",
        _bulk(e, conf, steps),
    )


async def _bulk(e: Edits, conf: Any, steps: Any) -> Any:
    if e.d.is_async:
        return await e.graph.abulk_update_state(conf, steps)
    return e.graph.bulk_update_state(conf, steps)


async def move_run(e: Edits, i: int) -> None:
    """Continue the thread: answers, ``None``, the input or a goto."""
    snap = await e.rec.state(f"move {i} get_state", e.graph, e.t1)
    if isinstance(snap, BaseException):
        return
    r = e.rng.random()
    if snap.interrupts and r < 0.8:
        ans = {x.id: f"a{i}:{x.value}" for x in snap.interrupts}
        await e.run(f"move {i} resume", e.lib.Command(resume=ans))
    elif r < 0.3:
        goto = e.rng.choice(e.names)
        cmd = e.lib.Command(goto=goto, update={"log": [f"g{i}"]})
        await e.run(f"move {i} goto {goto}", cmd)
    elif snap.next or r < 0.5:
        await e.run(f"move {i} continue", None)
    else:
        await e.run(f"move {i} input", e.spec["input"])


async def move_read(e: Edits, i: int) -> None:
    """``get_state`` of the head (maybe with subgraphs) or of a checkpoint."""
    where, conf = await e.target()
    kw = {"subgraphs": True} if e.rng.random() < 0.4 else {}
    await e.rec.state(f"move {i} get_state {where} {kw}", e.graph, conf, **kw)
    e.hist = await e.rec.history(f"move {i} history", e.graph, e.t1)


async def move_sub(e: Edits, i: int) -> None:
    """Read a paused subgraph through its task's config, maybe update it."""
    snap = await e.rec.state(f"move {i} get_state", e.graph, e.t1, subgraphs=True)
    if isinstance(snap, BaseException):
        return
    subs = [t.state for t in snap.tasks if t.state is not None]
    if not subs:
        await move_run(e, i)
        return
    sub = e.rng.choice(subs)
    conf = sub.config if hasattr(sub, "config") else sub
    await e.rec.state(f"move {i} subgraph get_state", e.graph, conf)
    if e.rng.random() < 0.5:
        await e.rec.history(f"move {i} subgraph history", e.graph, conf)
    names = sorted({t.name for t in getattr(sub, "tasks", ())})
    as_node = e.rng.choice([None, *names, "__input__", "__copy__", "__end__"])
    kw = {} if as_node is None else {"as_node": as_node}
    values = {"log": [f"s{i}"]} if e.rng.random() < 0.8 else None
    await e.rec.call(
        f"move {i} subgraph update_state {values} as_node={as_node}",
        e.d.update_state(e.graph, conf, values, **kw),
    )
    await e.rec.state(f"move {i} get_state after subgraph update", e.graph, e.t1)
    await e.run(f"move {i} run after subgraph update", None)


_MOVES = [
    (move_update, 0.35),
    (move_bulk, 0.12),
    (move_run, 0.28),
    (move_read, 0.13),
    (move_sub, 0.12),
]


def updates_program(
    spec: dict[str, Any], ext: bool, delta: int = 0, make: Any = None
) -> Any:
    """Run the graph once, then a random sequence of moves.

    ``delta``: keep ``log`` in a ``DeltaChannel`` snapshotting every ``delta``
    updates (``_gen_delta``); ``make(lib, saver)`` compiles the graph instead.
    """

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        ctx = Ctx()
        saver = lib.InMemorySaver()
        try:
            if make is not None:
                graph = make(lib, saver)
            elif delta:
                graph = build_delta(lib, spec, delta, checkpointer=saver)
            elif ext:
                graph = build_ext(
                    lib, spec, ctx, checkpointer=saver, is_async=d.is_async
                )
            else:
                graph = build(lib, spec, checkpointer=saver)
        except Exception as exc:
            rec.add("compile", {"raised": exc})
            return
        e = Edits(lib, d, rec, spec, graph)
        if e.rng.random() < 0.8:
            await e.run("start", spec["input"])
            e.hist = await rec.history("history after start", graph, e.t1)
        moves, weights = zip(*_MOVES, strict=True)
        for i in range(e.rng.randint(3, _MAX_MOVES)):
            await e.rng.choices(moves, weights)[0](e, i)
        await rec.state("final get_state", graph, e.t1, subgraphs=True)
        await rec.history("final history", graph, e.t1)
        if ext:
            rec.add("node calls", sorted(ctx.calls.items()))

    return program


@pytest.mark.parametrize(("driver", "seed"), seed_params(40), indirect=["driver"])
def test_random_updates(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec, ext = _spec(seed)
    run_differential(
        updates_program(spec, ext),
        driver,
        title=f"state edits scenario seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )


@pytest.mark.parametrize(("driver", "seed"), seed_params(20), indirect=["driver"])
def test_random_delta_updates(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_spec(seed, interrupts=True)
    spec["fails"] = any(n["raise_at"] is not None for n in spec["nodes"])
    run_differential(
        updates_program(spec, False, delta=1 + seed % 3),
        driver,
        title=f"state edits scenario over a DeltaChannel seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
