"""Run-stream features beyond the event log, on both libraries."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any

import programs
import pytest
from _lib import Lib
from _v3 import V3, Call
from typing_extensions import TypedDict


def test_interleave_orders_by_arrival() -> None:
    def read(lib: Lib) -> Any:
        graph, [(args, kwargs)] = programs.nested(lib)
        stream = lib.module("stream")
        run = graph.stream_events(
            *args, version="v3", transformers=[stream.UpdatesTransformer], **kwargs
        )
        return [name for name, _ in run.interleave("values", "updates")]

    ref = _quiet(read, Lib("langgraph"))
    ours = _quiet(read, Lib("stategraph"))
    assert ours == ref
    assert ours[:3] == ["values", "updates", "values"]


def _quiet(fn: Any, lib: Lib) -> Any:
    import warnings

    from langchain_core._api import LangChainBetaWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LangChainBetaWarning)
        return fn(lib)


class _Fan(TypedDict):
    items: list[int]
    total: Annotated[list[int], operator.add]


def fanning(lib: Lib) -> tuple[Any, list[Call]]:
    """``Send`` fan-out: parallel tasks, compared through ``values`` only."""

    def split(state: _Fan) -> list[Any]:
        return [lib.Send("square", {"items": [i], "total": []}) for i in state["items"]]

    def square(state: _Fan) -> dict[str, Any]:
        return {"total": [state["items"][0] ** 2]}

    builder = lib.StateGraph(_Fan)
    builder.add_node("square", square)
    builder.add_conditional_edges(lib.START, split, ["square"])
    return builder.compile(), [(({"items": [1, 2, 3], "total": []},), {})]


def test_send_fanout_values(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        values = await v3.drain(run.values)
        return [sorted(v["total"]) for v in values]

    ref, ours = v3.both(fanning, read)
    assert ours == ref
    assert ours[0][-1] == [1, 4, 9]


def nested_call(lib: Lib) -> tuple[Any, list[Call]]:
    """A node starting a v3 run of another graph: scoped to its own level."""
    inner = programs._chain(lib, ["x", "y"]).compile()

    def outer_node(state: programs.State) -> dict[str, Any]:
        run = inner.stream_events({"log": []}, version="v3")
        snapshots = [len(v["log"]) for v in run.values]
        return {"log": [f"inner-values:{snapshots}"]}

    graph = programs._chain(lib, ["call"], {"call": outer_node}).compile()
    return graph, [(({"log": []},), {})]


def test_nested_run_sees_its_own_level(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return await v3.result(run, "output")

    ref, ours = v3.both(nested_call, read)
    assert ours == ref
    assert ours[0] == {"log": ["inner-values:[0, 1, 2]"]}


def returning_message(lib: Lib) -> tuple[Any, list[Call]]:
    """A node returning a finished ``AIMessage`` (no chat model)."""
    from langchain_core.messages import AIMessage

    def reply(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage(content="hello there", id="m-1")]}

    builder = lib.StateGraph(lib.MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(lib.START, "reply")
    return builder.compile(), [(({"messages": [("user", "hi")]},), {})]


def test_returned_message_becomes_a_message_stream(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        found = []
        for stream in await v3.drain(run.messages):
            message = stream.output
            if v3.mode == "async":
                message = await message
            found.append((stream.message_id, stream.node, message.text))
        return found

    ref, ours = v3.both(returning_message, read)
    assert ours == ref
    assert ours[0] == [("m-1", "reply", "hello there")]


def test_missing_projection_names_the_registered_ones(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        try:
            run.updates  # noqa: B018  # the lookup is what is tested
        except AttributeError as exc:
            return exc
        return None

    ref, ours = v3.both(programs.linear, read)
    assert ours == ref
    assert (
        "registered projections: lifecycle, messages, subgraphs, values"
        in (ours[0]["str"])
    )


def test_tee_gives_each_branch_every_item(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        channel = run.values
        first, second = channel.tee(2) if v3.mode == "sync" else channel.atee(2)
        return [await v3.drain(first), await v3.drain(second)]

    ref, ours = v3.both(programs.linear, read)
    assert ours == ref
    assert ours[0][0] == ours[0][1]
    assert len(ours[0][0]) == 4


def plain_pregel(lib: Lib) -> tuple[Any, list[Call]]:
    """A ``Pregel`` built by hand with ``stream_transformers=``."""
    pregel = lib.module("pregel")
    node = pregel.NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b")
    channel = lib.module("channels").LastValue
    graph = pregel.Pregel(
        nodes={"n": node},
        channels={"a": channel(int), "b": channel(int)},
        input_channels="a",
        output_channels="b",
        stream_transformers=[lib.module("stream").UpdatesTransformer],
    )
    return graph, [((1,), {})]


def test_pregel_takes_stream_transformers(v3: V3) -> None:
    async def read(v3: V3, run: Any) -> Any:
        return await v3.projections(run, ("updates",))

    ref, ours = v3.both(plain_pregel, read)
    assert ours == ref
    assert ours[0] == {"updates": [{"n": {"b": 2}}], "output": {"a": 1, "b": 2}}
    graph = plain_pregel(Lib("stategraph"))[0]
    assert graph.copy().stream_transformers == graph.stream_transformers


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_langchain_versions_go_to_the_langchain_adapter(
    monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    graph = programs.linear(Lib("stategraph"))[0]
    cls = type(graph)
    # As in LangChain, the sync path has no v1/v2 events.
    with pytest.raises(NotImplementedError, match=rf"version='{version}'"):
        graph.stream_events({"log": []}, version=version)
    calls: list[Any] = []

    def recorder(lane: str) -> Any:
        def delegate(self: Any, *args: Any, **kwargs: Any) -> str:
            calls.append((lane, args, kwargs))
            return lane

        return delegate

    monkeypatch.setattr(cls, "_stream_events_langchain", recorder("it"), raising=False)
    monkeypatch.setattr(
        cls, "_astream_events_langchain", recorder("ait"), raising=False
    )
    assert graph.stream_events({"log": []}, {"tags": ["t"]}, version=version) == "it"
    assert graph.astream_events({"log": []}, version=version, context=1) == "ait"
    assert calls == [
        ("it", ({"log": []}, {"tags": ["t"]}), {"version": version}),
        ("ait", ({"log": []}, None), {"version": version, "context": 1}),
    ]


@pytest.mark.parametrize("name", ["langgraph", "stategraph"])
def test_abort_from_another_task_cancels_the_pull_in_flight(name: str) -> None:
    lib = Lib(name)

    async def scenario() -> dict[str, Any]:
        started, cancelled = asyncio.Event(), asyncio.Event()

        async def stuck(state: programs.State) -> dict[str, Any]:
            started.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return {"log": ["never"]}

        inner = programs._chain(lib, ["stuck"], {"stuck": stuck}).compile()
        graph = programs._chain(lib, ["outer"], {"outer": inner}).compile()
        run = await graph.astream_events({"log": []}, version="v3")
        seen: list[str] = []

        async def consume() -> None:
            async for event in run:
                seen.append(event["method"])

        consumer = asyncio.create_task(consume())
        # The node never returns: from here the consumer waits on the graph.
        await started.wait()
        await run.abort()
        await asyncio.wait_for(cancelled.wait(), timeout=5)
        await consumer  # ends normally: abort does not cancel the reader
        # Which subgraph events got through first depends on timing.
        return {
            "first": seen[0],
            "consumer_cancelled": consumer.cancelled(),
            "output": await run.output(),
        }

    result = _quiet(lambda _: asyncio.run(scenario()), lib)
    assert result == {
        "first": "values",
        "consumer_cancelled": False,
        "output": {"log": []},
    }
