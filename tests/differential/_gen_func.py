"""Seeded random programs of the functional API (``entrypoint`` / ``task``).

``gen_func_spec(seed)`` draws tasks (some interrupt, are flaky under a retry
policy, are cached, write to the custom stream, fail, or call later tasks) and
an entrypoint body: a list of operations (a sequential task call, a parallel
fan-out of task calls, an ``interrupt()`` or a custom write in the entrypoint
itself), ending in a plain return, ``entrypoint.final`` or a return that reads
``previous``.  ``build_func(lib, spec, ctx, is_async)`` makes the workflow;
under the async driver tasks and entrypoint are coroutines.

Race-free by construction: a task that fails or interrupts is only ever called
alone (never in a parallel fan-out): under the sync driver LangGraph runs a
fan-out on its thread pool, and which sibling's failure or interrupt the
entrypoint sees first, and how far the others got, depends on timing.
"""

from __future__ import annotations

import random
from typing import Any

from _gen_ext import Ctx, Flaky

_NAMES = ["fetch", "parse", "rank", "score", "merge", "split", "check", "tidy"]


def gen_func_spec(seed: int) -> dict[str, Any]:
    """Draw one functional program as JSON-able data."""
    rng = random.Random(seed * 65537 + 11)
    n = rng.randint(1, 5)
    names = rng.sample(_NAMES, n)
    tasks = []
    for i, name in enumerate(names):
        later = list(range(i + 1, n))
        tasks.append(
            {
                "name": name,
                "intr": rng.random() < 0.25,
                "flaky": rng.choice([0, 0, 0, 1, 2]),
                "cache": rng.random() < 0.2,
                "writer": rng.random() < 0.25,
                "raises": rng.random() < 0.08,
                "sub": rng.sample(later, rng.randint(0, min(2, len(later))))
                if later and rng.random() < 0.3
                else [],
            }
        )
    safe = [i for i, t in enumerate(tasks) if not _may_raise(tasks, i)]
    ops: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 5)):
        r = rng.random()
        if r < 0.45:
            ops.append({"op": "call", "t": rng.randrange(n), "arg": rng.randint(0, 9)})
        elif r < 0.7 and safe:
            k = rng.randint(2, 3)
            ops.append({"op": "par", "ts": [rng.choice(safe) for _ in range(k)]})
        elif r < 0.85:
            ops.append({"op": "intr"})
        else:
            ops.append({"op": "write"})
    for op in ops:
        if op["op"] == "par":
            _cap_threads(tasks, op["ts"])
    return {
        "seed": seed,
        "tasks": tasks,
        "ops": ops,
        "end": rng.choice(["plain", "final", "prev"]),
        "durability": rng.choice([None, "sync", "async", "exit"]),
    }


# Worker threads a fan-out may hold at once. Under the sync driver LangGraph
# runs each task call on its pool (``cpu_count() + 4`` threads by default) and
# a task waiting for the tasks it calls holds its thread: a wider fan-out of
# deep calls deadlocks it on a small machine (resume fuzzer seed 100450).
_FAN_OUT_THREADS = 4


def _depth(tasks: list[dict[str, Any]], i: int) -> int:
    """Threads task ``i`` holds at once: its own and those of its deepest call."""
    return 1 + max((_depth(tasks, j) for j in tasks[i]["sub"]), default=0)


def _cap_threads(tasks: list[dict[str, Any]], ts: list[int]) -> None:
    """Drop a fan-out's last calls until it holds few enough threads."""
    while len(ts) > 1 and sum(_depth(tasks, i) for i in ts) > _FAN_OUT_THREADS:
        ts.pop()


def _may_raise(tasks: list[dict[str, Any]], i: int) -> bool:
    """Whether task ``i`` (or one it calls) fails or interrupts."""
    t = tasks[i]
    return t["raises"] or t["intr"] or any(_may_raise(tasks, j) for j in t["sub"])


def build_func(lib: Any, spec: dict[str, Any], ctx: Ctx, is_async: bool) -> Any:
    """The entrypoint of ``spec``, compiled with a saver (and a cache)."""
    made: dict[int, Any] = {}
    for i in reversed(range(len(spec["tasks"]))):
        made[i] = _make_task(lib, spec["tasks"][i], made, ctx, is_async)
    kw: dict[str, Any] = {"checkpointer": lib.InMemorySaver()}
    if any(t["cache"] for t in spec["tasks"]):
        kw["cache"] = lib.InMemoryCache()
    body = _body(lib, spec, made, is_async)
    if is_async:

        async def amain(inp: Any, previous: Any = None) -> Any:
            return await body(inp, previous)

        return lib.entrypoint(**kw)(amain)

    def main(inp: Any, previous: Any = None) -> Any:
        return _step(body(inp, previous))

    return lib.entrypoint(**kw)(main)


def _step(coro: Any) -> Any:
    """Run a coroutine that never suspends (the sync flavour of a body)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError("sync body awaited a real awaitable")


async def _result(fut: Any, is_async: bool) -> Any:
    return (await fut) if is_async else fut.result()


def _make_task(
    lib: Any, t: dict[str, Any], made: dict[int, Any], ctx: Ctx, is_async: bool
) -> Any:
    name = t["name"]
    kw: dict[str, Any] = {"name": name}
    if t["flaky"]:
        kw["retry_policy"] = lib.RetryPolicy(
            initial_interval=0.0, jitter=False, max_attempts=t["flaky"] + 1
        )
    if t["cache"]:
        kw["cache_policy"] = lib.CachePolicy()

    async def work(x: str) -> str:
        ctx.called(name)
        if t["writer"]:
            lib.get_stream_writer()(f"{name}:{x}")
        if t["flaky"]:
            n = ctx.attempts[(name, x)] = ctx.attempts.get((name, x), 0) + 1
            if n <= t["flaky"]:
                raise Flaky(f"flaky {name}({x}) attempt {n}")
        if t["raises"]:
            raise ValueError(f"{name}({x}) failed")
        parts = [f"{name}({x})"]
        for j in t["sub"]:  # one at a time: a failing call cuts off no sibling
            parts.append(await _result(made[j](f"{x}/{name}"), is_async))
        if t["intr"]:
            parts.append(str(lib.interrupt(f"{name}?{x}")))
        return "+".join(parts)

    if is_async:

        async def afn(x: str) -> str:
            return await work(x)

        afn.__name__ = name
        return lib.task(**kw)(afn)

    def fn(x: str) -> str:
        return _step(work(x))  # type: ignore[no-any-return]

    fn.__name__ = name
    return lib.task(**kw)(fn)


def _body(lib: Any, spec: dict[str, Any], made: dict[int, Any], is_async: bool) -> Any:
    async def body(inp: Any, previous: Any) -> Any:
        out: list[str] = [f"in={inp}"]
        for op in spec["ops"]:
            kind = op["op"]
            if kind == "call":
                fut = made[op["t"]](f"{op['arg']}:{len(out)}")
                out.append(await _result(fut, is_async))
            elif kind == "par":
                futs = [made[i](f"p{k}:{len(out)}") for k, i in enumerate(op["ts"])]
                out.extend([await _result(f, is_async) for f in futs])
            elif kind == "intr":
                out.append(str(lib.interrupt(f"main?{len(out)}")))
            else:
                lib.get_stream_writer()(f"main:{len(out)}")
        if spec["end"] == "final":
            return lib.entrypoint.final(value=out, save=len(out))
        if spec["end"] == "prev":
            return {"prev": previous, "out": out}
        return out

    return body
