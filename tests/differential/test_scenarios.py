"""Hand-written scenarios of documented LangGraph behaviour, run differentially.

Each scenario is a program (see ``_harness``) that builds one documented
pattern with the library it is given -- map-reduce with ``Send``, human-in-the-
loop approval, time travel, ``update_state(as_node=...)``, ``Command.PARENT``,
input/output schemas, private channels, pydantic and dataclass state, retries,
node caching, deferred nodes, recursion limits, durability modes, custom
streams, ``print_mode`` ... -- and records what a user observes.  Every
scenario runs under the sync and the async driver.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Annotated, Any

import pytest
from _harness import Driver, Recorder, pytest_repro, run_differential
from _lib import Lib
from pydantic import BaseModel
from typing_extensions import TypedDict

Scenario = Callable[[Lib, Driver, Recorder], Any]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    """Register a scenario under its function name."""
    SCENARIOS[fn.__name__] = fn
    return fn


# --------------------------------------------------------------------------
# schemas (module level, so type hints resolve for schema inference)
# --------------------------------------------------------------------------


class Log(TypedDict, total=False):
    log: Annotated[list, operator.add]
    last: str
    n: int


class MapReduce(TypedDict, total=False):
    topic: str
    subjects: list[str]
    jokes: Annotated[list, operator.add]
    best: str


class JokeIn(TypedDict):
    subject: str


class Approval(TypedDict, total=False):
    draft: str
    status: str
    log: Annotated[list, operator.add]


class QIn(TypedDict):
    question: str


class AOut(TypedDict):
    answer: str


class Overall(TypedDict, total=False):
    question: str
    answer: str
    notes: Annotated[list, operator.add]


class Secret(TypedDict):
    secret: str


class PState(BaseModel):
    name: str = "anon"
    count: int = 0
    items: Annotated[list[str], operator.add] = []


@dataclasses.dataclass
class DState:
    name: str = "anon"
    items: Annotated[list, operator.add] = dataclasses.field(default_factory=list)
    score: int = 0


@dataclasses.dataclass
class Ctx:
    user: str = "nobody"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _append(name: str) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        return {"log": [f"{name}:{len(state.get('log') or [])}"]}

    node.__name__ = name
    return node


def _chain(lib: Lib, names: list[str], schema: Any = Log, **kw: Any) -> Any:
    g = lib.StateGraph(schema, **kw)
    prev = lib.START
    for n in names:
        g.add_node(n, _append(n))
        g.add_edge(prev, n)
        prev = n
    return g


async def observe(
    rec: Recorder,
    d: Driver,
    lib: Lib,
    graph: Any,
    inp: Any,
    *,
    thread: str | None = None,
    label: str = "",
    **extra: Any,
) -> None:
    """invoke, stream updates+values(+checkpoints), then state and history."""
    conf = d.config(lib, thread, **extra)
    await rec.call(f"{label}invoke", d.invoke(graph, inp, conf))
    modes = ["updates", "values", "tasks"]
    if thread is not None:
        modes.append("checkpoints")
        conf = d.config(lib, thread + "-stream", **extra)
    await rec.stream(f"{label}stream {modes}", graph, inp, conf, stream_mode=modes)
    if thread is not None:
        await rec.state(f"{label}get_state", graph, conf)
        await rec.history(f"{label}history", graph, conf)


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------


@scenario
async def map_reduce_send(lib: Lib, d: Driver, rec: Recorder) -> None:
    def gen(s: MapReduce) -> dict[str, Any]:
        return {"subjects": [f"{s['topic']}-{i}" for i in range(4)]}

    def fan(s: MapReduce) -> list[Any]:
        return [lib.Send("joke", {"subject": x}) for x in s["subjects"]]

    def joke(s: JokeIn) -> dict[str, Any]:
        return {"jokes": [f"joke about {s['subject']}"]}

    def best(s: MapReduce) -> dict[str, Any]:
        return {"best": max(s["jokes"])}

    g = lib.StateGraph(MapReduce)
    g.add_node("gen", gen)
    g.add_node("joke", joke)
    g.add_node("best", best)
    g.add_edge(lib.START, "gen")
    g.add_conditional_edges("gen", fan, ["joke"])
    g.add_edge("joke", "best")
    g.add_edge("best", lib.END)
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"topic": "cats"}, thread="t")
    await rec.stream(
        "debug", graph, {"topic": "dogs"}, d.config(lib, "t2"), stream_mode="debug"
    )


@scenario
async def hitl_approval(lib: Lib, d: Driver, rec: Recorder) -> None:
    def write(s: Approval) -> dict[str, Any]:
        return {"draft": "v1", "log": ["write"]}

    def approve(s: Approval) -> dict[str, Any]:
        ans = lib.interrupt({"question": "approve?", "draft": s["draft"]})
        status = "approved" if ans == "yes" else "rejected"
        return {"status": status, "log": [f"approve:{ans}"]}

    def publish(s: Approval) -> dict[str, Any]:
        return {"log": [f"publish:{s['status']}"]}

    g = lib.StateGraph(Approval)
    for name, fn in (("write", write), ("approve", approve), ("publish", publish)):
        g.add_node(name, fn)
    g.add_edge(lib.START, "write")
    g.add_edge("write", "approve")
    g.add_edge("approve", "publish")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    await rec.call("invoke", d.invoke(graph, {"log": []}, t))
    await rec.state("paused state", graph, t)
    await rec.stream(
        "resume",
        graph,
        lib.Command(resume="yes"),
        t,
        stream_mode=["updates", "values"],
    )
    await rec.state("final state", graph, t)
    await rec.history("history", graph, t)
    t2 = d.config(lib, "t2")
    await rec.stream("v2 start", graph, {"log": []}, t2, version="v2")
    await rec.call(
        "v2 resume", d.invoke(graph, lib.Command(resume="no"), t2, version="v2")
    )


@scenario
async def hitl_parallel_resume_map(lib: Lib, d: Driver, rec: Recorder) -> None:
    def ask(name: str) -> Callable[[Any], Any]:
        def node(s: Log) -> dict[str, Any]:
            ans = lib.interrupt(f"{name}?")
            return {"log": [f"{name}={ans}"]}

        return node

    g = lib.StateGraph(Log)
    g.add_node("left", ask("left"))
    g.add_node("right", ask("right"))
    g.add_node("plain", _append("plain"))
    g.add_node("join", _append("join"))
    for n in ("left", "right", "plain"):
        g.add_edge(lib.START, n)
    g.add_edge(["left", "right", "plain"], "join")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    out = await rec.call("invoke", d.invoke(graph, {"log": []}, t))
    snap = await rec.state("paused", graph, t)
    await rec.call(
        "bare resume is ambiguous", d.invoke(graph, lib.Command(resume="x"), t)
    )
    answers = {i.id: f"answer to {i.value}" for i in snap.interrupts}
    await rec.stream(
        "resume map", graph, lib.Command(resume=answers), t, stream_mode="updates"
    )
    await rec.state("done", graph, t)
    await rec.history("history", graph, t)
    rec.add("interrupt ids equal in output and state", _ids(out) == _ids(snap))


def _ids(x: Any) -> list[str]:
    items = x["__interrupt__"] if isinstance(x, dict) else x.interrupts
    return sorted(i.id for i in items)


@scenario
async def multiple_interrupts_in_one_node(lib: Lib, d: Driver, rec: Recorder) -> None:
    def form(s: Log) -> dict[str, Any]:
        name = lib.interrupt("name?")
        age = lib.interrupt(f"age of {name}?")
        ok = lib.interrupt({"confirm": [name, age]})
        return {"log": [f"{name}/{age}/{ok}"]}

    g = lib.StateGraph(Log)
    g.add_node("form", form)
    g.add_edge(lib.START, "form")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    await rec.call("start", d.invoke(graph, {"log": []}, t))
    for k, ans in enumerate(["ada", 36, True]):
        await rec.state(f"pending {k}", graph, t)
        await rec.call(f"answer {k}", d.invoke(graph, lib.Command(resume=ans), t))
    await rec.history("history", graph, t)


@scenario
async def time_travel_fork(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = _chain(lib, ["a", "b", "c"]).compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    await rec.call("invoke", d.invoke(graph, {"log": []}, t))
    hist = await rec.history("history", graph, t)
    before_b = next(s for s in hist if s.next == ("b",))
    past = d.config(lib)
    past["configurable"] = dict(before_b.config["configurable"])
    await rec.stream(
        "replay from before b", graph, None, past, stream_mode=["updates", "values"]
    )
    await rec.history("history after replay", graph, t)
    forked = await rec.call(
        "update_state on the past checkpoint",
        d.update_state(graph, past, {"log": ["edited"]}),
    )
    conf = d.config(lib)
    conf["configurable"] = dict(forked["configurable"])
    await rec.call("continue the fork", d.invoke(graph, None, conf))
    await rec.state("latest", graph, t)
    await rec.history("history after fork", graph, t)


@scenario
async def update_state_as_node(lib: Lib, d: Driver, rec: Recorder) -> None:
    def route(s: Log) -> str:
        return "good" if s.get("last") == "ok" else "bad"

    g = lib.StateGraph(Log)
    g.add_node("check", _append("check"))
    g.add_node("good", _append("good"))
    g.add_node("bad", _append("bad"))
    g.add_edge(lib.START, "check")
    g.add_conditional_edges("check", route, ["good", "bad"])
    graph = g.compile(
        checkpointer=lib.InMemorySaver(), interrupt_before=["good", "bad"]
    )
    t = d.config(lib, "t")
    await rec.call("until breakpoint", d.invoke(graph, {"log": []}, t))
    await rec.state("at breakpoint", graph, t)
    await rec.call(
        "update as check",
        d.update_state(graph, t, {"last": "ok", "log": ["human"]}, as_node="check"),
    )
    await rec.state("after update", graph, t)
    await rec.call("continue", d.invoke(graph, None, t))
    await rec.call("update inferred", d.update_state(graph, t, {"log": ["again"]}))
    await rec.call(
        "update as unknown node",
        d.update_state(graph, t, {"log": ["x"]}, as_node="nope"),
    )
    await rec.call(
        "update as __copy__", d.update_state(graph, t, None, as_node="__copy__")
    )
    await rec.history("history", graph, t)


@scenario
async def update_state_ambiguous(lib: Lib, d: Driver, rec: Recorder) -> None:
    g = lib.StateGraph(Log)
    for n in ("a", "b", "c"):
        g.add_node(n, _append(n))
    g.add_edge(lib.START, "a")
    g.add_edge(lib.START, "b")
    g.add_edge(["a", "b"], "c")
    graph = g.compile(checkpointer=lib.InMemorySaver(), interrupt_before=["c"])
    t = d.config(lib, "t")
    await rec.call("invoke", d.invoke(graph, {"log": []}, t))
    await rec.call("update inferred", d.update_state(graph, t, {"log": ["h"]}))
    await rec.call(
        "update as END clears tasks", d.update_state(graph, t, None, as_node=lib.END)
    )
    await rec.state("state", graph, t)
    await rec.history("history", graph, t)


@scenario
async def command_parent_from_subgraph(lib: Lib, d: Driver, rec: Recorder) -> None:
    def escalate(s: Log) -> Any:
        return lib.Command(
            graph=lib.Command.PARENT, goto="handler", update={"log": ["escalated"]}
        )

    sub = lib.StateGraph(Log)
    sub.add_node("inner", _append("inner"))
    sub.add_node("escalate", escalate)
    sub.add_edge(lib.START, "inner")
    sub.add_edge("inner", "escalate")
    g = lib.StateGraph(Log)
    g.add_node("child", sub.compile())
    g.add_node("handler", _append("handler"))
    g.add_node("never", _append("never"))
    g.add_edge(lib.START, "child")
    g.add_edge("child", "never")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"log": []}, thread="t")
    await rec.stream(
        "subgraphs",
        graph,
        {"log": []},
        d.config(lib, "t3", eager=True),
        stream_mode=["updates", "values"],
        subgraphs=True,
    )


@scenario
async def command_goto_with_destinations(lib: Lib, d: Driver, rec: Recorder) -> None:
    def decide(s: Log) -> Any:
        n = len(s.get("log") or [])
        if n == 0:
            return lib.Command(goto=["left", "right"], update={"log": ["fan"]})
        return lib.Command(goto=lib.Send("left", {"log": ["sent"]}), update={"n": n})

    g = lib.StateGraph(Log)
    g.add_node("decide", decide, destinations=("left", "right"))
    g.add_node("left", _append("left"))
    g.add_node("right", _append("right"))
    g.add_edge(lib.START, "decide")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"log": []}, thread="t")
    await observe(rec, d, lib, graph, {"log": ["seed"]}, thread="u", label="2: ")


@scenario
async def command_as_input(lib: Lib, d: Driver, rec: Recorder) -> None:
    def ask(s: Log) -> dict[str, Any]:
        return {"log": [f"ask:{lib.interrupt('go?')}"]}

    g = lib.StateGraph(Log)
    g.add_node("ask", ask)
    g.add_node("other", _append("other"))
    g.add_edge(lib.START, "ask")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    await rec.call("start", d.invoke(graph, {"log": []}, t))
    cmd = lib.Command(resume="yes", update={"last": "from resume"})
    await rec.stream("resume+update", graph, cmd, t, stream_mode="values")
    cmd2 = lib.Command(goto="other", update={"log": ["jump"]})
    await rec.stream("goto as input", graph, cmd2, t, stream_mode="updates")
    await rec.history("history", graph, t)


@scenario
async def input_output_schemas(lib: Lib, d: Driver, rec: Recorder) -> None:
    def think(s: Overall) -> dict[str, Any]:
        return {"notes": [f"thinking about {s['question']}"]}

    def answer(s: Overall) -> dict[str, Any]:
        return {"answer": f"{s['question']}! ({len(s['notes'])} notes)"}

    g = lib.StateGraph(Overall, input_schema=QIn, output_schema=AOut)
    g.add_node("think", think)
    g.add_node("answer", answer)
    g.add_edge(lib.START, "think")
    g.add_edge("think", "answer")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"question": "why", "notes": ["x"]}, thread="t")


@scenario
async def private_channels(lib: Lib, d: Driver, rec: Recorder) -> None:
    def a(s: Overall) -> Secret:
        return {"secret": f"s({s['question']})"}

    def b(s: Secret) -> AOut:
        return {"answer": s["secret"] + "!"}

    g = lib.StateGraph(Overall)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(lib.START, "a")
    g.add_edge("a", "b")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"question": "q"}, thread="t")


@scenario
async def pydantic_state(lib: Lib, d: Driver, rec: Recorder) -> None:
    def greet(s: PState) -> dict[str, Any]:
        return {"items": [f"hi {s.name}"], "count": s.count + 1}

    def again(s: PState) -> dict[str, Any]:
        return {"items": [f"n={len(s.items)}"], "count": s.count + 1}

    g = lib.StateGraph(PState)
    g.add_node("greet", greet)
    g.add_node("again", again)
    g.add_edge(lib.START, "greet")
    g.add_edge("greet", "again")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"name": "ada"}, thread="t")
    await rec.stream(
        "v2 values",
        graph,
        PState(name="bob"),
        d.config(lib, "t2"),
        stream_mode=["values", "updates"],
        version="v2",
    )
    await rec.call(
        "invoke v2", d.invoke(graph, {"name": "cy"}, d.config(lib, "t3"), version="v2")
    )
    await rec.call(
        "invalid input", d.invoke(graph, {"count": "many"}, d.config(lib, "t4"))
    )


@scenario
async def dataclass_state(lib: Lib, d: Driver, rec: Recorder) -> None:
    def first(s: DState) -> dict[str, Any]:
        return {"items": [s.name], "score": s.score + 10}

    def second(s: DState) -> dict[str, Any]:
        return {"items": [f"{len(s.items)}"], "score": s.score * 2}

    g = lib.StateGraph(DState)
    g.add_node("first", first)
    g.add_node("second", second)
    g.add_edge(lib.START, "first")
    g.add_edge("first", "second")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"name": "dc"}, thread="t")
    await rec.stream(
        "v2",
        graph,
        DState(name="x"),
        d.config(lib, "t2"),
        stream_mode="values",
        version="v2",
    )


@scenario
async def retry_policy(lib: Lib, d: Driver, rec: Recorder) -> None:
    # default retry_on retries ConnectionError; ValueError only when asked to
    cases = [
        ("recovers", 3, ConnectionError, {}),
        ("exhausted", 2, ValueError, {"retry_on": ValueError}),
    ]
    for label, max_attempts, exc_type, extra in cases:
        calls = {"n": 0}

        def flaky(
            s: Log, calls: dict[str, int] = calls, exc_type: type = exc_type
        ) -> dict[str, Any]:
            calls["n"] += 1
            if calls["n"] < 3:
                raise exc_type(f"flaky attempt {calls['n']}")
            return {"log": [f"ok after {calls['n']}"]}

        policy = lib.RetryPolicy(
            max_attempts=max_attempts, initial_interval=0.001, jitter=False, **extra
        )
        g = lib.StateGraph(Log)
        g.add_node("flaky", flaky, retry_policy=policy)
        g.add_node("after", _append("after"))
        g.add_edge(lib.START, "flaky")
        g.add_edge("flaky", "after")
        graph = g.compile(checkpointer=lib.InMemorySaver())
        t = d.config(lib, label)
        await rec.stream(
            label, graph, {"log": []}, t, stream_mode=["updates", "tasks", "values"]
        )
        rec.add(f"{label}: calls", calls["n"])
        await rec.state(f"{label}: state", graph, t)
        await rec.history(f"{label}: history", graph, t)


@scenario
async def retry_on_filter(lib: Lib, d: Driver, rec: Recorder) -> None:
    calls = {"n": 0}

    def picky(s: Log) -> dict[str, Any]:
        calls["n"] += 1
        raise KeyError(f"not retried {calls['n']}")

    policy = lib.RetryPolicy(
        max_attempts=5, initial_interval=0.001, jitter=False, retry_on=ValueError
    )
    g = lib.StateGraph(Log)
    g.add_node("picky", picky, retry_policy=policy)
    g.add_edge(lib.START, "picky")
    graph = g.compile()
    await rec.call("invoke", d.invoke(graph, {"log": []}, d.config(lib)))
    rec.add("calls", calls["n"])


@scenario
async def node_cache(lib: Lib, d: Driver, rec: Recorder) -> None:
    calls = {"n": 0}

    def expensive(s: Log) -> dict[str, Any]:
        calls["n"] += 1
        return {"log": [f"computed {s.get('last')}"]}

    g = lib.StateGraph(Log)
    g.add_node("expensive", expensive, cache_policy=lib.CachePolicy())
    g.add_node("cheap", _append("cheap"))
    g.add_edge(lib.START, "expensive")
    g.add_edge("expensive", "cheap")
    graph = g.compile(cache=lib.InMemoryCache())
    for k, inp in enumerate(
        [{"last": "x"}, {"last": "x"}, {"last": "y"}, {"last": "x"}]
    ):
        await rec.stream(
            f"run {k} {inp}",
            graph,
            inp,
            d.config(lib),
            stream_mode=["updates", "values"],
        )
        rec.add(f"calls after run {k}", calls["n"])


@scenario
async def deferred_node(lib: Lib, d: Driver, rec: Recorder) -> None:
    for defer in (False, True):
        g = lib.StateGraph(Log)
        for n in ("a", "a2", "b"):
            g.add_node(n, _append(n))
        g.add_node("final", _append("final"), defer=defer)
        g.add_edge(lib.START, "a")
        g.add_edge(lib.START, "b")
        g.add_edge("a", "a2")
        g.add_edge("a2", "final")
        g.add_edge("b", "final")
        graph = g.compile(checkpointer=lib.InMemorySaver())
        await observe(
            rec, d, lib, graph, {"log": []}, thread=f"t{defer}", label=f"defer={defer} "
        )


@scenario
async def recursion_limit(lib: Lib, d: Driver, rec: Recorder) -> None:
    def route(s: Log) -> str:
        return "a"

    g = lib.StateGraph(Log)
    g.add_node("a", _append("a"))
    g.add_node("b", _append("b"))
    g.add_edge(lib.START, "a")
    g.add_edge("a", "b")
    g.add_conditional_edges("b", route, ["a"])
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"log": []}, thread="t", recursion_limit=5)
    await rec.call(
        "limit 1",
        d.invoke(graph, {"log": []}, d.config(lib, "t1", recursion_limit=1)),
    )


@scenario
async def durability_modes(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = _chain(lib, ["a", "b", "c"]).compile(checkpointer=lib.InMemorySaver())
    for mode in ("sync", "async", "exit"):
        t = d.config(lib, mode)
        await rec.stream(
            f"durability={mode}",
            graph,
            {"log": []},
            t,
            stream_mode=["updates", "checkpoints"],
            durability=mode,
        )
        await rec.history(f"durability={mode} history", graph, t)


@scenario
async def custom_stream_writer(lib: Lib, d: Driver, rec: Recorder) -> None:
    def work(s: Log) -> dict[str, Any]:
        write = lib.get_stream_writer()
        for i in range(3):
            write({"progress": i, "of": "work"})
        write("done")
        return {"log": ["work"]}

    g = lib.StateGraph(Log)
    g.add_node("work", work)
    g.add_node("after", _append("after"))
    g.add_edge(lib.START, "work")
    g.add_edge("work", "after")
    graph = g.compile()
    for kw in (
        {"stream_mode": "custom"},
        {"stream_mode": ["custom", "updates"]},
        {"stream_mode": ["custom", "values"], "version": "v2"},
        {"stream_mode": "updates"},
    ):
        conf = d.config(lib, eager=True)
        await rec.stream(f"{kw}", graph, {"log": []}, conf, **kw)


@scenario
async def print_mode(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = _chain(lib, ["a", "b"]).compile(checkpointer=lib.InMemorySaver())
    with rec.stdout("printed"):
        await rec.stream(
            "stream values, print updates+checkpoints",
            graph,
            {"log": []},
            d.config(lib, "t"),
            stream_mode="values",
            print_mode=["updates", "checkpoints"],
        )


@scenario
async def invalid_updates(lib: Lib, d: Driver, rec: Recorder) -> None:
    def writes_last(s: Log) -> dict[str, Any]:
        return {"last": "x"}

    g = lib.StateGraph(Log)
    g.add_node("a", writes_last)
    g.add_node("b", writes_last)
    g.add_edge(lib.START, "a")
    g.add_edge(lib.START, "b")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"log": []}, thread="t")

    def not_a_dict(s: Log) -> Any:
        return 42

    g2 = lib.StateGraph(Log)
    g2.add_node("bad", not_a_dict)
    g2.add_edge(lib.START, "bad")
    await rec.call(
        "non-dict update", d.invoke(g2.compile(), {"log": []}, d.config(lib))
    )


@scenario
async def empty_input_and_missing_checkpointer(
    lib: Lib, d: Driver, rec: Recorder
) -> None:
    graph = _chain(lib, ["a"]).compile()
    await rec.call("invoke(None)", d.invoke(graph, None, d.config(lib)))
    saved = _chain(lib, ["a"]).compile(checkpointer=lib.InMemorySaver())
    await rec.call(
        "invoke(None) on empty thread", d.invoke(saved, None, d.config(lib, "t"))
    )

    def ask(s: Log) -> dict[str, Any]:
        return {"log": [lib.interrupt("q")]}

    g = lib.StateGraph(Log)
    g.add_node("ask", ask)
    g.add_edge(lib.START, "ask")
    await rec.call(
        "interrupt without checkpointer",
        d.invoke(g.compile(), {"log": []}, d.config(lib)),
    )
    await rec.call(
        "saver without thread_id", d.invoke(saved, {"log": []}, d.config(lib))
    )


@scenario
async def overwrite_bypasses_reducer(lib: Lib, d: Driver, rec: Recorder) -> None:
    def reset(s: Log) -> dict[str, Any]:
        return {"log": lib.Overwrite(["reset"])}

    g = lib.StateGraph(Log)
    g.add_node("a", _append("a"))
    g.add_node("reset", reset)
    g.add_node("b", _append("b"))
    g.add_edge(lib.START, "a")
    g.add_edge("a", "reset")
    g.add_edge("reset", "b")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    await observe(rec, d, lib, graph, {"log": ["x", "y"]}, thread="t")


@scenario
async def history_filters(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = _chain(lib, ["a", "b", "c", "e"]).compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    await rec.call("invoke", d.invoke(graph, {"log": []}, t))
    hist = await rec.history("all", graph, t)
    await rec.history("limit=2", graph, t, limit=2)
    await rec.history("before history[2]", graph, t, before=hist[2].config)
    await rec.history("filter source=loop", graph, t, filter={"source": "loop"})
    await rec.history("filter step=1", graph, t, filter={"step": 1})
    conf = d.config(lib)
    conf["configurable"] = dict(hist[3].config["configurable"])
    await rec.state("get_state at a past checkpoint", graph, conf)


@scenario
async def subgraph_interrupt(lib: Lib, d: Driver, rec: Recorder) -> None:
    def sub_ask(s: Log) -> dict[str, Any]:
        return {"log": [f"sub got {lib.interrupt('inner question')}"]}

    sub = lib.StateGraph(Log)
    sub.add_node("prep", _append("prep"))
    sub.add_node("sub_ask", sub_ask)
    sub.add_edge(lib.START, "prep")
    sub.add_edge("prep", "sub_ask")
    g = lib.StateGraph(Log)
    g.add_node("before", _append("before"))
    g.add_node("child", sub.compile())
    g.add_node("after", _append("after"))
    g.add_edge(lib.START, "before")
    g.add_edge("before", "child")
    g.add_edge("child", "after")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    t = d.config(lib, "t")
    await rec.stream(
        "start",
        graph,
        {"log": []},
        d.config(lib, "t", eager=True),
        stream_mode=["updates", "values"],
        subgraphs=True,
    )
    snap = await rec.state("parent state with subgraphs", graph, t, subgraphs=True)
    child_conf = snap.tasks[0].state
    if isinstance(child_conf, dict):
        await rec.state("child state", graph, child_conf)
    await rec.call("resume", d.invoke(graph, lib.Command(resume="yes"), t))
    await rec.state("final", graph, t, subgraphs=True)
    await rec.history("history", graph, t)


@scenario
async def nested_subgraph_streaming(lib: Lib, d: Driver, rec: Recorder) -> None:
    inner = _chain(lib, ["i1", "i2"]).compile()
    mid = lib.StateGraph(Log)
    mid.add_node("m1", _append("m1"))
    mid.add_node("inner", inner)
    mid.add_edge(lib.START, "m1")
    mid.add_edge("m1", "inner")
    g = lib.StateGraph(Log)
    g.add_node("mid", mid.compile())
    g.add_node("tail", _append("tail"))
    g.add_edge(lib.START, "mid")
    g.add_edge("mid", "tail")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    for k, kw in enumerate(
        [
            {"stream_mode": ["updates", "values"], "subgraphs": True},
            {"stream_mode": "debug", "subgraphs": True},
            {"stream_mode": ["checkpoints", "tasks"], "subgraphs": True},
            {"stream_mode": ["updates"], "subgraphs": True, "version": "v2"},
        ]
    ):
        conf = d.config(lib, f"t{k}", eager=True)
        await rec.stream(f"{kw}", graph, {"log": []}, conf, **kw)
    await rec.history("history", graph, d.config(lib, "t0"))
    await rec.state("state subgraphs", graph, d.config(lib, "t0"), subgraphs=True)


@scenario
async def invoke_output_shapes(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = _chain(lib, ["a", "b"]).compile(checkpointer=lib.InMemorySaver())
    for k, kw in enumerate(
        [
            {"stream_mode": "updates"},
            {"stream_mode": ["updates", "values"]},
            {"version": "v2"},
            {"output_keys": ["log"]},
            {"output_keys": "log"},
            {"interrupt_before": ["b"]},
            {"interrupt_after": ["a"]},
        ]
    ):
        await rec.call(
            f"invoke {kw}", d.invoke(graph, {"log": []}, d.config(lib, f"t{k}"), **kw)
        )


@scenario
async def messages_state(lib: Lib, d: Driver, rec: Recorder) -> None:
    msgs = pytest.importorskip("langchain_core.messages")
    AIMessage, HumanMessage, RemoveMessage = (
        msgs.AIMessage,
        msgs.HumanMessage,
        msgs.RemoveMessage,
    )

    def bot(s: Any) -> dict[str, Any]:
        last = s["messages"][-1]
        return {"messages": [AIMessage(content=f"echo {last.content}", id="ai-1")]}

    def tidy(s: Any) -> dict[str, Any]:
        return {"messages": [RemoveMessage(id="h-1")]}

    g = lib.StateGraph(lib.MessagesState)
    g.add_node("bot", bot)
    g.add_node("tidy", tidy)
    g.add_edge(lib.START, "bot")
    g.add_edge("bot", "tidy")
    graph = g.compile(checkpointer=lib.InMemorySaver())
    inp = {"messages": [HumanMessage(content="hi", id="h-1"), ("user", "there")]}
    await observe(rec, d, lib, graph, inp, thread="t")
    rec.add(
        "add_messages merges by id",
        lib.add_messages(
            [HumanMessage(content="a", id="1")], [HumanMessage(content="b", id="1")]
        ),
    )


@scenario
async def runtime_context(lib: Lib, d: Driver, rec: Recorder) -> None:
    def greet(s: Log, runtime: Any) -> dict[str, Any]:
        return {"log": [f"hello {runtime.context.user}"]}

    greet.__annotations__["runtime"] = lib.Runtime[Ctx]
    g = lib.StateGraph(Log, context_schema=Ctx)
    g.add_node("greet", greet)
    g.add_edge(lib.START, "greet")
    graph = g.compile()
    await rec.call(
        "with context",
        d.invoke(graph, {"log": []}, d.config(lib), context=Ctx(user="ada")),
    )
    await rec.stream(
        "stream with context",
        graph,
        {"log": []},
        d.config(lib),
        context=Ctx(user="bob"),
        stream_mode="updates",
    )


@scenario
async def async_nodes(lib: Lib, d: Driver, rec: Recorder) -> None:
    async def a(s: Log) -> dict[str, Any]:
        return {"log": ["async a"]}

    def b(s: Log) -> dict[str, Any]:
        return {"log": ["sync b"]}

    g = lib.StateGraph(Log)
    g.add_node("a", a)
    g.add_node("b", b)
    g.add_edge(lib.START, "a")
    g.add_edge("a", "b")
    graph = g.compile()
    await rec.call("invoke", d.invoke(graph, {"log": []}, d.config(lib)))


@scenario
async def static_breakpoints_edit(lib: Lib, d: Driver, rec: Recorder) -> None:
    graph = _chain(lib, ["agent", "tool", "final"]).compile(
        checkpointer=lib.InMemorySaver(),
        interrupt_before=["tool"],
        interrupt_after=["final"],
    )
    t = d.config(lib, "t")
    await rec.stream("start", graph, {"log": []}, t, stream_mode=["updates", "values"])
    await rec.state("before tool", graph, t)
    await rec.call(
        "edit", d.update_state(graph, t, {"log": ["edited"], "last": "human"})
    )
    await rec.state("after edit", graph, t)
    await rec.stream("continue", graph, None, t, stream_mode="updates")
    await rec.state("after final", graph, t)
    await rec.call("continue again", d.invoke(graph, None, t))
    await rec.call("nothing left", d.invoke(graph, None, t))
    await rec.history("history", graph, t)


@scenario
async def compile_errors(lib: Lib, d: Driver, rec: Recorder) -> None:
    def attempt(label: str, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as e:
            rec.add(label, {"raised": e})
        else:
            rec.add(label, "ok")

    def unknown_target() -> Any:
        g = lib.StateGraph(Log)
        g.add_node("a", _append("a"))
        g.add_edge(lib.START, "a")
        g.add_edge("a", "zz")
        return g.compile()

    def no_entry() -> Any:
        g = lib.StateGraph(Log)
        g.add_node("a", _append("a"))
        return g.compile()

    def duplicate() -> Any:
        g = lib.StateGraph(Log)
        g.add_node("a", _append("a"))
        g.add_node("a", _append("a"))

    def reserved() -> Any:
        g = lib.StateGraph(Log)
        g.add_node("__start__", _append("x"))

    def unknown_interrupt_node() -> Any:
        g = lib.StateGraph(Log)
        g.add_node("a", _append("a"))
        g.add_edge(lib.START, "a")
        return g.compile(interrupt_before=["nope"])

    for fn in (unknown_target, no_entry, duplicate, reserved, unknown_interrupt_node):
        attempt(fn.__name__, fn)


# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str, driver: Driver, request: pytest.FixtureRequest) -> None:
    run_differential(
        SCENARIOS[name],
        driver,
        title=f"scenario {name}",
        repro=pytest_repro(request.node.nodeid),
    )
