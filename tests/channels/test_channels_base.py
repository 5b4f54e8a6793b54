import copy
import pickle
from collections.abc import Sequence
from typing import Any

import langgraph.channels as lg_channels
import pytest

import stategraph.channels as sg_channels
from stategraph.channels import base as base_facade
from stategraph.channels._base import MISSING, BaseChannel
from stategraph.errors import EmptyChannelError


class Box(BaseChannel[int, int, int]):
    """A minimal custom channel relying on every default of BaseChannel."""

    def __init__(self, typ: Any = int, key: str = "") -> None:
        super().__init__(typ, key)
        self.value: Any = MISSING

    @property
    def ValueType(self) -> Any:
        return self.typ

    @property
    def UpdateType(self) -> Any:
        return self.typ

    def from_checkpoint(self, checkpoint: Any) -> "Box":
        new = Box(self.typ, self.key)
        if checkpoint is not MISSING:
            new.value = checkpoint
        return new

    def get(self) -> int:
        if self.value is MISSING:
            raise EmptyChannelError()
        return int(self.value)

    def update(self, values: Sequence[int]) -> bool:
        if not values:
            return False
        self.value = sum(values)
        return True


def test_facade_exports_match_langgraph() -> None:
    expected = set(lg_channels.__all__)
    assert set(sg_channels.__all__) == expected
    for name in sg_channels.__all__:
        assert getattr(sg_channels, name).__name__ == name


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("base", ["BaseChannel", "EmptyChannelError", "MISSING"]),
        ("last_value", ["LastValue", "LastValueAfterFinish"]),
        ("any_value", ["AnyValue"]),
        ("binop", ["BinaryOperatorAggregate"]),
        ("ephemeral_value", ["EphemeralValue"]),
        ("named_barrier_value", ["NamedBarrierValue", "NamedBarrierValueAfterFinish"]),
        ("topic", ["Topic"]),
        ("untracked_value", ["UntrackedValue"]),
    ],
)
def test_public_modules_reexport(module: str, names: list[str]) -> None:
    mod = __import__(f"stategraph.channels.{module}", fromlist=["_"])
    for name in names:
        assert hasattr(mod, name)


def test_base_facade_objects_are_the_real_ones() -> None:
    assert base_facade.BaseChannel is BaseChannel
    assert base_facade.MISSING is MISSING
    assert base_facade.EmptyChannelError is EmptyChannelError


def test_base_channel_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        BaseChannel(int)  # type: ignore[abstract]


def test_base_channel_attributes_and_slots() -> None:
    assert BaseChannel.__slots__ == ("key", "typ")
    box = Box(str, "k")
    assert box.typ is str
    assert box.key == "k"
    assert Box().key == ""


def test_default_checkpoint_is_missing_when_empty() -> None:
    box = Box()
    assert box.checkpoint() is MISSING
    assert box.update([1, 2]) is True
    assert box.checkpoint() == 3


def test_default_is_available_uses_get() -> None:
    box = Box()
    assert box.is_available() is False
    box.update([5])
    assert box.is_available() is True


def test_default_consume_and_finish_are_noops() -> None:
    box = Box()
    box.update([5])
    assert box.consume() is False
    assert box.finish() is False
    assert box.get() == 5


def test_default_copy_round_trips_through_checkpoint() -> None:
    box = Box(int, "k")
    empty_copy = box.copy()
    assert empty_copy is not box
    assert empty_copy.is_available() is False
    box.update([4])
    full_copy = box.copy()
    assert full_copy.get() == 4
    assert full_copy.key == "k"
    box.update([1])
    assert full_copy.get() == 4


def test_base_channel_is_hashable_by_identity() -> None:
    a, b = Box(), Box()
    assert a != b
    assert len({a, b}) == 2


def test_missing_sentinel() -> None:
    assert repr(MISSING) == "MISSING"
    assert type(MISSING)() is MISSING
    assert copy.copy(MISSING) is MISSING
    assert copy.deepcopy(MISSING) is MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
    assert copy.deepcopy({"a": [MISSING]})["a"][0] is MISSING
    assert bool(MISSING) is True


def test_subscripting_channels_works() -> None:
    assert sg_channels.LastValue[int] is not None
    assert sg_channels.Topic[str] is not None
    assert BaseChannel[int, int, int] is not None
