from collections.abc import Sequence

import pytest
from langgraph.channels import Topic as LgTopic

from stategraph.channels import Topic
from stategraph.channels.base import MISSING
from stategraph.errors import EmptyChannelError


def test_topic_defaults() -> None:
    ch = Topic(int)
    assert ch.accumulate is False
    assert ch.key == ""
    assert ch.is_available() is False
    assert ch.checkpoint() == []
    with pytest.raises(EmptyChannelError) as info:
        ch.get()
    assert str(info.value) == ""


def test_topic_types_match_langgraph() -> None:
    assert Topic(int).ValueType == Sequence[int] == LgTopic(int).ValueType
    assert Topic(int).UpdateType == int | list[int] == LgTopic(int).UpdateType


def test_topic_flattens_list_writes() -> None:
    ch = Topic(int)
    assert ch.update([1, [2, 3], [], 4]) is True
    assert ch.get() == [1, 2, 3, 4]


def test_topic_tuples_are_not_flattened() -> None:
    ch = Topic(object)
    ch.update([(1, 2)])
    assert ch.get() == [(1, 2)]


def test_topic_without_accumulate_replaces_each_step() -> None:
    ch = Topic(int)
    assert ch.update([]) is False
    assert ch.update([1]) is True
    assert ch.update([2]) is True
    assert ch.get() == [2]
    assert ch.update([[]]) is True
    assert ch.is_available() is False
    assert ch.update([[]]) is False
    ch.update([3])
    assert ch.update([]) is True
    assert ch.is_available() is False
    assert ch.update([]) is False


def test_topic_with_accumulate_keeps_values() -> None:
    ch = Topic(int, accumulate=True)
    assert ch.update([]) is False
    assert ch.update([1, [2]]) is True
    assert ch.update([]) is False
    assert ch.update([[]]) is False
    assert ch.update([3]) is True
    assert ch.get() == [1, 2, 3]


def test_topic_get_returns_a_copy() -> None:
    ch = Topic(int, accumulate=True)
    ch.update([1])
    got = ch.get()
    assert isinstance(got, list)
    got.append(2)
    assert ch.get() == [1]


def test_topic_checkpoint_not_mutated_by_later_steps() -> None:
    ch = Topic(int)
    ch.update([1])
    saved = ch.checkpoint()
    ch.update([2])
    ch.update([])
    assert saved == [1]


def test_topic_consume_and_finish_noop() -> None:
    ch = Topic(int)
    ch.update([1])
    assert ch.consume() is False
    assert ch.finish() is False
    assert ch.get() == [1]


@pytest.mark.parametrize("accumulate", [True, False])
def test_topic_round_trip_and_copy(accumulate: bool) -> None:
    ch = Topic(int, accumulate=accumulate)
    ch.key = "x"
    ch.update([1, 2])
    restored = ch.from_checkpoint(ch.checkpoint())
    copied = ch.copy()
    for other in (restored, copied):
        assert type(other) is Topic
        assert other.get() == [1, 2]
        assert other.key == "x"
        assert other.accumulate is accumulate
    copied.update([3])
    assert ch.get() == [1, 2]
    empty = ch.from_checkpoint(MISSING)
    assert empty.is_available() is False
    assert empty.accumulate is accumulate
    assert empty.values == []


def test_topic_legacy_tuple_checkpoint() -> None:
    ch = Topic(int).from_checkpoint(({"a"}, [1, 2]))
    assert ch.get() == [1, 2]


def test_topic_equality() -> None:
    assert Topic(int) == Topic(str)
    assert Topic(int) != Topic(int, accumulate=True)


class TaggedTopic(Topic[int]):
    def __init__(self, typ: object, accumulate: bool = False) -> None:
        super().__init__(typ, accumulate)
        self.tag = "tagged"


def test_topic_subclass_copy() -> None:
    ch = TaggedTopic(int, True)
    ch.update([1])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is TaggedTopic
        assert other.tag == "tagged"
        assert other.accumulate is True
        assert other.get() == [1]
    assert ch.from_checkpoint(MISSING).is_available() is False
