import pytest
from langgraph.channels import (
    AnyValue as LgAnyValue,
    LastValue as LgLastValue,
    LastValueAfterFinish as LgLastValueAfterFinish,
)
from langgraph.errors import InvalidUpdateError as LgInvalidUpdateError

from stategraph.channels import AnyValue, LastValue, LastValueAfterFinish
from stategraph.channels.base import MISSING
from stategraph.errors import EmptyChannelError, InvalidUpdateError

TOO_MANY = (
    "At key 'x': Can receive only one value per step. Use an Annotated key to "
    "handle multiple values.\n"
    "For troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/"
    "errors/INVALID_CONCURRENT_GRAPH_UPDATE"
)


# LastValue


def test_last_value_starts_empty() -> None:
    ch = LastValue(int, "x")
    assert ch.typ is int
    assert ch.key == "x"
    assert ch.ValueType is int
    assert ch.UpdateType is int
    assert ch.is_available() is False
    assert ch.checkpoint() is MISSING
    with pytest.raises(EmptyChannelError):
        ch.get()


def test_last_value_keeps_last_single_write() -> None:
    ch = LastValue(int, "x")
    assert ch.update([]) is False
    assert ch.update([1]) is True
    assert ch.get() == 1
    assert ch.update([]) is False
    assert ch.get() == 1
    assert ch.update([2]) is True
    assert ch.get() == 2
    assert ch.consume() is False
    assert ch.finish() is False
    assert ch.get() == 2


def test_last_value_rejects_two_writes() -> None:
    ch = LastValue(int, "x")
    ch.update([1])
    with pytest.raises(InvalidUpdateError) as info:
        ch.update([2, 3])
    assert str(info.value) == TOO_MANY
    assert ch.get() == 1


def test_last_value_message_equals_langgraph() -> None:
    with pytest.raises(LgInvalidUpdateError) as lg_info:
        LgLastValue(int, "x").update([1, 2])
    with pytest.raises(InvalidUpdateError) as sg_info:
        LastValue(int, "x").update([1, 2])
    assert str(sg_info.value) == str(lg_info.value)


def test_last_value_stores_none() -> None:
    ch = LastValue(object)
    ch.update([None])
    assert ch.is_available() is True
    assert ch.get() is None


def test_last_value_checkpoint_round_trip() -> None:
    ch = LastValue(list, "x")
    ch.update([[1, 2]])
    restored = ch.from_checkpoint(ch.checkpoint())
    assert restored.get() == [1, 2]
    assert restored.key == "x"
    assert restored.typ is list
    assert type(restored) is LastValue
    empty = ch.from_checkpoint(MISSING)
    assert empty.is_available() is False
    assert empty.key == "x"


def test_last_value_copy_is_independent() -> None:
    ch = LastValue(int, "x")
    ch.update([1])
    other = ch.copy()
    other.update([2])
    assert ch.get() == 1
    assert other.get() == 2
    assert other.key == "x"
    assert LastValue(int).copy().is_available() is False


def test_last_value_equality() -> None:
    assert LastValue(int) == LastValue(str, "other")
    assert LastValue(int) != AnyValue(int)
    assert LastValue(int) != LastValueAfterFinish(int)
    with pytest.raises(TypeError):
        hash(LastValue(int))


class TaggedLastValue(LastValue[int]):
    def __init__(self, typ: object, key: str = "") -> None:
        super().__init__(typ, key)
        self.tag = "tagged"


def test_last_value_subclass_copy_runs_init() -> None:
    ch = TaggedLastValue(int, "x")
    ch.update([3])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is TaggedLastValue
        assert other.tag == "tagged"
        assert other.get() == 3
        assert other.key == "x"
    assert ch.from_checkpoint(MISSING).is_available() is False


# LastValueAfterFinish


def test_after_finish_hidden_until_finish() -> None:
    ch = LastValueAfterFinish(int, "x")
    assert ch.ValueType is int
    assert ch.UpdateType is int
    assert ch.finish() is False
    assert ch.update([]) is False
    assert ch.update([1, 2]) is True
    assert ch.is_available() is False
    with pytest.raises(EmptyChannelError):
        ch.get()
    assert ch.checkpoint() == (2, False)
    assert ch.consume() is False
    assert ch.finish() is True
    assert ch.finish() is False
    assert ch.is_available() is True
    assert ch.get() == 2
    assert ch.checkpoint() == (2, True)


def test_after_finish_consume_clears() -> None:
    ch = LastValueAfterFinish(int)
    ch.update([1])
    ch.finish()
    assert ch.consume() is True
    assert ch.is_available() is False
    assert ch.checkpoint() is MISSING
    assert ch.consume() is False


def test_after_finish_update_resets_finished() -> None:
    ch = LastValueAfterFinish(int)
    ch.update([1])
    ch.finish()
    ch.update([5])
    assert ch.is_available() is False
    assert ch.checkpoint() == (5, False)


def test_after_finish_round_trip_and_copy() -> None:
    ch = LastValueAfterFinish(int, "x")
    ch.update([1])
    ch.finish()
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert other.get() == 1
        assert other.key == "x"
        assert other.checkpoint() == (1, True)
    empty = ch.from_checkpoint(MISSING)
    assert empty.checkpoint() is MISSING
    assert empty.finished is False
    assert empty.key == "x"


def test_after_finish_copy_of_empty_is_unfinished() -> None:
    ch = LastValueAfterFinish(int)
    ch.finished = True
    lg = LgLastValueAfterFinish(int)
    lg.finished = True
    assert ch.copy().finished is lg.copy().finished is False


def test_after_finish_bad_checkpoint_raises_like_langgraph() -> None:
    with pytest.raises(TypeError) as sg_info:
        LastValueAfterFinish(int).from_checkpoint(5)
    with pytest.raises(TypeError) as lg_info:
        LgLastValueAfterFinish(int).from_checkpoint(5)
    assert str(sg_info.value) == str(lg_info.value)


def test_after_finish_equality() -> None:
    assert LastValueAfterFinish(int) == LastValueAfterFinish(str)
    assert LastValueAfterFinish(int) != LastValue(int)


class TaggedAfterFinish(LastValueAfterFinish[int]):
    def __init__(self, typ: object, key: str = "") -> None:
        super().__init__(typ, key)
        self.tag = "tagged"


def test_after_finish_subclass_copy() -> None:
    ch = TaggedAfterFinish(int, "x")
    ch.update([1])
    ch.finish()
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is TaggedAfterFinish
        assert other.tag == "tagged"
        assert other.get() == 1
        assert other.key == "x"


# AnyValue


def test_any_value_keeps_last_write_and_clears_on_empty_step() -> None:
    ch = AnyValue(int, "x")
    assert ch.ValueType is int
    assert ch.UpdateType is int
    assert ch.update([]) is False
    assert ch.is_available() is False
    assert ch.update([1, 2, 3]) is True
    assert ch.get() == 3
    assert ch.update([]) is True
    assert ch.is_available() is False
    assert ch.checkpoint() is MISSING
    with pytest.raises(EmptyChannelError):
        ch.get()


def test_any_value_round_trip_and_copy() -> None:
    ch = AnyValue(int, "x")
    ch.update([7])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert other.get() == 7
        assert other.key == "x"
        other.update([])
        assert ch.get() == 7
    assert ch.from_checkpoint(MISSING).is_available() is False


def test_any_value_equality() -> None:
    assert AnyValue(int) == AnyValue(str)
    assert AnyValue(int) != LastValue(int)


class TaggedAnyValue(AnyValue[int]):
    def __init__(self, typ: object, key: str = "") -> None:
        super().__init__(typ, key)
        self.tag = "tagged"


def test_any_value_subclass_copy() -> None:
    ch = TaggedAnyValue(int, "x")
    ch.update([1])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is TaggedAnyValue
        assert other.tag == "tagged"
        assert other.get() == 1
    assert ch.from_checkpoint(MISSING).is_available() is False


@pytest.mark.parametrize(
    ("sg_cls", "lg_cls"),
    [
        (LastValue, LgLastValue),
        (LastValueAfterFinish, LgLastValueAfterFinish),
        (AnyValue, LgAnyValue),
    ],
)
def test_equality_matrix_matches_langgraph(sg_cls: type, lg_cls: type) -> None:
    others_sg = [LastValue(int), LastValueAfterFinish(int), AnyValue(int)]
    others_lg = [LgLastValue(int), LgLastValueAfterFinish(int), LgAnyValue(int)]
    for sg_other, lg_other in zip(others_sg, others_lg, strict=True):
        assert (sg_cls(int) == sg_other) is (lg_cls(int) == lg_other)
