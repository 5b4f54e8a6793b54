"""Drawings of hand-built ``Pregel`` graphs and workflows equal LangGraph's."""

from __future__ import annotations

import asyncio
import importlib
import json
from types import SimpleNamespace
from typing import Any

import pytest

LIBS = ("langgraph", "stategraph")


def _lib(name: str) -> Any:
    mods = ("channels", "func", "pregel", "pregel._read", "pregel._write", "types")
    loaded = {m: importlib.import_module(f"{name}.{m}") for m in mods}
    return SimpleNamespace(
        ch=loaded["channels"],
        func=loaded["func"],
        pregel=loaded["pregel"],
        read=loaded["pregel._read"],
        write=loaded["pregel._write"],
    )


def _chain(lib: Any) -> Any:
    nb = lib.pregel.NodeBuilder
    ch = lib.ch
    return lib.pregel.Pregel(
        nodes={
            "one": nb().subscribe_only("input").do(lambda x: x + 1).write_to("inbox"),
            "two": nb().subscribe_only("inbox").do(lambda x: x).write_to("output"),
            "three": nb().subscribe_to("inbox", "input").write_to("side"),
        },
        channels={
            "input": ch.LastValue(int),
            "inbox": ch.Topic(int),
            "output": ch.LastValue(int),
            "side": ch.EphemeralValue(int),
        },
        input_channels="input",
        output_channels="output",
        interrupt_before_nodes=["two"],
        interrupt_after_nodes=["two", "three"],
    )


def _barrier(lib: Any) -> Any:
    nb = lib.pregel.NodeBuilder
    ch = lib.ch
    entry = lib.write.ChannelWriteEntry
    return lib.pregel.Pregel(
        nodes={
            "a": nb().subscribe_only("input").write_to(entry("join", value="a")),
            "b": nb().subscribe_only("input").write_to(entry("join", value="b")),
            "c": nb().subscribe_to("join", read=False).write_to("output"),
            "late": nb().subscribe_only("later").meta("t", owner="me"),
        },
        channels={
            "input": ch.LastValue(int),
            "join": ch.NamedBarrierValue(str, {"a", "b"}),
            "output": ch.LastValue(int),
            "later": ch.LastValue(int),
        },
        input_channels="input",
        output_channels="output",
    )


def _declared(lib: Any) -> Any:
    """A router whose writes are computed, declared for drawing only."""
    w = lib.write
    router = lib.read.PregelNode(
        channels="input",
        triggers=["input"],
        writers=[
            w.ChannelWrite(
                [
                    w.ChannelWriteTupleEntry(
                        mapper=lambda _: None,
                        static=[("left", None, "go-left"), ("__end__", None, "stop")],
                    ),
                    w.ChannelWriteEntry("seen", skip_none=True),
                ]
            )
        ],
    )
    nb = lib.pregel.NodeBuilder
    return lib.pregel.Pregel(
        nodes={
            "router": router,
            "left": nb().subscribe_only("left").write_to("output"),
        },
        channels={
            "input": lib.ch.LastValue(int),
            "left": lib.ch.EphemeralValue(Any),
            "seen": lib.ch.LastValue(Any),
            "output": lib.ch.LastValue(Any),
        },
        input_channels="input",
        output_channels="output",
    )


def _nested(lib: Any) -> Any:
    inner = _chain(lib)
    nb = lib.pregel.NodeBuilder
    return lib.pregel.Pregel(
        nodes={
            "pre": nb().subscribe_only("input").write_to("mid"),
            "inner": nb().subscribe_only("mid").do(inner).write_to("output"),
        },
        channels={
            "input": lib.ch.LastValue(int),
            "mid": lib.ch.LastValue(int),
            "output": lib.ch.LastValue(int),
        },
        input_channels="input",
        output_channels="output",
    )


def _workflow(lib: Any) -> Any:
    def work(value: int) -> int:
        return value

    return lib.func.entrypoint()(work)


SHAPES = [_chain, _barrier, _declared, _nested, _workflow]


def _drawings(shape: Any, xray: bool | int) -> list[tuple[str, str]]:
    out = []
    for name in LIBS:
        graph = shape(_lib(name)).get_graph(xray=xray)
        out.append((json.dumps(graph.to_json()), graph.draw_mermaid()))
    return out


@pytest.mark.parametrize("xray", [False, True, 1])
@pytest.mark.parametrize("shape", SHAPES)
def test_drawing_matches_langgraph(shape: Any, xray: bool | int) -> None:
    theirs, ours = _drawings(shape, xray)
    assert ours == theirs


def test_async_drawing_is_the_sync_one() -> None:
    graph = _nested(_lib("stategraph"))
    drawn = asyncio.run(graph.aget_graph(xray=True))
    assert drawn.to_json() == graph.get_graph(xray=True).to_json()
    assert "inner:one" in drawn.nodes


def test_graph_without_start_tasks_draws_its_nodes() -> None:
    # LangGraph fails on this graph (no node runs on an empty dict input).
    graph = _chain(_lib("stategraph")).copy({"input_channels": ["input"]})
    drawn = graph.get_graph()
    assert list(drawn.nodes) == ["one", "two", "three", "__start__"]
    assert drawn.edges == []


def test_drawing_does_not_run_node_code() -> None:
    lib = _lib("stategraph")
    calls: list[int] = []
    node = lib.pregel.NodeBuilder().subscribe_only("input").do(calls.append)
    graph = lib.pregel.Pregel(
        nodes={"n": node.write_to("output")},
        channels={"input": lib.ch.LastValue(int), "output": lib.ch.LastValue(int)},
        input_channels="input",
        output_channels="output",
    )
    assert [e.target for e in graph.get_graph().edges] == ["n", "__end__"]
    assert calls == []
