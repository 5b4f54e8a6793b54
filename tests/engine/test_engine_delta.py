"""The delta-channel bookkeeping helpers agree with LangGraph's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st
from langgraph.pregel import _checkpoint as lg

from stategraph._engine import _delta
from stategraph.channels import DeltaChannel, LastValue
from stategraph.channels.base import MISSING
from stategraph.pregel import _checkpoint as ours


def extend(state: list[Any], writes: list[Any]) -> list[Any]:
    return [*state, *writes]


versions = st.integers(min_value=1, max_value=4)
seen_maps = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.dictionaries(st.sampled_from(["x", "y"]), versions, max_size=2),
    max_size=3,
)
bumps = st.dictionaries(
    st.sampled_from(["x", "y"]),
    st.tuples(st.none() | versions, st.integers(min_value=5, max_value=9)),
    max_size=2,
)


@settings(max_examples=200, deadline=None)
@given(seen=seen_maps, first=bumps, second=bumps)
def test_bump_bookkeeping_matches_langgraph(
    seen: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> None:
    triggers = {"x": ["a", "c"], "y": ["b"]}
    mine, theirs = seen, seen
    for bumped in (first, second):
        mine = _delta.mark_bumps_seen(mine, bumped, triggers)
        theirs = lg._mark_bumps_seen(theirs, bumped, triggers)
        assert mine == theirs
        assert _delta.seen_without_bumps(mine) == lg.versions_seen_without_bumps(theirs)


@pytest.mark.parametrize("step", [0, 1, 7, 65535, 65536, 10**6])
def test_exit_task_ids_match_langgraph(step: int) -> None:
    for task_id in ("00000000-0000-0000-0000-000000000000", str(uuid.uuid4())):
        assert ours.exit_delta_task_id(step, task_id) == lg.exit_delta_task_id(
            step, task_id
        )
        assert ours.exit_delta_late_task_id(
            step, task_id
        ) == lg.exit_delta_late_task_id(step, task_id)
        uuid.UUID(ours.exit_delta_task_id(step, task_id))


def test_snapshot_due_on_updates_or_supersteps() -> None:
    channels: dict[str, Any] = {
        "often": DeltaChannel(extend, snapshot_frequency=2).from_checkpoint(MISSING),
        "rare": DeltaChannel(extend, snapshot_frequency=50).from_checkpoint(MISSING),
        "unwritten": DeltaChannel(extend).from_checkpoint(MISSING),
        "plain": LastValue(int),
    }
    counters = {"often": (2, 2), "rare": (1, 5000), "unwritten": (0, 9999)}
    written = {"often": 1, "rare": 1, "plain": 1}
    assert ours.delta_channels_to_snapshot(channels, counters, written) == {
        "often",
        "rare",
    }
    assert ours.delta_channels_to_snapshot(channels, {"often": (1, 1)}) == set()


def test_counters_advance_and_zero_ones_are_dropped() -> None:
    counters = _delta.next_counters({_delta.COUNTERS: {"a": (1, 3)}}, ["a", "b"], {"b"})
    assert counters == {"a": (1, 4), "b": (1, 1)}
    metadata: dict[str, Any] = {_delta.COUNTERS: {"old": (1, 1)}}
    _delta.counters_metadata(metadata, {"a": (0, 0)})
    assert metadata == {}
    _delta.counters_metadata(metadata, {"a": (0, 0), "b": (0, 2)})
    assert metadata == {_delta.COUNTERS: {"b": (0, 2)}}


def test_channels_needing_replay() -> None:
    specs = {"d": DeltaChannel(extend), "v": LastValue(int)}
    checkpoint = {"channel_versions": {"d": 2, "v": 1}, "channel_values": {"v": 3}}
    assert _delta.channels_to_replay(specs, checkpoint) == ["d"]
    checkpoint["channel_values"]["d"] = [1]
    assert _delta.channels_to_replay(specs, checkpoint) == []
    assert (
        _delta.channels_to_replay(specs, {**checkpoint, "channel_versions": {}}) == []
    )
