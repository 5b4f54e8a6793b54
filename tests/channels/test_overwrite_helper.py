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
