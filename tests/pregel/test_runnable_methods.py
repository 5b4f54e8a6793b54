"""LangChain ``Runnable`` methods on graphs, against LangGraph's graphs.

LangGraph's graphs inherit these from ``Runnable``; ours get them from
``RunnableMethods``. Each test runs the same program on a LangGraph graph and
on ours (``module`` is ``langgraph.graph`` or ``stategraph.graph``).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import langgraph.graph as lg
import pytest
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.runnables.utils import AddableDict
from typing_extensions import TypedDict

import stategraph.graph as sg

MODULES = (lg, sg)


class State(TypedDict):
    k: str


def _graph(module: Any, node: Callable[[State], Any] | None = None) -> Any:
    builder = module.StateGraph(State)
    builder.add_node("a", node or (lambda s: {"k": s["k"] + "a"}))
    builder.add_node("b", lambda s: {"k": s["k"] + "b"})
    builder.add_edge(module.START, "a")
    builder.add_edge("a", "b")
    return builder.compile()


def _failing(fails: int) -> tuple[Callable[[State], Any], list[str]]:
    """A node failing its first ``fails`` calls, and the list of its calls."""
    calls: list[str] = []

    def node(state: State) -> Any:
        calls.append(state["k"])
        if len(calls) <= fails or state["k"] == "boom":
            raise ValueError(f"failed {state['k']}")
        return {"k": state["k"] + "a"}

    return node, calls


def _run(runnable: Any, value: Any, mode: str) -> tuple[Any, list[Any]]:
    """``invoke`` and ``stream`` (or their async twins) of ``runnable``."""
    if mode == "sync":
        return runnable.invoke(value), list(runnable.stream(value))

    async def both() -> tuple[Any, list[Any]]:
        return await runnable.ainvoke(value), [c async for c in runnable.astream(value)]

    return asyncio.run(both())


def _both(program: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``program`` run on LangGraph's module, then on ours."""
    theirs, ours = (program(module) for module in MODULES)
    return theirs, ours


MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@MODES
def test_with_retry_retries_the_graph(mode: str) -> None:
    def program(module: Any) -> Any:
        node, calls = _failing(2)
        retried = _graph(module, node).with_retry(
            stop_after_attempt=3, wait_exponential_jitter=False
        )
        return type(retried).__name__, _run(retried, {"k": "x"}, mode), calls

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[2] == ["x", "x", "x", "x"]  # 2 failures, then invoke and stream


@MODES
def test_with_retry_gives_up_after_its_attempts(mode: str) -> None:
    def program(module: Any) -> Any:
        node, calls = _failing(5)
        retried = _graph(module, node).with_retry(stop_after_attempt=2)
        with pytest.raises(ValueError, match=r"^failed x"):
            _run(retried, {"k": "x"}, mode)
        return calls

    theirs, ours = _both(program)
    assert ours == theirs == ["x", "x"]


@MODES
def test_with_fallbacks_runs_the_next_graph(mode: str) -> None:
    def program(module: Any) -> Any:
        node, _ = _failing(0)
        chain = _graph(module, node).with_fallbacks(
            [_graph(module)], exceptions_to_handle=(ValueError,)
        )
        return type(chain).__name__, _run(chain, {"k": "boom"}, mode)

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[1][0] == {"k": "boomab"}


@MODES
def test_pipe_and_or_build_sequences(mode: str) -> None:
    def program(module: Any) -> Any:
        graph, upper = _graph(module), RunnableLambda(lambda x: x["k"].upper())
        chains = [
            graph.pipe(upper, name="piped"),
            graph | upper,
            graph | _graph(module),
            {"k": RunnableLambda(lambda x: x)} | graph,
        ]
        values = [{"k": "x"}] * 3 + ["q"]
        ran = [(c.get_name(), c.invoke(v)) for c, v in zip(chains, values, strict=True)]
        return ran, _run(graph | RunnableLambda(lambda x: x), {"k": "x"}, mode)

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[0][:2] == [("piped", "XAB"), ("RunnableSequence", "XAB")]


@MODES
def test_bind_assign_and_pick(mode: str) -> None:
    def program(module: Any) -> Any:
        graph = _graph(module)
        return [
            _run(graph.bind(stream_mode="updates"), {"k": "x"}, mode),
            _run(graph.assign(n=lambda s: len(s.get("k", ""))), {"k": "x"}, mode),
            _run(graph.pick("k"), {"k": "x"}, mode),
            _run(graph.pick(["k"]), {"k": "x"}, mode),
        ]

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[1][0] == {"k": "xab", "n": 3}


def test_with_types_overrides_the_schemas() -> None:
    def program(module: Any) -> Any:
        typed = _graph(module).with_types(input_type=State, output_type=str)
        return (
            type(typed).__name__,
            typed.get_input_jsonschema(),
            typed.get_output_jsonschema(),
            typed.invoke({"k": "x"}),
        )

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[2] == {"title": "LangGraphOutput", "type": "string"}


@MODES
def test_listeners_see_the_graphs_run(mode: str) -> None:
    def program(module: Any) -> Any:
        seen: list[Any] = []
        graph = _graph(module)
        if mode == "sync":
            listened = graph.with_listeners(
                on_start=lambda run: seen.append(("start", run.name, run.inputs)),
                on_end=lambda run: seen.append(("end", run.name, run.outputs)),
            )
        else:

            async def start(run: Any) -> None:
                seen.append(("start", run.name, run.inputs))

            async def end(run: Any) -> None:
                seen.append(("end", run.name, run.outputs))

            listened = graph.with_alisteners(on_start=start, on_end=end)
        return _run(listened, {"k": "x"}, mode)[0], seen

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[1][0] == ("start", "LangGraph", {"k": "x"})


@pytest.mark.filterwarnings("ignore:This API is in beta")
@MODES
def test_as_tool_runs_the_graph(mode: str) -> None:
    def program(module: Any) -> Any:
        tool = _graph(module).as_tool(name="abber", description="Appends ab.")
        out = (
            tool.invoke({"k": "x"})
            if mode == "sync"
            else asyncio.run(tool.ainvoke({"k": "x"}))
        )
        return type(tool).__name__, tool.name, tool.description, tool.args, out

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[-1] == {"k": "xab"}


def _transform(graph: Any, chunks: list[Any], mode: str) -> list[Any]:
    if mode == "sync":
        return list(graph.transform(iter(chunks)))

    async def source() -> AsyncIterator[Any]:
        for chunk in chunks:
            yield chunk

    async def collect() -> list[Any]:
        return [c async for c in graph.atransform(source())]

    return asyncio.run(collect())


@MODES
def test_transform_adds_up_its_input_chunks(mode: str) -> None:
    def program(module: Any) -> Any:
        graph = _graph(module)
        return [
            _transform(graph, [AddableDict(k="x"), AddableDict(k="y")], mode),
            _transform(graph, [{"k": "x"}, {"k": "y"}], mode),  # last one wins
            _transform(graph, [], mode),
        ]

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[0] == [{"a": {"k": "xya"}}, {"b": {"k": "xyab"}}]


def _as_completed(graph: Any, inputs: list[Any], mode: str, **kw: Any) -> list[Any]:
    if mode == "sync":
        return list(graph.batch_as_completed(inputs, **kw))

    async def collect() -> list[Any]:
        return [pair async for pair in graph.abatch_as_completed(inputs, **kw)]

    return asyncio.run(collect())


def _by_index(pairs: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    return sorted(((i, repr(out)) for i, out in pairs), key=lambda p: p[0])


@MODES
def test_batch_as_completed_yields_every_index(mode: str) -> None:
    def program(module: Any) -> Any:
        node, _ = _failing(0)
        graph = _graph(module, node)
        inputs = [{"k": "x"}, {"k": "boom"}, {"k": "z"}]
        pairs = _as_completed(graph, inputs, mode, return_exceptions=True)
        configs = [{"tags": ["t"]}] * 3
        listed = _as_completed(
            graph, inputs, mode, config=configs, return_exceptions=True
        )
        with pytest.raises(ValueError, match=r"^failed boom"):
            _as_completed(graph, inputs, mode)
        return _by_index(pairs), _by_index(listed), _as_completed(graph, [], mode)

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[0][1] == (1, "ValueError('failed boom')")


def test_batch_as_completed_checks_the_config_list() -> None:
    for module in MODULES:
        with pytest.raises(ValueError, match=r"^config must be a list of the same"):
            list(_graph(module).batch_as_completed([{"k": "x"}] * 2, [{}]))


def _concurrency_probe(module: Any, mode: str, parties: int) -> tuple[Any, list[int]]:
    """A graph whose node records how many runs are inside it at once.

    The node waits at a barrier for ``parties`` runs, so that many must run
    together (a lower limit than ``parties`` would hang the barrier until
    its timeout).
    """
    lock, active, peaks = threading.Lock(), [0], []

    def enter() -> None:
        with lock:
            active[0] += 1
            peaks.append(active[0])

    def leave() -> None:
        with lock:
            active[0] -= 1

    gate = threading.Barrier(parties, timeout=10)

    def sync_node(state: State) -> Any:
        enter()
        gate.wait()
        leave()
        return {"k": state["k"]}

    agate = asyncio.Barrier(parties)

    async def async_node(state: State) -> Any:
        enter()
        await asyncio.wait_for(agate.wait(), 10)
        leave()
        return {"k": state["k"]}

    return _graph(module, sync_node if mode == "sync" else async_node), peaks


@MODES
def test_batch_as_completed_honours_max_concurrency(mode: str) -> None:
    def program(module: Any) -> Any:
        graph, peaks = _concurrency_probe(module, mode, 2)
        inputs = [{"k": str(i)} for i in range(6)]
        two = _as_completed(graph, inputs, mode, config={"max_concurrency": 2})
        return sorted(two), max(peaks)

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours == ([(i, {"k": f"{i}b"}) for i in range(6)], 2)


@MODES
def test_batch_as_completed_without_a_limit_runs_all_at_once(mode: str) -> None:
    def program(module: Any) -> Any:
        graph, peaks = _concurrency_probe(module, mode, 4)
        _as_completed(graph, [{"k": str(i)} for i in range(4)], mode)
        return max(peaks)

    assert _both(program) == (4, 4)


def test_get_prompts_finds_prompt_nodes() -> None:
    prompt = PromptTemplate.from_template("hi {k}")

    def program(module: Any) -> Any:
        builder = module.StateGraph(State)
        builder.add_node("p", prompt)
        builder.add_edge(module.START, "p")
        return builder.compile().get_prompts(), _graph(module).get_prompts()

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[0][0] is prompt


def test_methods_without_langchain_ask_for_the_extra() -> None:
    # The native methods still work; the LangChain ones say what to install.
    code = (
        "import sys\n"
        "sys.modules['langchain_core'] = None\n"
        "from stategraph.graph import StateGraph, START\n"
        "from typing_extensions import TypedDict\n"
        "class S(TypedDict):\n    k: str\n"
        "b = StateGraph(S)\nb.add_node('a', lambda s: {'k': s['k'] + 'a'})\n"
        "b.add_edge(START, 'a')\ng = b.compile()\n"
        "print(sorted(g.batch_as_completed([{'k': 'x'}, {'k': 'y'}]), key=str))\n"
        "print(list(g.transform(iter([{'k': 'z'}]))), g.get_prompts())\n"
        "try:\n    g.with_retry()\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == [
        "[(0, {'k': 'xa'}), (1, {'k': 'ya'})]",
        "[{'a': {'k': 'za'}}] []",
        "Composing a graph with LangChain runnables (`|`, `with_retry`, "
        "`as_tool`...) needs langchain-core: pip install 'stategraph[langchain]'",
    ]


def test_running_the_native_methods_imports_no_langchain() -> None:
    code = (
        "from stategraph.graph import StateGraph, START\n"
        "from typing_extensions import TypedDict\n"
        "import sys\n"
        "class S(TypedDict):\n    k: str\n"
        "b = StateGraph(S)\nb.add_node('a', lambda s: {'k': s['k'] + 'a'})\n"
        "b.add_edge(START, 'a')\ng = b.compile()\n"
        "list(g.batch_as_completed([{'k': 'x'}, {'k': 'y'}]))\n"
        "list(g.transform(iter([{'k': 'z'}]))); g.get_prompts()\n"
        "print(sorted(m for m in sys.modules if m.startswith('langchain')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


class _Runs:
    """``client.runs`` of a fake SDK client: a run's values are its input + "!"."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def stream(self, **kwargs: Any) -> Any:
        from langgraph_sdk.schema import StreamPart

        value = kwargs["input"]
        if value["k"] == "boom":
            raise ValueError("remote boom")
        out = {"k": value["k"] + "!"}
        modes = kwargs["stream_mode"]
        parts = [
            StreamPart(event=mode, data=out if mode == "values" else {"n": out})
            for mode in ([modes] if isinstance(modes, str) else modes)
        ]
        if self.mode == "sync":
            return iter(parts)

        async def parts_of() -> AsyncIterator[Any]:
            for part in parts:
                yield part

        return parts_of()


class _Client:
    def __init__(self, mode: str) -> None:
        self.runs = _Runs(mode)


def _remote(module: Any, mode: str) -> Any:
    import langgraph.pregel.remote as theirs

    import stategraph.pregel.remote as ours

    cls = (theirs if module is lg else ours).RemoteGraph
    if mode == "sync":
        return cls("agent", sync_client=_Client(mode))
    return cls("agent", client=_Client(mode))


def _batch(graph: Any, inputs: list[Any], mode: str, **kw: Any) -> Any:
    if mode == "sync":
        return graph.batch(inputs, **kw)
    return asyncio.run(graph.abatch(inputs, **kw))


@MODES
def test_remote_graph_batches_and_composes(mode: str) -> None:
    def program(module: Any) -> Any:
        remote = _remote(module, mode)
        inputs = [{"k": "x"}, {"k": "boom"}]
        tail: RunnableLambda[Any, Any] = RunnableLambda(lambda v: sorted(v))
        return (
            [repr(out) for out in _batch(remote, inputs, mode, return_exceptions=True)],
            _by_index(_as_completed(remote, inputs, mode, return_exceptions=True)),
            _transform(remote, [{"k": "y"}], mode),
            _run(remote.with_retry(stop_after_attempt=1) | tail, {"k": "z"}, mode),
            _run(remote.pick("k"), {"k": "z"}, mode),
        )

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[0] == ["{'k': 'x!'}", "ValueError('remote boom')"]


def test_remote_graph_has_langchains_default_schemas() -> None:
    def program(module: Any) -> Any:
        remote = _remote(module, "sync")
        return (
            remote.get_name(),
            remote.get_name("Output"),
            remote.OutputType,
            remote.config_specs,
            remote.get_output_jsonschema(),
            remote.output_schema.__name__,
            remote.get_config_jsonschema(),
        )

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[4] == {"title": "agent_output"}
    # LangGraph's input schema fails (its InputType is an unbound TypeVar);
    # ours is LangChain's schema of ``Any``.
    assert _remote(sg, "sync").get_input_jsonschema() == {"title": "agent_input"}


@pytest.mark.filterwarnings("ignore:astream_log is deprecated")
def test_remote_graph_astream_log_matches_langgraph() -> None:
    async def ops(module: Any) -> list[Any]:
        remote = _remote(module, "async")
        return [patch.ops async for patch in remote.astream_log({"k": "x"})]

    theirs, ours = _both(lambda module: asyncio.run(ops(module)))
    assert ours == theirs
    assert ours[-1][-1]["path"] == "/final_output"


def test_compositions_draw_the_graphs_nodes() -> None:
    def program(module: Any) -> Any:
        graph = _graph(module)
        chain = graph | RunnableLambda(lambda x: x, name="f")
        return (
            chain.get_graph().draw_mermaid(),
            graph.with_retry().get_graph().draw_mermaid(),
        )

    theirs, ours = _both(program)
    assert ours == theirs
    assert "\ta --> b;\n" in ours[0]


def test_get_name_joins_suffixes_as_langchain_does() -> None:
    def program(module: Any) -> Any:
        builder = module.StateGraph(State, input_schema=dict)
        builder.add_node("a", lambda s: {"k": s["k"] + "a"})
        builder.add_edge(module.START, "a")
        named, default = builder.compile(name="agent"), _graph(module)
        return [
            named.get_name("Input"),
            named.get_name(name="other"),
            named.get_input_jsonschema().get("title"),
            default.get_name("Output"),
        ]

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[:2] == ["agent_input", "other"]


@MODES
def test_wrappers_pass_the_config_through(mode: str) -> None:
    def program(module: Any) -> Any:
        from langgraph.checkpoint.memory import InMemorySaver as Theirs

        from stategraph.checkpoint.memory import InMemorySaver as Ours

        builder = module.StateGraph(State)
        builder.add_node("a", lambda s: {"k": s["k"] + "a"})
        builder.add_edge(module.START, "a")
        graph = builder.compile(checkpointer=(Theirs if module is lg else Ours)())
        config = {"configurable": {"thread_id": "t"}, "tags": ["x"]}
        chain = graph.with_retry() | RunnableLambda(lambda v: v)
        if mode == "sync":
            out = chain.invoke({"k": "x"}, config)
        else:
            out = asyncio.run(chain.ainvoke({"k": "x"}, config))
        state = graph.get_state(config)
        return out, state.values, state.metadata["step"]

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[:2] == ({"k": "xa"}, {"k": "xa"})


RUNNABLE_METHODS = [
    "pipe",
    "with_retry",
    "with_fallbacks",
    "with_listeners",
    "with_alisteners",
    "with_types",
    "bind",
    "assign",
    "pick",
    "as_tool",
    "transform",
    "atransform",
    "batch_as_completed",
    "abatch_as_completed",
    "get_prompts",
    "get_name",
]


def test_methods_take_langchains_parameters() -> None:
    import inspect

    def program(module: Any) -> Any:
        graphs = [_graph(module), _remote(module, "sync")]
        return [
            {
                name: list(inspect.signature(getattr(graph, name)).parameters)
                for name in [*RUNNABLE_METHODS, "batch", "abatch"]
            }
            for graph in graphs
        ]

    theirs, ours = _both(program)
    assert ours == theirs
    assert ours[0]["with_retry"][-1] == "stop_after_attempt"
