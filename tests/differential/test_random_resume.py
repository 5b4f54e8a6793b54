"""Interrupt/resume fuzzing with a wider choice of moves between rounds.

``test_random_interrupts`` answers each round's interrupts and continues from
breakpoints.  This driver draws, each round, one of more moves a user makes
while a thread is paused:

- resume by value or by an ``{interrupt id: value}`` map, or a map answering
  only some of the pending interrupts;
- ``Command(resume=..., update=...)`` and ``Command(resume=..., goto=node)``;
- ``update_state`` (maybe ``as_node``) while interrupts are pending, then resume;
- ``invoke(None)`` while interrupts are pending (the nodes run and ask again);
- runtime ``interrupt_before``/``interrupt_after`` passed to the run call;
- each run call with a random ``durability`` and stream modes, including
  ``subgraphs=True`` (eager under the sync driver: compared in canonical order);
- ``get_state(subgraphs=True)`` and history pages (``limit``, ``before``,
  ``filter``) between rounds.

Graphs come from ``_gen.gen_spec`` or ``_gen_ext.gen_ext_spec`` with interrupts.
Values are derived from interrupt values, never ids (ids depend on random
checkpoint ids).  A second thread then replays one past checkpoint with a
resume command (time travel with ``Command(resume=...)``).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen import build, gen_spec
from _gen_ext import Ctx, build_ext, gen_ext_spec
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

_MAX_ROUNDS = 8

_STREAMS: list[dict[str, Any]] = [
    {"stream_mode": ["updates", "values"]},
    {"stream_mode": "updates", "subgraphs": True},
    {"stream_mode": ["values", "checkpoints", "tasks"]},
    {"stream_mode": ["updates", "tasks"], "subgraphs": True, "version": "v2"},
    {"stream_mode": "values", "version": "v2"},
    {"stream_mode": "debug"},
    {"stream_mode": ["values", "updates", "custom"], "subgraphs": True},
]
_DURABILITY = [None, None, "sync", "async", "exit"]


class Session:
    """One library's thread being driven: graph, config, draws, recorder."""

    def __init__(
        self, lib: Lib, d: Driver, rec: Recorder, spec: dict[str, Any], graph: Any
    ) -> None:
        self.lib, self.d, self.rec, self.spec, self.graph = lib, d, rec, spec, graph
        self.rng = random.Random(spec["seed"] * 6007 + 17)  # same on both sides
        self.rl = spec["recursion_limit"]
        self.t1 = d.config(lib, "t1", recursion_limit=self.rl)
        self.names = [n["name"] for n in spec["nodes"]]
        self.limited = True  # run configs carry max_concurrency (_harness)

    async def run(self, label: str, inp: Any, **extra: Any) -> None:
        """``invoke`` or ``stream`` with a random durability and modes."""
        rng = self.rng
        durability = rng.choice(_DURABILITY)
        if durability == "sync" and self.spec["ext"] and _unsaved_sub(self.spec):
            durability = None  # LangGraph 1.2.24 crashes there (_gen_ext note)
        if durability is not None:
            extra["durability"] = durability
        if rng.random() < 0.4:
            call = self.d.invoke(self.graph, inp, self.t1, **extra)
            await self.rec.call(f"{label} invoke {extra}", call)
            return
        kw = {**rng.choice(_STREAMS), **extra}
        if self.spec.get("fails") and not self.d.is_async and is_eager(kw):
            kw.pop("subgraphs", None)  # a failure cuts eager siblings racily
            if isinstance(kw["stream_mode"], list) and "custom" in kw["stream_mode"]:
                kw["stream_mode"] = [m for m in kw["stream_mode"] if m != "custom"]
        conf = self.d.config(
            self.lib, "t1", eager=is_eager(kw), recursion_limit=self.rl
        )
        await self.rec.stream(f"{label} stream {kw}", self.graph, inp, conf, **kw)

    def breakpoints(self) -> dict[str, Any]:
        """Now and then, runtime ``interrupt_before``/``interrupt_after``."""
        if self.rng.random() >= 0.2:
            return {}
        key = self.rng.choice(["interrupt_before", "interrupt_after"])
        return {key: sorted(self.rng.sample(self.names, 1))}

    async def state(self, label: str) -> Any:
        """``get_state`` (sometimes with subgraphs) of the thread."""
        sub = self.rng.random() < 0.3
        kw = {"subgraphs": True} if sub else {}
        return await self.rec.state(
            f"{label} get_state {kw}", self.graph, self.t1, **kw
        )


def _answers(snap: Any, tag: str, rng: random.Random, bare: bool) -> Any:
    """A resume value: a bare value for one interrupt, else a map by id.

    A bare value is a "null resume" that the first unanswered ``interrupt()``
    takes; with other tasks that may interrupt in the same step (a ``goto``)
    which one takes it is racy in LangGraph's sync runner: ``bare=False``.
    """
    pending = list(snap.interrupts)
    if bare and len(pending) == 1 and rng.random() < 0.5:
        return f"{tag}"
    if len(pending) > 1 and rng.random() < 0.2:
        # answer only the first (by value) of several pending interrupts
        first = min(pending, key=lambda i: str(i.value))
        return {first.id: f"{tag}:{first.value}"}
    return {i.id: f"{tag}:{i.value}" for i in pending}


async def on_interrupts(s: Session, snap: Any, rnd: int) -> None:
    """One move while interrupts are pending."""
    lib, rng = s.lib, s.rng
    tag = f"ans{rnd}"
    r = rng.random()
    if r < 0.1:
        await s.run(f"round {rnd} None while pending", None)
        return
    if r < 0.2 and await sub_moves(s, snap, rnd):
        snap = await s.state(f"round {rnd} after subgraph move")
        if isinstance(snap, BaseException) or not snap.interrupts:
            await s.run(f"round {rnd} continue after subgraph move", None)
            return
    elif r < 0.35:
        as_node = rng.choice([None, *s.names])
        kw = {} if as_node is None else {"as_node": as_node}
        await s.rec.call(
            f"round {rnd} update_state while pending as_node={as_node}",
            s.d.update_state(s.graph, s.t1, {"log": [f"upd{rnd}"]}, **kw),
        )
        snap = await s.state(f"round {rnd} after update")
        if isinstance(snap, BaseException) or not snap.interrupts:
            # the update replanned the step: no answer is awaited any more
            await s.run(f"round {rnd} continue after update", None)
            return
    extra: dict[str, Any] = {}
    r = rng.random()
    if r < 0.15:
        extra["update"] = {"log": [f"cmd{rnd}"]}
    elif r < 0.27:
        extra["goto"] = rng.choice(s.names)
    answers = _answers(snap, tag, rng, bare="goto" not in extra)
    cmd = lib.Command(resume=answers, **extra)
    await s.run(f"round {rnd} resume {sorted(extra)}", cmd, **s.breakpoints())


async def sub_moves(s: Session, snap: Any, rnd: int) -> bool:
    """Read (and maybe update) a paused subgraph through its task's config.

    Returns:
        Whether a subgraph was there to read.
    """
    configs = [
        t.state.config if hasattr(t.state, "config") else t.state
        for t in snap.tasks
        if t.state is not None
    ]
    if not configs:
        return False
    conf = s.rng.choice(configs)
    await s.rec.state(f"round {rnd} subgraph get_state", s.graph, conf)
    if s.rng.random() < 0.5:
        await s.rec.call(
            f"round {rnd} subgraph update_state",
            s.d.update_state(s.graph, conf, {"log": [f"sub{rnd}"]}),
        )
    return True


async def at_breakpoint(s: Session, rnd: int) -> None:
    """One move at a static or runtime breakpoint."""
    rng = s.rng
    if rng.random() < 0.3:
        as_node = rng.choice([None, *s.names])
        kw = {} if as_node is None else {"as_node": as_node}
        await s.rec.call(
            f"round {rnd} update_state as_node={as_node}",
            s.d.update_state(s.graph, s.t1, {"log": [f"patch{rnd}"]}, **kw),
        )
    if rng.random() < 0.15:
        cmd = s.lib.Command(goto=rng.choice(s.names))
        await s.run(f"round {rnd} goto", cmd, **s.breakpoints())
        return
    await s.run(f"round {rnd} continue", None, **s.breakpoints())


async def pages(s: Session) -> None:
    """History pages: ``limit``, ``before`` and ``filter``."""
    hist = await s.rec.history("history", s.graph, s.t1)
    if not hist:
        return
    await s.rec.history("history limit=2", s.graph, s.t1, limit=2)
    mid = hist[len(hist) // 2].config
    await s.rec.history("history before mid", s.graph, s.t1, before=mid, limit=3)
    src = s.rng.choice(["loop", "input", "update"])
    await s.rec.history(f"history source={src}", s.graph, s.t1, filter={"source": src})
    # replay a past checkpoint that had interrupts with an answer (a fork)
    paused = [h for h in hist if h.interrupts]
    if paused:
        past = s.rng.choice(paused)
        conf = s.d.config(s.lib, recursion_limit=s.rl) if s.limited else {}
        conf["configurable"] = dict(past.config["configurable"])
        cmd = s.lib.Command(resume={i.id: f"tt:{i.value}" for i in past.interrupts})
        await s.rec.call("time travel resume", s.d.invoke(s.graph, cmd, conf))
        await s.rec.history("history after time travel", s.graph, s.t1, limit=3)


def resume_program(spec: dict[str, Any], ext: bool) -> Any:
    """Drive one graph through random pause/resume moves."""

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        ctx = Ctx()
        saver = lib.InMemorySaver()
        try:
            if ext:
                graph = build_ext(
                    lib, spec, ctx, checkpointer=saver, is_async=d.is_async
                )
            else:
                graph = build(lib, spec, checkpointer=saver)
        except Exception as e:
            rec.add("compile", {"raised": e})
            return
        s = Session(lib, d, rec, spec, graph)
        if s.rng.random() < 0.2:
            # a resume on a thread that never ran
            fresh = d.config(lib, "t0", recursion_limit=s.rl)
            cmd = lib.Command(resume="early")
            await rec.call("resume fresh thread", d.invoke(graph, cmd, fresh))
        await s.run("start", spec["input"], **s.breakpoints())
        for rnd in range(_MAX_ROUNDS):
            snap = await s.state(f"round {rnd}")
            if isinstance(snap, BaseException) or not snap.next:
                break
            if snap.interrupts:
                await on_interrupts(s, snap, rnd)
            else:
                await at_breakpoint(s, rnd)
        await rec.state("final get_state", graph, s.t1, subgraphs=True)
        await pages(s)
        if ext:
            rec.add("node calls", sorted(ctx.calls.items()))

    return program


def _spec(seed: int) -> tuple[dict[str, Any], bool]:
    ext = seed % 3 == 2
    spec = (
        gen_ext_spec(seed, interrupts=True) if ext else gen_spec(seed, interrupts=True)
    )
    spec["fails"] = any(n["raise_at"] is not None for n in spec["nodes"])
    spec["ext"] = ext
    return spec, ext


@pytest.mark.parametrize(("driver", "seed"), seed_params(60), indirect=["driver"])
def test_random_resume(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec, ext = _spec(seed)
    run_differential(
        resume_program(spec, ext),
        driver,
        title=f"resume scenario seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )


def func_resume_program(spec: dict[str, Any]) -> Any:
    """A functional program driven with partial answers and bare continues."""
    from _gen_func import build_func
    from test_random_func import _STREAMS as FUNC_STREAMS

    seed = spec["seed"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        ctx = Ctx()
        rng = random.Random(seed * 31 + 7)
        wf = build_func(lib, spec, ctx, d.is_async)
        conf = {"configurable": {"thread_id": "t1"}}
        racy = not d.is_async and (
            any(op["op"] == "par" for op in spec["ops"])
            or any(t["sub"] for t in spec["tasks"])
        )

        async def run(label: str, inp: Any) -> None:
            extra = {}
            if (durability := rng.choice(_DURABILITY)) is not None:
                extra["durability"] = durability
            if racy or rng.random() < 0.4:
                # parallel task calls stream in thread order under sync
                await rec.call(
                    f"{label} invoke {extra}", d.invoke(wf, inp, conf, **extra)
                )
                return
            kw = {**rng.choice(FUNC_STREAMS), **extra}
            chunks, exc = await d.stream(wf, inp, conf, **kw)
            rec.add(f"{label} stream {kw}", {"chunks": chunks, "raised": exc})

        await run("start", 1)
        for rnd in range(_MAX_ROUNDS):
            snap = await rec.state(f"round {rnd} get_state", wf, conf)
            if isinstance(snap, BaseException) or not snap.interrupts:
                break
            if rng.random() < 0.15:
                await run(f"round {rnd} None while pending", None)
                continue
            answers = _answers(snap, f"ans{rnd}", rng, bare=True)
            await run(f"round {rnd} resume", lib.Command(resume=answers))
        rec.add("task calls", sorted(ctx.calls.items()))
        await pages(_FuncPages(lib, d, rec, wf, conf, rng))

    return program


class _FuncPages(Session):
    """Just enough of a ``Session`` for ``pages`` on a functional workflow."""

    def __init__(
        self, lib: Lib, d: Driver, rec: Recorder, wf: Any, conf: Any, rng: Any
    ) -> None:
        self.lib, self.d, self.rec, self.graph = lib, d, rec, wf
        self.t1, self.rng, self.rl = conf, rng, 25
        # max_concurrency=1 deadlocks LangGraph's sync runner on task calls
        self.limited = False


@pytest.mark.parametrize(("driver", "seed"), seed_params(60), indirect=["driver"])
def test_random_func_resume(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    from _gen_func import gen_func_spec

    spec = gen_func_spec(seed)
    run_differential(
        func_resume_program(spec),
        driver,
        title=f"functional resume scenario seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
