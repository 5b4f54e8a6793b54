"""A ``Pregel`` LangGraph rejects at construction is rejected with the same error."""

from __future__ import annotations

from typing import Any

import langgraph.channels as lgc
import langgraph.pregel as lgp
import pytest

import stategraph.channels as sgc
import stategraph.pregel as sgp


def _kwargs(pregel: Any, channels: Any, case: str) -> dict[str, Any]:
    node = pregel.NodeBuilder().subscribe_only("a").do(lambda x: x).write_to("b")
    chans = {"a": channels.LastValue(int), "b": channels.LastValue(int)}
    kwargs: dict[str, Any] = {
        "nodes": {"one": node},
        "channels": chans,
        "input_channels": "a",
        "output_channels": "b",
    }
    if case == "reserved_channel":
        chans["__input__"] = channels.LastValue(int)
    elif case == "reserved_node":
        kwargs["nodes"] = {"__error__": node}
    elif case == "unknown_read":
        reader = pregel.NodeBuilder().subscribe_to("a").read_from("zz")
        kwargs["nodes"] = {"one": node, "two": reader}
    elif case == "unknown_trigger":
        kwargs["nodes"] = {"one": node, "two": pregel.NodeBuilder().subscribe_to("zz")}
    elif case == "unknown_input":
        kwargs["input_channels"] = "zz"
    elif case == "unsubscribed_input":
        kwargs["input_channels"] = "b"
    elif case == "no_subscribed_inputs":
        kwargs["input_channels"] = ["b"]
    elif case == "unknown_input_in_list":
        kwargs["input_channels"] = ["a", "zz"]
    elif case == "unknown_output":
        kwargs["output_channels"] = ["b", "zz"]
    elif case == "unknown_stream":
        kwargs["stream_channels"] = "zz"
    elif case == "unknown_interrupt":
        kwargs["interrupt_before_nodes"] = ["nope"]
    elif case == "sync_timeout":
        kwargs["nodes"] = {
            "one": pregel.NodeBuilder()
            .subscribe_only("a")
            .do(lambda x: x)
            .set_timeout(1)
        }
    return kwargs


CASES = [
    "reserved_channel",
    "reserved_node",
    "unknown_read",
    "unknown_trigger",
    "unknown_input",
    "unsubscribed_input",
    "no_subscribed_inputs",
    "unknown_input_in_list",
    "unknown_output",
    "unknown_stream",
    "unknown_interrupt",
]


@pytest.mark.parametrize("case", CASES)
def test_invalid_graph_raises_like_langgraph(case: str) -> None:
    with pytest.raises(ValueError) as theirs:  # noqa: PT011 - compared below
        lgp.Pregel(**_kwargs(lgp, lgc, case))
    with pytest.raises(ValueError) as ours:  # noqa: PT011 - compared below
        sgp.Pregel(**_kwargs(sgp, sgc, case))
    assert str(ours.value) == str(theirs.value)


def test_timeout_on_sync_node_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"only supported for async nodes"):
        sgp.Pregel(**_kwargs(sgp, sgc, "sync_timeout"))


def test_node_of_another_kind_is_rejected() -> None:
    kwargs = _kwargs(sgp, sgc, "ok")
    kwargs["nodes"] = {"one": object()}
    with pytest.raises(TypeError, match=r"^Invalid node type <class 'object'>"):
        sgp.Pregel(**kwargs)


def test_valid_graph_runs() -> None:
    graph = sgp.Pregel(**_kwargs(sgp, sgc, "ok"))
    assert graph.invoke(4) == 4
