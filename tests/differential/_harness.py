"""Run one program against two libraries and compare what users observe.

A *program* is an ``async def program(lib, d, rec)``: it builds graphs with
``lib``, drives them through ``d`` (a sync or async ``Driver``) and records every
observable result in ``rec`` (a ``Recorder``).  ``run_differential`` runs it with
the reference (``langgraph``) and with the library under test, then compares
the two recordings entry by entry.  On the first mismatch the failure message
shows how to reproduce it, the spec, and a unified diff of that entry.

Determinism.  LangGraph's sync runner runs the tasks of a step on a thread pool
and emits their stream chunks (and saves their writes) in *completion* order.
``Driver.config`` therefore passes ``max_concurrency=1`` (a documented
``RunnableConfig`` key): LangGraph then runs the tasks of a step one at a time,
in submission order, and its output is deterministic.  One exception: a sync
``stream`` that streams eagerly (``subgraphs=True``, ``custom`` or ``messages``
modes) parks a "waiter" on the same pool, so ``max_concurrency=1`` deadlocks
LangGraph there.  Such streams run without the limit and their chunks are put
in a canonical order first (``canonical_chunks``): within each superstep
(delimited by the root ``values``/``checkpoints``/task-start chunks) the
chunks of concurrent tasks are sorted, keeping each subgraph's own sequence in
order.  The async driver keeps the limit everywhere (asyncio is deterministic).
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import io
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from typing import Any

import pytest
from _canon import canonical_chunks
from _lib import REFERENCE, Lib, is_self_check, sut_name
from _norm import Normalizer, render

try:
    from xxhash import xxh3_128_hexdigest
except ImportError:  # pragma: no cover - xxhash is a dependency of stategraph
    xxh3_128_hexdigest = None

Program = Callable[[Lib, "Driver", "Recorder"], Awaitable[None]]

_SUT_MAX_CONCURRENCY = os.environ.get("SG_DIFF_SUT_MAX_CONCURRENCY", "1")
_MAX_DIFF_LINES = int(os.environ.get("SG_DIFF_MAX_LINES", "80"))


# --------------------------------------------------------------------------
# parametrisation
# --------------------------------------------------------------------------


def case_scale() -> float:
    """Multiplier of the number of random cases (env ``SG_DIFF_CASES``)."""
    raw = os.environ.get("SG_DIFF_CASES")
    if raw:
        return float(raw)
    return 0.2 if is_self_check() else 1.0


def seed_params(base: int, *, async_every: int = 4) -> list[Any]:
    """``(driver, seed)`` params: every seed sync, every ``async_every``-th async too.

    Args:
        base: number of seeds at scale 1.
        async_every: the async driver runs seeds ``0, k, 2k, ...``.

    ``SG_DIFF_SEEDS=3,17`` runs exactly those seeds, with both drivers.
    """
    only = os.environ.get("SG_DIFF_SEEDS")
    if only:
        seeds = [int(x) for x in only.split(",") if x.strip()]
        sync_seeds, async_seeds = seeds, seeds
    else:
        n = max(1, round(base * case_scale()))
        sync_seeds, async_seeds = list(range(n)), list(range(0, n, async_every))
    out = [pytest.param("sync", s, id=f"sync-{s}") for s in sync_seeds]
    out += [pytest.param("async", s, id=f"async-{s}") for s in async_seeds]
    return out


# --------------------------------------------------------------------------
# drivers
# --------------------------------------------------------------------------


def is_eager(kw: dict[str, Any]) -> bool:
    """Whether ``stream(**kw)`` streams eagerly (LangGraph parks a waiter task)."""
    modes = kw.get("stream_mode") or ()
    modes = [modes] if isinstance(modes, str) else list(modes)
    return bool(kw.get("subgraphs")) or "custom" in modes or "messages" in modes


class Driver:
    """Calls a graph's sync (``invoke``) or async (``ainvoke``) API.

    Every method is ``async`` so programs are written once; the sync driver's
    coroutines never suspend and are stepped by hand, without an event loop.
    """

    def __init__(self, mode: str) -> None:
        assert mode in ("sync", "async"), mode
        self.mode = mode
        self.is_async = mode == "async"

    def __repr__(self) -> str:
        return f"Driver({self.mode!r})"

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run a program coroutine to completion."""
        if self.is_async:
            loop = asyncio.new_event_loop()
            try:
                return loop.run_until_complete(coro)
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()
        try:
            coro.send(None)
        except StopIteration as stop:
            return stop.value
        coro.close()
        raise AssertionError("sync driver: program awaited a real awaitable")

    def config(
        self, lib: Lib, thread: str | None = None, *, eager: bool = False, **extra: Any
    ) -> dict[str, Any]:
        """A run config for ``lib``: ``max_concurrency`` (module doc), thread id.

        Args:
            lib: the library the config is for.
            thread: ``configurable.thread_id``.
            eager: the config is for an eager sync stream (no concurrency limit).
            **extra: more top-level config keys (``recursion_limit``, ...).
        """
        c: dict[str, Any] = {}
        limit = 1 if lib.name == REFERENCE else _SUT_MAX_CONCURRENCY
        if limit and not (eager and not self.is_async):
            c["max_concurrency"] = int(limit)
        if thread is not None:
            c["configurable"] = {"thread_id": thread}
        c.update(extra)
        return c

    async def invoke(self, graph: Any, inp: Any, config: Any, **kw: Any) -> Any:
        """``invoke``/``ainvoke``."""
        if self.is_async:
            return await graph.ainvoke(inp, config, **kw)
        return graph.invoke(inp, config, **kw)

    async def stream(
        self, graph: Any, inp: Any, config: Any, **kw: Any
    ) -> tuple[list[Any], BaseException | None]:
        """All chunks of ``stream``/``astream`` and the exception that ended it."""
        out: list[Any] = []
        try:
            if self.is_async:
                async for chunk in graph.astream(inp, config, **kw):
                    out.append(chunk)
            else:
                for chunk in graph.stream(inp, config, **kw):
                    out.append(chunk)
        except Exception as e:
            return out, e
        return out, None

    async def get_state(self, graph: Any, config: Any, **kw: Any) -> Any:
        """``get_state``/``aget_state``."""
        if self.is_async:
            return await graph.aget_state(config, **kw)
        return graph.get_state(config, **kw)

    async def history(self, graph: Any, config: Any, **kw: Any) -> list[Any]:
        """``get_state_history`` as a list, newest first."""
        if self.is_async:
            return [s async for s in _aiter(graph.aget_state_history(config, **kw))]
        return list(graph.get_state_history(config, **kw))

    async def update_state(
        self, graph: Any, config: Any, values: Any, **kw: Any
    ) -> Any:
        """``update_state``/``aupdate_state``."""
        if self.is_async:
            return await graph.aupdate_state(config, values, **kw)
        return graph.update_state(config, values, **kw)


async def _aiter(it: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for x in it:
        yield x


# --------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------


class Recorder:
    """Ordered list of ``(label, normalised value)`` for one library."""

    def __init__(self, lib: Lib, driver: Driver) -> None:
        self.lib = lib
        self.driver = driver
        self.norm = Normalizer()
        self.entries: list[tuple[str, Any]] = []

    def add(self, label: str, value: Any) -> None:
        """Record one observation."""
        self.entries.append((label, self.norm(value)))

    async def call(self, label: str, aw: Awaitable[Any]) -> Any:
        """Await ``aw``; record its result or the exception it raised.

        Returns:
            The result, or the exception instance.
        """
        try:
            v = await aw
        except Exception as e:
            self.add(label, {"raised": e})
            return e
        self.add(label, v)
        return v

    async def stream(
        self,
        label: str,
        graph: Any,
        inp: Any,
        config: Any,
        **kw: Any,
    ) -> tuple[list[Any], BaseException | None]:
        """Record every chunk of one stream and how it ended.

        ``config`` must come from ``Driver.config(..., eager=is_eager(kw))``.
        """
        d = self.driver
        chunks, exc = await d.stream(graph, inp, config, **kw)
        shown = chunks
        if not d.is_async and is_eager(kw):
            tied: list[bool] = []
            shown = canonical_chunks(chunks, kw, tied)
            label += " [canonical order]"
            if tied:
                # Groups equal but for ids came in thread order: which id is
                # which is racy in LangGraph, so this entry compares ids erased.
                erased = Normalizer(erase_ids=True)
                self.entries.append(
                    (label + " [ids erased]", erased({"chunks": shown, "raised": exc}))
                )
                return chunks, exc
        self.add(label, {"chunks": shown, "raised": exc})
        return chunks, exc

    async def state(self, label: str, graph: Any, config: Any, **kw: Any) -> Any:
        """Record ``get_state`` plus how its interrupt ids derive from task ids."""
        snap = await self.call(label, self.driver.get_state(graph, config, **kw))
        if not isinstance(snap, BaseException):
            self.add(label + " interrupt-id derivation", interrupt_id_slots(snap))
        return snap

    async def history(
        self, label: str, graph: Any, config: Any, **kw: Any
    ) -> list[Any]:
        """Record the whole state history, and whether ids sort newest first."""
        hist = await self.call(label, self.driver.history(graph, config, **kw))
        if isinstance(hist, BaseException):
            return []
        ids = [s.config["configurable"]["checkpoint_id"] for s in hist]
        self.add(
            label + " ids unique and descending",
            (len(set(ids)) == len(ids), ids == sorted(ids, reverse=True)),
        )
        return hist

    @contextlib.contextmanager
    def stdout(self, label: str) -> Iterator[None]:
        """Capture what is printed inside the block (``print_mode``, ``debug``)."""
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            yield
        self.add(label, buf.getvalue().splitlines())


def interrupt_id_slots(snap: Any) -> list[Any]:
    """For each pending interrupt of a root task, its LangGraph id derivation.

    LangGraph's interrupt id is ``xxh3_128(ns)`` for a task's first unanswered
    interrupt and ``xxh3_128(f"{ns}|{k}")`` once ``k`` answers are saved, where
    ``ns`` is ``"<node>:<task id>"``.  The ids themselves depend on random
    checkpoint ids, so the tests compare the derivation (``k``, or ``None`` when
    the id is not derived from this task's namespace, e.g. it was raised
    inside a subgraph).
    """
    out: list[Any] = []
    if xxh3_128_hexdigest is None:
        return out
    for t in getattr(snap, "tasks", ()):
        ns = f"{t.name}:{t.id}"
        for i in t.interrupts:
            slot = None
            for k in range(8):
                key = f"{ns}|{k}" if k else ns
                if xxh3_128_hexdigest(key.encode()) == i.id:
                    slot = k
                    break
            out.append((t.name, slot))
    return out


# --------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------


async def resume_rounds(rec: Any, d: Any, lib: Any, graph: Any, config: Any) -> None:
    """Answer a saved run's interrupts (or continue it) for up to six rounds."""
    for rnd in range(6):
        snap = await rec.state(f"get_state {rnd}", graph, config)
        if isinstance(snap, BaseException) or not snap.next:
            break
        if snap.interrupts:
            ans = {i.id: f"a{rnd}:{i.value}" for i in snap.interrupts}
            cmd = lib.Command(resume=ans)
            res = await rec.call(f"resume {rnd}", d.invoke(graph, cmd, config))
        else:
            res = await rec.call(f"continue {rnd}", d.invoke(graph, None, config))
        if type(res).__name__ == "GraphRecursionError":
            break  # each pass may double the state


async def saved_rounds(
    rec: Any, d: Any, lib: Any, saved: Any, inp: Any, kw: dict[str, Any], rl: int
) -> Any:
    """Stream ``inp`` into ``saved`` on thread ``t1``, then ``resume_rounds``.

    Returns the thread's config, its recursion limit cut to 4 when the
    stream hit it (each pass may double the state, see test_random_graphs).
    """
    t1 = d.config(lib, "t1", recursion_limit=rl)
    conf = d.config(lib, "t1", eager=is_eager(kw), recursion_limit=rl)
    _, exc = await rec.stream(f"saved stream {kw}", saved, inp, conf, **kw)
    if type(exc).__name__ == "GraphRecursionError":
        t1 = d.config(lib, "t1", recursion_limit=min(rl, 4))
    await resume_rounds(rec, d, lib, saved, t1)
    return t1


def run_differential(
    program: Program,
    driver: Driver,
    *,
    title: str,
    spec: Any = None,
    repro: str = "",
) -> None:
    """Run ``program`` on the reference and on the library under test; compare.

    Args:
        program: records observations for one library.
        driver: sync or async driver.
        title: names the case in the failure message (e.g. the seed).
        spec: printed in the failure message (the generated graph).
        repro: one command that re-runs just this case.

    Raises:
        AssertionError: with a diff of the first differing observation.
    """
    ref = Lib(REFERENCE)
    sut = Lib(sut_name())
    rec_ref = Recorder(ref, driver)
    rec_sut = Recorder(sut, driver)
    driver.run(program(ref, driver, rec_ref))
    driver.run(program(sut, driver, rec_sut))
    msg = compare(rec_ref.entries, rec_sut.entries, ref.name, sut.name)
    if msg is None:
        return
    head = [f"differential mismatch in {title} ({driver.mode} driver)"]
    if repro:
        head.append(f"reproduce: {repro}")
    if spec is not None:
        head.append("spec: " + json.dumps(spec, separators=(",", ":")))
    raise AssertionError("\n".join([*head, msg]))


def compare(
    a: list[tuple[str, Any]], b: list[tuple[str, Any]], name_a: str, name_b: str
) -> str | None:
    """Describe the first difference between two recordings, or ``None``."""
    bad = [
        i
        for i in range(max(len(a), len(b)))
        if i >= len(a) or i >= len(b) or render(a[i]) != render(b[i])
    ]
    if not bad:
        return None
    i = bad[0]
    la = render(a[i]) if i < len(a) else "<missing>"
    lb = render(b[i]) if i < len(b) else "<missing>"
    diff = list(
        difflib.unified_diff(
            la.splitlines(),
            lb.splitlines(),
            fromfile=name_a,
            tofile=name_b,
            lineterm="",
            n=2,
        )
    )
    if len(diff) > _MAX_DIFF_LINES:
        diff = [*diff[:_MAX_DIFF_LINES], f"... ({len(diff) - _MAX_DIFF_LINES} more)"]
    label = a[i][0] if i < len(a) else b[i][0]
    later = ", ".join(repr(a[j][0] if j < len(a) else b[j][0]) for j in bad[1:6])
    return "\n".join(
        [
            f"first difference at observation #{i}: {label!r}",
            f"({len(a)} observations from {name_a}, {len(b)} from {name_b}; "
            f"{len(bad)} differ{'; next: ' + later if later else ''})",
            *diff,
        ]
    )


def pytest_repro(nodeid: str, seed: int | None = None) -> str:
    """The command that re-runs one test with the current library under test."""
    env = f"SG_DIFF_LIB={sut_name()}"
    if seed is not None:
        env += f" SG_DIFF_SEEDS={seed}"
    return f"{env} {sys.executable} -m pytest -q '{nodeid}'"
