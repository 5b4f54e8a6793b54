"""LangGraph's low-level node API: ``PregelNode``, ``ChannelWrite``, ``NodeBuilder``."""

from __future__ import annotations

import operator
from typing import Any

import pytest

from stategraph._engine._node import PregelNode as EngineNode
from stategraph.channels import BinaryOperatorAggregate, LastValue, Topic
from stategraph.errors import InvalidUpdateError
from stategraph.pregel import NodeBuilder, Pregel
from stategraph.pregel._read import PregelNode
from stategraph.pregel._write import (
    PASSTHROUGH,
    SKIP_WRITE,
    ChannelWrite,
    ChannelWriteEntry,
    ChannelWriteTupleEntry,
)
from stategraph.types import CachePolicy, RetryPolicy, Send


class _Task:
    def __init__(self) -> None:
        self.writes: list[tuple[str, Any]] = []


def test_channel_write_binds_output_and_applies_entry_options() -> None:
    writer = ChannelWrite(
        [
            ChannelWriteEntry("out"),
            ChannelWriteEntry("fixed", value=5),
            ChannelWriteEntry("double", mapper=lambda v: v * 2),
            ChannelWriteEntry("none", value=None, skip_none=True),
            ChannelWriteEntry("skipped", mapper=lambda v: SKIP_WRITE),
            ChannelWriteTupleEntry(lambda v: [("pair", v + 1)]),
            ChannelWriteTupleEntry(lambda v: None),
            Send("node", 7),
        ]
    )
    task = _Task()
    writer(task, 3)
    assert task.writes == [
        ("out", 3),
        ("fixed", 5),
        ("double", 6),
        ("pair", 4),
        ("__pregel_tasks", Send("node", 7)),
    ]
    assert (
        writer.get_name() == "ChannelWrite<out,fixed,double,none,skipped,...,...,node>"
    )
    assert ChannelWriteEntry("x").value is PASSTHROUGH


def test_do_write_sends_through_the_config_and_rejects_reserved_writes() -> None:
    sent: list[Any] = []
    config = {"configurable": {"__pregel_send": sent.extend}}
    assert ChannelWrite([ChannelWriteEntry("a")]).invoke(2, config) == 2
    assert sent == [("a", 2)]
    with pytest.raises(InvalidUpdateError, match=r"^Cannot write to the reserved"):
        ChannelWrite.do_write(config, [ChannelWriteEntry("__pregel_tasks", 1)])
    with pytest.raises(InvalidUpdateError, match=r"^PASSTHROUGH value must be"):
        ChannelWrite.do_write(config, [ChannelWriteEntry("a")], False)
    with pytest.raises(ValueError, match=r"^Invalid write entry: 3$"):
        ChannelWrite.do_write(config, [3])  # type: ignore[list-item]  # the point


def test_static_writes_are_declared_for_drawing() -> None:
    entry = ChannelWriteTupleEntry(lambda v: None, static=[("a", None, "to a")])
    assert ChannelWrite.get_static_writes(ChannelWrite([entry])) == [
        ("a", None, "to a")
    ]
    assert (
        ChannelWrite.get_static_writes(ChannelWrite([ChannelWriteEntry("a")])) is None
    )

    def route(task: Any, output: Any) -> None:
        return None

    assert not ChannelWrite.is_writer(route)
    ChannelWrite.register_writer(route, [(ChannelWriteEntry("b", 1), "label")])
    assert ChannelWrite.is_writer(route)
    assert ChannelWrite.get_static_writes(route) == [("b", 1, "label")]


def _graph(node: Any, **channels: Any) -> Pregel:
    return Pregel(
        nodes={"n": node},
        channels={"input": LastValue(int), "output": LastValue(int), **channels},
        input_channels="input",
        output_channels="output",
    )


def test_pregel_node_with_langgraph_arguments(driver: Any) -> None:
    policy = RetryPolicy(max_attempts=2)
    node = PregelNode(
        channels=["input"],
        triggers=["input"],
        mapper=lambda d: d["input"],
        bound=lambda x: x * 10,
        writers=[ChannelWrite([ChannelWriteEntry("output")])],
        tags=["t"],
        metadata={"k": "v"},
        retry_policy=policy,
        cache_policy=CachePolicy(),
    )
    assert isinstance(node, EngineNode)
    assert node.retry_policy == (policy,)
    assert node.metadata == {"k": "v"}
    assert driver.invoke(_graph(node), 2) == 20


def test_pregel_node_without_bound_passes_input_through(driver: Any) -> None:
    node = PregelNode(
        channels="input",
        triggers=["input"],
        writers=[ChannelWrite([ChannelWriteEntry("output")])],
    )
    assert driver.invoke(_graph(node), 5) == 5


def test_runnable_writers_feed_the_writers_after_them(driver: Any) -> None:
    class AddOne:
        def invoke(self, value: int, config: Any = None) -> int:
            return value + 1

        async def ainvoke(self, value: int, config: Any = None) -> int:
            return value + 1

    node = PregelNode(
        channels="input",
        triggers=["input"],
        writers=[
            ChannelWrite([ChannelWriteEntry("before")]),
            AddOne(),
            ChannelWrite([ChannelWriteEntry("output")]),
        ],
    )
    graph = _graph(node, before=LastValue(int))
    assert driver.invoke(graph, 1, output_keys=["before", "output"]) == {
        "before": 1,
        "output": 2,
    }


def test_subgraph_bound_is_found() -> None:
    inner = _graph(NodeBuilder().subscribe_only("input").write_to("output"))
    node = PregelNode(channels="input", triggers=["input"], bound=inner)
    assert node.subgraphs == [inner]
    assert PregelNode(channels="input", triggers=["input"]).subgraphs == []


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"^run_timeout must be greater than 0$"):
        PregelNode(channels="x", triggers=["x"], timeout=0)
    with pytest.raises(ValueError, match=r"^run_timeout must be greater than 0$"):
        NodeBuilder().set_timeout(0)


def test_node_builder_write_to_options(driver: Any) -> None:
    node = (
        NodeBuilder()
        .subscribe_only("input")
        .do(lambda x: x + 1)
        .write_to(
            "output",
            ChannelWriteEntry("maybe", skip_none=True, mapper=lambda v: None),
            fixed=5,
            plus_one=lambda x: x + 1,
        )
        .meta("tag", owner="me")
        .add_retry_policies(RetryPolicy())
        .add_cache_policy(CachePolicy())
    )
    graph = Pregel(
        nodes={"n": node},
        channels={
            name: LastValue(int)
            for name in ("input", "output", "maybe", "fixed", "plus_one")
        },
        input_channels="input",
        output_channels=["output", "maybe", "fixed", "plus_one"],
    )
    built = graph.nodes["n"]
    assert built.tags == ["tag"]
    assert built.metadata == {"owner": "me"}
    assert built.cache_policy is not None
    assert driver.invoke(graph, 1) == {"output": 2, "fixed": 5, "plus_one": 3}


def test_node_builder_read_from_and_send(driver: Any) -> None:
    fan = (
        NodeBuilder()
        .subscribe_to("input")
        .read_from("base")
        .do(lambda d: [Send("add", d["input"] + d.get("base", 0))] * 2)
    )
    fan_node = fan.build()
    fan_node.writers = [
        ChannelWrite(
            [
                ChannelWriteTupleEntry(
                    lambda sends: [("__pregel_tasks", s) for s in sends]
                )
            ]
        )
    ]
    add = NodeBuilder().do(lambda v: v).write_to("total")
    graph = Pregel(
        nodes={"fan": fan_node, "add": add},
        channels={
            "input": LastValue(int),
            "base": LastValue(int),
            "total": BinaryOperatorAggregate(int, operator.add),
        },
        input_channels=["input", "base"],
        output_channels="total",
    )
    assert driver.invoke(graph, {"input": 1, "base": 2}) == 6


def test_node_copy_and_graph_map(driver: Any) -> None:
    double = _graph(
        NodeBuilder().subscribe_only("input").do(lambda x: x * 2).write_to("output")
    )
    node = double.nodes["n"]
    copied = node.copy({"metadata": {"a": 1}})
    assert copied is not node
    assert copied.metadata == {"a": 1}
    assert node.metadata is None
    assert copied.triggers == node.triggers
    assert copied.triggers is not node.triggers
    outer = Pregel(
        nodes={
            "each": NodeBuilder()
            .subscribe_only("input")
            .do(double.map())
            .write_to("output")
        },
        channels={
            "input": Topic(int, accumulate=False),
            "output": LastValue(list[int]),
        },
        input_channels="input",
        output_channels="output",
    )
    assert driver.invoke(outer, [1, 2]) == [2, 4]
    assert double.map().get_name() == "RunnableEach<LangGraph>"


def test_graph_copy_with_new_nodes_recomputes_triggers(driver: Any) -> None:
    first = _graph(NodeBuilder().subscribe_only("input").write_to("output"))
    assert first.trigger_to_nodes == {"input": ["n"]}
    other = NodeBuilder().subscribe_only("other").do(lambda x: x * 3)
    copied = first.copy(
        {
            "nodes": {"m": other.write_to("output")},
            "channels": {**first.channels, "other": LastValue(int)},
            "input_channels": "other",
        }
    )
    assert copied.trigger_to_nodes == {"other": ["m"]}
    assert driver.invoke(copied, 2) == 6
    assert driver.invoke(first, 2) == 2
    assert copied.nodes["m"].name == "m"
