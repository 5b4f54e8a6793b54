"""The functional API (``@entrypoint`` / ``@task``), run differentially.

Each program builds a workflow with the library it is given and records what
a user observes: results, stream chunks, state, history, interrupts and
errors. Calls are awaited one at a time where their order is observable, so
the reference's thread timing does not decide the recording; parallel calls
are checked by their results.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from _harness import Driver, Recorder, pytest_repro, run_differential
from _lib import Lib

MODES = ["updates", "values", "tasks", "checkpoints", "custom"]
SCENARIOS: dict[str, Any] = {}


def scenario(fn: Any) -> Any:
    SCENARIOS[fn.__name__] = fn
    return fn


def conf(thread: str | None = None) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread}} if thread else {}


async def wait(d: Driver, fut: Any) -> Any:
    """The result of a task future, the way a sync or async workflow gets it."""
    return (await fut) if d.is_async else fut.result()


async def run_all(rec: Recorder, d: Driver, wf: Any, inp: Any, thread: str) -> None:
    await rec.call("invoke", d.invoke(wf, inp, conf(thread)))
    await rec.stream("stream", wf, inp, conf(thread + "-s"), stream_mode=MODES)
    await rec.state("state", wf, conf(thread + "-s"))
    await rec.history("history", wf, conf(thread + "-s"))


def workflow(lib: Lib, d: Driver, body: Any, **kw: Any) -> Any:
    """An entrypoint around ``body``; async under the async driver."""
    if d.is_async:

        async def main(inp: Any, previous: Any = None) -> Any:
            return await body(inp, previous)

    else:

        def main(inp: Any, previous: Any = None) -> Any:
            coro = body(inp, previous)
            try:
                coro.send(None)
            except StopIteration as stop:
                return stop.value
            raise AssertionError("sync workflow awaited")

    return lib.entrypoint(**kw)(main)


@scenario
async def sequential_tasks(lib: Lib, d: Driver, rec: Recorder) -> None:
    @lib.task
    def double(x: int) -> int:
        return 2 * x

    @lib.task()
    def add(x: int, y: int = 1) -> int:
        return x + y

    async def body(n: int, previous: Any) -> Any:
        a = await wait(d, double(n))
        b = await wait(d, add(a, y=3))
        return {"a": a, "b": b}

    wf = workflow(lib, d, body, checkpointer=lib.InMemorySaver())
    await run_all(rec, d, wf, 5, "t")


@scenario
async def parallel_results(lib: Lib, d: Driver, rec: Recorder) -> None:
    @lib.task
    def square(x: int) -> int:
        return x * x

    async def body(n: int, previous: Any) -> Any:
        futs = [square(i) for i in range(n)]
        return [await wait(d, f) for f in futs]

    wf = workflow(lib, d, body, checkpointer=lib.InMemorySaver())
    await rec.call("invoke", d.invoke(wf, 6, conf("t")))
    snap = await d.get_state(wf, conf("t"))
    rec.add("final values", snap.values)
    rec.add("steps", [h.metadata["step"] for h in await d.history(wf, conf("t"))])


@scenario
async def interrupt_in_task(lib: Lib, d: Driver, rec: Recorder) -> None:
    calls: list[int] = []

    @lib.task
    def prepare(x: int) -> int:
        calls.append(x)
        return x + 1

    @lib.task
    def ask(x: int) -> Any:
        return lib.interrupt({"q": x})

    async def body(n: int, previous: Any) -> Any:
        a = await wait(d, prepare(n))
        answer = await wait(d, ask(a))
        return {"a": a, "answer": answer}

    wf = workflow(lib, d, body, checkpointer=lib.InMemorySaver())
    await rec.stream("first", wf, 1, conf("t"), stream_mode=MODES)
    await rec.state("paused", wf, conf("t"))
    await rec.stream(
        "resume", wf, lib.Command(resume="yes"), conf("t"), stream_mode=MODES
    )
    await rec.state("done", wf, conf("t"))
    await rec.history("history", wf, conf("t"))
    rec.add("prepare ran", calls)


@scenario
async def interrupt_in_entrypoint(lib: Lib, d: Driver, rec: Recorder) -> None:
    @lib.task
    def draft(topic: str) -> str:
        return f"essay on {topic}"

    async def body(topic: str, previous: Any) -> Any:
        essay = await wait(d, draft(topic))
        review = lib.interrupt({"essay": essay})
        return {"essay": essay, "review": review}

    wf = workflow(lib, d, body, checkpointer=lib.InMemorySaver())
    await rec.call("invoke", d.invoke(wf, "cats", conf("t")))
    await rec.state("paused", wf, conf("t"))
    await rec.call("resume", d.invoke(wf, lib.Command(resume="good"), conf("t")))
    await rec.history("history", wf, conf("t"))


@scenario
async def previous_and_final(lib: Lib, d: Driver, rec: Recorder) -> None:
    async def body(n: int, previous: Any) -> Any:
        return lib.entrypoint.final(value=previous, save=(previous or 0) + n)

    wf = workflow(lib, d, body, checkpointer=lib.InMemorySaver())
    for n in (1, 2, 3):
        await rec.call(f"invoke {n}", d.invoke(wf, n, conf("t")))
    await rec.state("state", wf, conf("t"))
    await rec.history("history", wf, conf("t"))


@scenario
async def task_error_and_retry(lib: Lib, d: Driver, rec: Recorder) -> None:
    attempts: list[int] = []

    @lib.task(
        retry_policy=lib.RetryPolicy(
            max_attempts=3, initial_interval=0.0, jitter=False, retry_on=ValueError
        )
    )
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) < 3:
            raise ValueError("not yet")
        return x

    @lib.task
    def broken(x: int) -> int:
        raise KeyError(f"no {x}")

    async def ok(n: int, previous: Any) -> Any:
        return await wait(d, flaky(n))

    async def bad(n: int, previous: Any) -> Any:
        return await wait(d, broken(n))

    good = workflow(lib, d, ok, checkpointer=lib.InMemorySaver())
    await rec.call("retried", d.invoke(good, 7, conf("t")))
    rec.add("attempts", attempts)
    failing = workflow(lib, d, bad, checkpointer=lib.InMemorySaver())
    await rec.stream("failing", failing, 1, conf("f"), stream_mode=["updates", "tasks"])
    await rec.state("after failure", failing, conf("f"))


@scenario
async def custom_stream_from_task(lib: Lib, d: Driver, rec: Recorder) -> None:
    @lib.task
    def work(x: int) -> int:
        lib.get_stream_writer()({"progress": x})
        return x

    async def body(n: int, previous: Any) -> Any:
        lib.get_stream_writer()("start")
        total = 0
        for i in range(n):
            total += await wait(d, work(i))
        return total

    wf = workflow(lib, d, body)
    await rec.stream("custom", wf, 3, {}, stream_mode=["custom", "updates"])
    await rec.call("invoke", d.invoke(wf, 2, {}))


@scenario
async def task_in_state_graph(lib: Lib, d: Driver, rec: Recorder) -> None:
    from typing_extensions import TypedDict

    class S(TypedDict, total=False):
        x: int
        y: int

    @lib.task
    def inc(v: int) -> int:
        return v + 1

    def node(s: S) -> dict[str, Any]:
        return {"y": inc(s["x"]).result()}

    async def anode(s: S) -> dict[str, Any]:
        return {"y": await inc(s["x"])}

    g = lib.StateGraph(S)
    g.add_node("node", anode if d.is_async else node)
    g.add_edge(lib.START, "node")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await rec.call("invoke", d.invoke(graph, {"x": 1}, conf("t")))
    await rec.stream("stream", graph, {"x": 5}, conf("u"), stream_mode=MODES)
    await rec.history("history", graph, conf("u"))


@scenario
async def nested_tasks(lib: Lib, d: Driver, rec: Recorder) -> None:
    @lib.task
    def leaf(x: int) -> int:
        return x * 10

    @lib.task
    def mid(x: int) -> int:
        return leaf(x).result() + 1

    async def body(n: int, previous: Any) -> Any:
        return await wait(d, mid(n))

    wf = workflow(lib, d, body, checkpointer=lib.InMemorySaver())
    await rec.stream("stream", wf, 4, conf("t"), stream_mode=["updates", "tasks"])
    await rec.state("state", wf, conf("t"))


@scenario
async def cached_task(lib: Lib, d: Driver, rec: Recorder) -> None:
    runs: list[int] = []

    @lib.task(cache_policy=lib.CachePolicy())
    def slow(x: int) -> int:
        runs.append(x)
        return x + 100

    async def body(n: int, previous: Any) -> Any:
        return [await wait(d, slow(n)), await wait(d, slow(n + 1))]

    wf = workflow(lib, d, body, cache=lib.InMemoryCache())
    await rec.stream("first", wf, 1, {}, stream_mode=["updates"])
    await rec.stream("again", wf, 1, {}, stream_mode=["updates"])
    rec.add("runs", runs)


@scenario
async def entrypoint_errors(lib: Lib, d: Driver, rec: Recorder) -> None:
    def no_params() -> None:
        return None

    def gen(x: int) -> Any:
        yield x

    for name, fn in (("no params", no_params), ("generator", gen)):
        try:
            lib.entrypoint()(fn)
        except Exception as exc:
            rec.add(name, {"raised": exc})

    @lib.task
    def t(x: int) -> int:
        return x

    try:
        t(1)
    except Exception as exc:
        rec.add("task outside a run", {"raised": exc})


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_func_scenario(
    name: str, driver: Driver, request: pytest.FixtureRequest
) -> None:
    run_differential(
        SCENARIOS[name],
        driver,
        title=f"functional scenario {name}",
        repro=pytest_repro(request.node.nodeid),
    )


def test_async_gather_of_tasks() -> None:
    from stategraph.func import entrypoint, task

    @task
    async def slow(x: int) -> int:
        await asyncio.sleep(0)
        return x + 1

    @entrypoint()
    async def main(n: int) -> list[int]:
        return list(await asyncio.gather(*[slow(i) for i in range(n)]))

    assert asyncio.run(main.ainvoke(4)) == [1, 2, 3, 4]
