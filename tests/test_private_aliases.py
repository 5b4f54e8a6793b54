"""LangGraph's private helpers that ported code imports keep their meaning."""

from __future__ import annotations

import dataclasses

import pytest

from stategraph._internal._constants import OVERWRITE
from stategraph._internal._typing import MISSING as TYPING_MISSING
from stategraph.channels import LastValue
from stategraph.channels.binop import _get_overwrite
from stategraph.types import Overwrite


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Overwrite(["a"]), (True, ["a"])),
        ({OVERWRITE: ["b"]}, (True, ["b"])),
        (dataclasses.asdict(Overwrite(["c"])), (True, ["c"])),
        ({"value": ["d"]}, (False, None)),
        ({"type": "human", "value": "hi"}, (False, None)),
        (["e"], (False, None)),
        (None, (False, None)),
    ],
)
def test_get_overwrite_recognises_every_form(value: object, expected: object) -> None:
    assert _get_overwrite(value) == expected


def test_private_missing_is_the_channels_marker() -> None:
    assert LastValue(int).checkpoint() is TYPING_MISSING


def test_graph_state_private_helpers() -> None:
    import warnings
    from typing import Annotated

    from stategraph.channels import EphemeralValue
    from stategraph.graph.state import (
        _get_node_name,
        _is_field_channel,
        _warn_invalid_state_schema,
    )

    def my_node(state: object) -> None:
        return None

    assert _get_node_name(my_node) == "my_node"
    found = _is_field_channel(Annotated[str, "note", EphemeralValue])
    assert isinstance(found, EphemeralValue)
    assert found.typ is str
    with pytest.warns(UserWarning, match="Invalid state_schema"):
        _warn_invalid_state_schema({"foo": "bar"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_invalid_state_schema(dict)


def test_map_debug_tasks_payloads() -> None:
    from types import SimpleNamespace

    from stategraph.pregel.debug import filter_to_user_tags, map_debug_tasks

    def task(config: dict[str, object] | None) -> SimpleNamespace:
        return SimpleNamespace(id="t", name="n", input=1, triggers=["x"], config=config)

    shown, bare, _ = (
        task(
            {
                "metadata": {"langgraph_node": "n", "thread_id": "1", "agent": "w"},
                "tags": ["seq:step:3", "mine"],
            }
        ),
        task(None),
        task({"tags": ["langsmith:hidden"]}),
    )
    out = list(map_debug_tasks([shown, bare, _]))
    assert out == [
        {
            "id": "t",
            "name": "n",
            "input": 1,
            "triggers": ["x"],
            "metadata": {"agent": "w", "tags": ["mine"]},
        },
        {"id": "t", "name": "n", "input": 1, "triggers": ["x"]},
    ]
    assert filter_to_user_tags(["seq:step:1"]) is None
    assert filter_to_user_tags(["a", "seq:step:2"]) == ["a"]
