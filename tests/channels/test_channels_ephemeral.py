import pytest
from langgraph.channels import (
    EphemeralValue as LgEphemeralValue,
    UntrackedValue as LgUntrackedValue,
)

from stategraph.channels import EphemeralValue, UntrackedValue
from stategraph.channels.base import MISSING
from stategraph.errors import EmptyChannelError, InvalidUpdateError

EPHEMERAL_GUARD = (
    "At key 'x': EphemeralValue(guard=True) can receive only one value per step. "
    "Use guard=False if you want to store any one of multiple values."
)
UNTRACKED_GUARD = (
    "At key 'x': UntrackedValue(guard=True) can receive only one value per step. "
    "Use guard=False if you want to store any one of multiple values."
)


def keyed(channel_cls: type, guard: bool = True) -> object:
    ch = channel_cls(int, guard)
    ch.key = "x"
    return ch


# EphemeralValue


def test_ephemeral_defaults() -> None:
    ch = EphemeralValue(int)
    assert ch.guard is True
    assert ch.key == ""
    assert ch.ValueType is int
    assert ch.UpdateType is int
    assert ch.is_available() is False
    assert ch.checkpoint() is MISSING
    with pytest.raises(EmptyChannelError):
        ch.get()


def test_ephemeral_lives_one_step() -> None:
    ch = EphemeralValue(int)
    assert ch.update([]) is False
    assert ch.update([1]) is True
    assert ch.get() == 1
    assert ch.checkpoint() == 1
    assert ch.update([]) is True
    assert ch.is_available() is False
    assert ch.update([]) is False
    assert ch.consume() is False
    assert ch.finish() is False


def test_ephemeral_guard_rejects_many_writes() -> None:
    ch = keyed(EphemeralValue)
    with pytest.raises(InvalidUpdateError) as info:
        ch.update([1, 2])
    assert str(info.value) == EPHEMERAL_GUARD
    lg = keyed(LgEphemeralValue)
    with pytest.raises(Exception) as lg_info:  # noqa: PT011 - compared below
        lg.update([1, 2])
    assert str(lg_info.value) == str(info.value)
    assert type(lg_info.value).__name__ == "InvalidUpdateError"


def test_ephemeral_unguarded_keeps_last_write() -> None:
    ch = EphemeralValue(int, guard=False)
    assert ch.update([1, 2, 3]) is True
    assert ch.get() == 3


def test_ephemeral_round_trip_and_copy() -> None:
    ch = keyed(EphemeralValue, guard=False)
    ch.update([4])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is EphemeralValue
        assert other.get() == 4
        assert other.key == "x"
        assert other.guard is False
        other.update([])
        assert ch.get() == 4
    empty = ch.from_checkpoint(MISSING)
    assert empty.is_available() is False
    assert empty.key == "x"
    assert empty.guard is False


def test_ephemeral_equality() -> None:
    assert EphemeralValue(int) == EphemeralValue(str)
    assert EphemeralValue(int) != EphemeralValue(int, guard=False)
    assert EphemeralValue(int) != UntrackedValue(int)


class TaggedEphemeral(EphemeralValue[int]):
    def __init__(self, typ: object, guard: bool = True) -> None:
        super().__init__(typ, guard)
        self.tag = "tagged"


def test_ephemeral_subclass_copy() -> None:
    ch = TaggedEphemeral(int, False)
    ch.key = "x"
    ch.update([1])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is TaggedEphemeral
        assert other.tag == "tagged"
        assert other.guard is False
        assert other.key == "x"
        assert other.get() == 1
    assert ch.from_checkpoint(MISSING).is_available() is False


# UntrackedValue


def test_untracked_defaults() -> None:
    ch = UntrackedValue(int)
    assert ch.guard is True
    assert ch.key == ""
    assert ch.ValueType is int
    assert ch.UpdateType is int
    assert ch.is_available() is False
    with pytest.raises(EmptyChannelError):
        ch.get()


def test_untracked_keeps_value_but_never_checkpoints() -> None:
    ch = UntrackedValue(int)
    assert ch.update([1]) is True
    assert ch.get() == 1
    assert ch.checkpoint() is MISSING
    assert ch.update([]) is False
    assert ch.get() == 1
    assert ch.consume() is False
    assert ch.finish() is False


def test_untracked_guard_rejects_many_writes() -> None:
    ch = keyed(UntrackedValue)
    with pytest.raises(InvalidUpdateError) as info:
        ch.update([1, 2])
    assert str(info.value) == UNTRACKED_GUARD
    lg = keyed(LgUntrackedValue)
    with pytest.raises(Exception) as lg_info:  # noqa: PT011 - compared below
        lg.update([1, 2])
    assert str(lg_info.value) == str(info.value)


def test_untracked_unguarded_keeps_last_write() -> None:
    ch = UntrackedValue(int, guard=False)
    ch.update([1, 2])
    assert ch.get() == 2


def test_untracked_copy_keeps_value_restore_drops_it() -> None:
    ch = keyed(UntrackedValue, guard=False)
    ch.update([1])
    copied = ch.copy()
    assert copied.get() == 1
    assert copied.key == "x"
    assert copied.guard is False
    restored = ch.from_checkpoint(1)
    assert restored.is_available() is False
    assert restored.key == "x"
    assert restored.guard is False


def test_untracked_equality() -> None:
    assert UntrackedValue(int) == UntrackedValue(str)
    assert UntrackedValue(int) != UntrackedValue(int, guard=False)


class TaggedUntracked(UntrackedValue[int]):
    def __init__(self, typ: object, guard: bool = True) -> None:
        super().__init__(typ, guard)
        self.tag = "tagged"


def test_untracked_subclass_copy() -> None:
    ch = TaggedUntracked(int)
    ch.update([1])
    copied = ch.copy()
    assert type(copied) is TaggedUntracked
    assert copied.tag == "tagged"
    assert copied.get() == 1
    restored = ch.from_checkpoint(MISSING)
    assert type(restored) is TaggedUntracked
    assert restored.is_available() is False
