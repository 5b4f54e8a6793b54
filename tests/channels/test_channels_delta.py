"""DeltaChannel, ``_messages_delta_reducer`` and the ids given to delta writes."""

from __future__ import annotations

import itertools
from typing import Annotated, Any

import pytest
from hypothesis import given, settings, strategies as st
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage
from langgraph.channels.delta import DeltaChannel as LgDeltaChannel
from langgraph.graph.message import _messages_delta_reducer as lg_reducer
from typing_extensions import NotRequired

from stategraph._types import Overwrite
from stategraph.channels import DeltaChannel
from stategraph.channels._delta_ids import ensure_message_ids
from stategraph.channels.base import MISSING
from stategraph.checkpoint.serde.types import _DeltaSnapshot
from stategraph.errors import EmptyChannelError, InvalidUpdateError
from stategraph.graph import _messages
from stategraph.graph.message import REMOVE_ALL_MESSAGES, _messages_delta_reducer
from stategraph.graph.state import _get_channel


def extend(state: list[Any], writes: list[Any]) -> list[Any]:
    out = list(state)
    for write in writes:
        out.extend(write if isinstance(write, list) else [write])
    return out


@pytest.fixture(params=["langchain", "dicts"])
def world(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with LangChain messages and again in the dict world."""
    if request.param == "dicts":
        monkeypatch.setattr(_messages, "_FORCE_DICTS", True)
    return str(request.param)


def contents(messages: list[Any]) -> list[Any]:
    return [m["content"] if isinstance(m, dict) else m.content for m in messages]


def ids(messages: list[Any]) -> list[Any]:
    return [m.get("id") if isinstance(m, dict) else m.id for m in messages]


# -- the channel -------------------------------------------------------------------


def test_new_channel_is_empty_and_restores_to_the_empty_value() -> None:
    spec = DeltaChannel(extend)
    assert not spec.is_available()
    with pytest.raises(EmptyChannelError):
        spec.get()
    assert spec.checkpoint() is MISSING
    for blob in (MISSING, None):
        assert spec.from_checkpoint(blob).get() == []


def test_snapshot_and_plain_values_restore_directly() -> None:
    spec = DeltaChannel(extend, list)
    assert spec.from_checkpoint(_DeltaSnapshot([1, 2])).get() == [1, 2]
    # A reducer channel this key used to be stored its value as is.
    assert spec.from_checkpoint([3]).get() == [3]


def test_update_folds_the_whole_step_in_one_reducer_call() -> None:
    calls: list[list[Any]] = []

    def reducer(state: list[Any], writes: list[Any]) -> list[Any]:
        calls.append(list(writes))
        return extend(state, writes)

    ch = DeltaChannel(reducer).from_checkpoint(MISSING)
    assert ch.update([]) is False
    assert ch.update([[1], 2]) is True
    assert ch.get() == [1, 2]
    assert calls == [[[1], 2]]


def test_overwrite_replaces_the_value_and_two_in_a_step_fail() -> None:
    ch = DeltaChannel(extend).from_checkpoint(_DeltaSnapshot([1]))
    assert ch.update([[5], Overwrite([9])])
    assert ch.get() == [9]
    assert ch.update([{"__overwrite__": None}])
    assert ch.get() == []
    with pytest.raises(InvalidUpdateError, match=r"^Can receive only one Overwrite"):
        ch.update([Overwrite([1]), Overwrite([2])])


def test_replay_restarts_from_the_last_overwrite() -> None:
    ch = DeltaChannel(extend).from_checkpoint(_DeltaSnapshot([0]))
    writes = [("t", "ch", [1]), ("t", "ch", Overwrite([7])), ("t", "ch", [8])]
    ch.replay_writes(writes)
    assert ch.get() == [7, 8]
    ch.replay_writes([])
    assert ch.get() == [7, 8]
    ch.replay_writes([("t", "ch", Overwrite(None))])
    assert ch.get() == []


def test_copy_is_independent_and_keeps_settings() -> None:
    ch = DeltaChannel(extend, snapshot_frequency=7).from_checkpoint(_DeltaSnapshot([1]))
    ch.key = "k"
    twin = ch.copy()
    twin.update([[2]])
    assert ch.get() == [1]
    assert (twin.get(), twin.key, twin.snapshot_frequency) == ([1, 2], "k", 7)


def test_equality_follows_reducer_and_frequency() -> None:
    assert DeltaChannel(extend) == DeltaChannel(extend)
    assert DeltaChannel(extend) != DeltaChannel(extend, snapshot_frequency=3)
    assert DeltaChannel(extend) != DeltaChannel(_messages_delta_reducer)
    assert DeltaChannel(extend) != object()


def test_snapshot_frequency_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"^snapshot_frequency must be a positive"):
        DeltaChannel(extend, snapshot_frequency=0)


@pytest.mark.parametrize(
    ("annotation", "empty"),
    [
        (Annotated[list[int], DeltaChannel(extend)], []),
        (Annotated[dict[str, int], DeltaChannel(extend)], {}),
        (Annotated[NotRequired[dict[str, int]], DeltaChannel(extend)], {}),
        (Annotated[set[int], DeltaChannel(extend)], set()),
    ],
)
def test_annotated_type_becomes_the_channel_type(annotation: Any, empty: Any) -> None:
    reference = LgDeltaChannel(extend)
    channel = _get_channel("field", annotation)
    assert isinstance(channel, DeltaChannel)
    assert channel.key == "field"
    assert channel.from_checkpoint(MISSING).get() == empty
    assert reference.snapshot_frequency == channel.snapshot_frequency


# -- _messages_delta_reducer ---------------------------------------------------------


def test_reducer_dedups_replaces_and_removes(world: str) -> None:
    state = _messages_delta_reducer([], [[{"role": "user", "content": "a", "id": "1"}]])
    state = _messages_delta_reducer(
        state,
        [
            {"role": "assistant", "content": "b", "id": "2"},
            [{"role": "user", "content": "A", "id": "1"}],
            {"role": "remove", "content": "", "id": "2"},
            {"role": "remove", "content": "", "id": "unknown"},
        ],
    )
    assert contents(state) == ["A"]
    state = _messages_delta_reducer(
        state,
        [
            "hi",
            {"role": "remove", "content": "", "id": REMOVE_ALL_MESSAGES},
            ("ai", "after"),
        ],
    )
    assert contents(state) == ["after"]
    assert ids(state) == [None]


def test_reducer_matches_langgraph_on_langchain_messages() -> None:
    writes: list[Any] = [
        [HumanMessage("a", id="1"), AIMessage("b", id="2")],
        RemoveMessage(id="1"),
        [AIMessage("B", id="2"), ("user", "c")],
    ]
    ours = _messages_delta_reducer([HumanMessage("x", id="0")], writes)
    theirs = lg_reducer([HumanMessage("x", id="0")], writes)
    assert ours == theirs
    assert contents(ours) == ["x", "B", "c"]


message_ids = st.sampled_from(["m1", "m2", "m3", "m4", REMOVE_ALL_MESSAGES])
one_message = st.builds(
    lambda mid, text, remove: {
        "role": "remove" if remove else "user",
        "content": "" if remove else text,
        "id": mid,
    },
    message_ids,
    st.sampled_from(["x", "y", "z"]),
    st.booleans(),
).filter(lambda m: m["role"] == "remove" or m["id"] != REMOVE_ALL_MESSAGES)
a_write = one_message | st.lists(one_message, max_size=3)


@settings(max_examples=150, deadline=None)
@given(
    writes=st.lists(a_write, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=8), max_size=4),
)
def test_reducer_is_batching_invariant(writes: list[Any], cuts: list[int]) -> None:
    """reducer(reducer(s, xs), ys) == reducer(s, xs + ys), however writes are cut."""
    for dicts in (False, True):
        _messages._FORCE_DICTS = dicts
        try:
            whole = _messages_delta_reducer([], writes)
            state: list[Any] = []
            bounds = sorted({min(c, len(writes)) for c in cuts} | {0, len(writes)})
            for start, end in itertools.pairwise(bounds):
                state = _messages_delta_reducer(state, writes[start:end])
        finally:
            _messages._FORCE_DICTS = False
        assert contents(state) == contents(whole)
        assert ids(state) == ids(whole)


# -- ids given before writes are saved ------------------------------------------------


def test_messages_reducer_writes_get_ids_without_touching_inputs(world: str) -> None:
    specs = {"messages": DeltaChannel(_messages_delta_reducer), "n": object()}
    given_dict = {"role": "user", "content": "hi"}
    given_list = [given_dict, "plain"]
    writes: list[tuple[str, Any]] = [
        ("messages", given_list),
        ("messages", ("ai", "yo")),
        ("messages", Overwrite(["x"])),
        ("n", given_dict),
    ]
    ensure_message_ids(specs, writes)
    assert given_dict == {"role": "user", "content": "hi"}
    assert given_list == [given_dict, "plain"]
    first, second, third, fourth = (w[1] for w in writes)
    assert all(ids(first))
    assert len(set(ids(first))) == 2
    assert ids([second])[0]
    assert isinstance(third, Overwrite)
    assert all(ids(third.value))
    assert fourth is given_dict  # not a delta channel
    again = list(writes)
    ensure_message_ids(specs, again)
    assert again == writes  # ids are given once


def test_other_delta_channels_only_stamp_messages() -> None:
    specs = {"data": DeltaChannel(extend)}
    message = HumanMessage("hi")
    writes: list[tuple[str, Any]] = [
        ("data", [message, 3, {"role": "user", "content": "d"}]),
        ("data", {"role": "user", "content": "solo"}),
        ("data", {"key": "not a message"}),
        ("data", Overwrite([HumanMessage("o")])),
    ]
    ensure_message_ids(specs, writes)
    listed, solo, other, overwrite = (w[1] for w in writes)
    assert message.id
    assert listed[1] == 3
    assert listed[2].id
    assert solo["id"]
    assert other == {"key": "not a message"}
    assert overwrite.value[0].id


def test_message_dict_in_a_list_that_is_not_a_message_fails(world: str) -> None:
    specs = {"messages": DeltaChannel(_messages_delta_reducer)}
    with pytest.raises(ValueError, match="role"):
        ensure_message_ids(specs, [("messages", [{"type": "human"}])])
