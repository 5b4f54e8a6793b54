import pytest
from langgraph.channels import (
    NamedBarrierValue as LgNamedBarrierValue,
    NamedBarrierValueAfterFinish as LgNamedBarrierValueAfterFinish,
)

from stategraph.channels import NamedBarrierValue, NamedBarrierValueAfterFinish
from stategraph.channels.base import MISSING
from stategraph.errors import EmptyChannelError, InvalidUpdateError


def test_barrier_defaults() -> None:
    ch = NamedBarrierValue(str, {"a", "b"})
    assert ch.key == ""
    assert ch.ValueType is str
    assert ch.UpdateType is str
    assert ch.seen == set()
    assert ch.checkpoint() == set()
    assert ch.is_available() is False
    with pytest.raises(EmptyChannelError):
        ch.get()


def test_barrier_opens_when_all_names_seen() -> None:
    ch = NamedBarrierValue(str, {"a", "b"})
    assert ch.update([]) is False
    assert ch.update(["a"]) is True
    assert ch.update(["a"]) is False
    assert ch.is_available() is False
    assert ch.consume() is False
    assert ch.finish() is False
    assert ch.update(["b", "a"]) is True
    assert ch.is_available() is True
    assert ch.get() is None
    assert ch.consume() is True
    assert ch.is_available() is False
    assert ch.seen == set()


def test_barrier_rejects_unknown_name() -> None:
    ch = NamedBarrierValue(str, {"a"})
    ch.key = "x"
    with pytest.raises(InvalidUpdateError) as info:
        ch.update(["a", "z"])
    assert str(info.value) == "At key 'x': Value z not in {'a'}"
    # writes before the unknown one are kept, as in langgraph
    assert ch.seen == {"a"}


@pytest.mark.parametrize(
    ("sg_cls", "lg_cls"),
    [
        (NamedBarrierValue, LgNamedBarrierValue),
        (NamedBarrierValueAfterFinish, LgNamedBarrierValueAfterFinish),
    ],
)
def test_barrier_errors_match_langgraph(sg_cls: type, lg_cls: type) -> None:
    names = {"a", "b", "c"}
    sg, lg = sg_cls(str, names), lg_cls(str, names)
    sg.key = lg.key = "k"
    with pytest.raises(InvalidUpdateError) as sg_info:
        sg.update(["b", 3])
    with pytest.raises(Exception) as lg_info:  # noqa: PT011 - compared below
        lg.update(["b", 3])
    assert type(lg_info.value).__name__ == "InvalidUpdateError"
    assert str(sg_info.value) == str(lg_info.value)
    with pytest.raises(TypeError) as sg_type:
        sg.update([["unhashable"]])
    with pytest.raises(TypeError) as lg_type:
        lg.update([["unhashable"]])
    assert str(sg_type.value) == str(lg_type.value)


def test_barrier_round_trip_and_copy() -> None:
    ch = NamedBarrierValue(str, {"a", "b"})
    ch.key = "x"
    ch.update(["a"])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is NamedBarrierValue
        assert other.seen == {"a"}
        assert other.key == "x"
        assert other.names is ch.names
    copied = ch.copy()
    copied.update(["b"])
    assert ch.seen == {"a"}
    empty = ch.from_checkpoint(MISSING)
    assert empty.seen == set()
    assert empty.seen is not ch.from_checkpoint(MISSING).seen


def test_barrier_equality() -> None:
    assert NamedBarrierValue(str, {"a"}) == NamedBarrierValue(int, {"a"})
    assert NamedBarrierValue(str, {"a"}) != NamedBarrierValue(str, {"b"})
    assert NamedBarrierValue(str, {"a"}) != NamedBarrierValueAfterFinish(str, {"a"})


def test_barrier_after_finish_needs_finish() -> None:
    ch = NamedBarrierValueAfterFinish(str, {"a", "b"})
    assert ch.ValueType is str
    assert ch.UpdateType is str
    assert ch.checkpoint() == (set(), False)
    assert ch.finish() is False
    assert ch.update(["a", "b"]) is True
    assert ch.is_available() is False
    with pytest.raises(EmptyChannelError):
        ch.get()
    assert ch.consume() is False
    assert ch.finish() is True
    assert ch.finish() is False
    assert ch.is_available() is True
    assert ch.get() is None
    assert ch.checkpoint() == ({"a", "b"}, True)
    assert ch.consume() is True
    assert ch.is_available() is False
    assert ch.checkpoint() == (set(), False)


def test_barrier_after_finish_round_trip_and_copy() -> None:
    ch = NamedBarrierValueAfterFinish(str, {"a"})
    ch.key = "x"
    ch.update(["a"])
    ch.finish()
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is NamedBarrierValueAfterFinish
        assert other.is_available() is True
        assert other.key == "x"
    copied = ch.copy()
    copied.consume()
    assert ch.is_available() is True
    empty = ch.from_checkpoint(MISSING)
    assert empty.checkpoint() == (set(), False)
    assert empty.key == "x"


def test_barrier_after_finish_equality() -> None:
    a = NamedBarrierValueAfterFinish(str, {"a"})
    assert a == NamedBarrierValueAfterFinish(str, {"a"})
    assert a != NamedBarrierValueAfterFinish(str, {"b"})
    assert a != NamedBarrierValue(str, {"a"})


class TaggedBarrier(NamedBarrierValue[str]):
    def __init__(self, typ: object, names: set[str]) -> None:
        super().__init__(typ, names)
        self.tag = "tagged"


class TaggedBarrierAfterFinish(NamedBarrierValueAfterFinish[str]):
    def __init__(self, typ: object, names: set[str]) -> None:
        super().__init__(typ, names)
        self.tag = "tagged"


@pytest.mark.parametrize("cls", [TaggedBarrier, TaggedBarrierAfterFinish])
def test_barrier_subclass_copy(cls: type) -> None:
    ch = cls(str, {"a"})
    ch.update(["a"])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is cls
        assert other.tag == "tagged"
        assert other.seen == {"a"}
    assert ch.from_checkpoint(MISSING).seen == set()
