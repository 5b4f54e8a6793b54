import collections.abc
import functools
import operator
import typing
from typing import Annotated, Any, NamedTuple, Optional, Union

import pytest
from hypothesis import given, settings, strategies as st
from langgraph.channels import BinaryOperatorAggregate as LgBinop
from langgraph.channels.base import MISSING as LG_MISSING
from langgraph.checkpoint.serde.types import _DeltaSnapshot as LgDeltaSnapshot
from langgraph.errors import InvalidUpdateError as LgInvalidUpdateError
from langgraph.types import Overwrite as LgOverwrite
from typing_extensions import NotRequired, Required

from stategraph._types import Overwrite
from stategraph.channels import BinaryOperatorAggregate
from stategraph.channels.base import MISSING
from stategraph.errors import EmptyChannelError, InvalidUpdateError

TWO_OVERWRITES = (
    "Can receive only one Overwrite value per super-step.\n"
    "For troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/"
    "errors/INVALID_CONCURRENT_GRAPH_UPDATE"
)


class NeedsArgs:
    def __init__(self, x: int) -> None:
        self.x = x


TYPES: list[Any] = [
    int,
    str,
    float,
    tuple,
    list,
    dict,
    set,
    frozenset,
    list[int],
    dict[str, int],
    typing.List[int],  # noqa: UP006 - old alias on purpose
    Annotated[list[int], "meta"],
    Annotated[dict[str, int], "meta"],
    Required[list[int]],
    NotRequired[Annotated[list[int], "meta"]],
    Annotated[NotRequired[list[int]], "meta"],
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.MutableSet,
    collections.abc.Mapping,
    collections.abc.MutableMapping,
    typing.Sequence[int],
    typing.AbstractSet[int],
    typing.Mapping[str, int],
    collections.abc.Iterable,
    typing.Any,
    Optional[int],  # noqa: UP045 - old alias on purpose
    Union[int, str],  # noqa: UP007 - old alias on purpose
    int | None,
    NeedsArgs,
]


def norm(value: Any) -> Any:
    if value is MISSING or value is LG_MISSING:
        return "<MISSING>"
    return value


@pytest.mark.parametrize("typ", TYPES, ids=repr)
def test_initial_value_matches_langgraph(typ: Any) -> None:
    sg = BinaryOperatorAggregate(typ, operator.add)
    lg = LgBinop(typ, operator.add)
    assert norm(sg.value) == norm(lg.value)
    assert type(sg.value) is type(lg.value) or sg.value is MISSING
    assert sg.is_available() is lg.is_available()
    assert sg.typ is typ
    assert sg.ValueType is typ
    assert sg.UpdateType is typ


def test_empty_channel_raises() -> None:
    ch = BinaryOperatorAggregate(int | None, operator.add)
    assert ch.is_available() is False
    assert ch.checkpoint() is MISSING
    with pytest.raises(EmptyChannelError):
        ch.get()


def test_folds_writes_in_order() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    assert ch.key == ""
    assert ch.get() == []
    assert ch.update([]) is False
    assert ch.update([[1], [2, 3]]) is True
    assert ch.update([[4]]) is True
    assert ch.get() == [1, 2, 3, 4]
    assert ch.consume() is False
    assert ch.finish() is False


def test_first_write_into_empty_channel_is_stored_as_is() -> None:
    ch = BinaryOperatorAggregate(int | None, operator.add)
    assert ch.update([5, 6]) is True
    assert ch.get() == 11


def test_first_write_into_empty_channel_is_not_unwrapped() -> None:
    # langgraph stores even an Overwrite as the raw first value
    ch = BinaryOperatorAggregate(int | None, operator.add)
    marker = Overwrite(3)
    ch.update([marker])
    assert ch.get() is marker


def test_overwrite_replaces_value_and_skips_rest_of_step() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    ch.update([[1]])
    assert ch.update([[2], Overwrite([9]), [3]]) is True
    assert ch.get() == [9]
    ch.update([[4]])
    assert ch.get() == [9, 4]


@pytest.mark.parametrize(
    "write",
    [
        Overwrite([7]),
        {"__overwrite__": [7]},
        {"type": "__overwrite__", "value": [7]},
        {"type": "__overwrite__", "value": [7], "extra": 1},
    ],
    ids=["class", "sentinel-dict", "json-dict", "json-dict-extra"],
)
def test_overwrite_forms(write: Any) -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    ch.update([[1], write])
    assert ch.get() == [7]


@pytest.mark.parametrize(
    "write",
    [
        {"__overwrite__": 1, "other": 2},
        {"type": "__overwrite__"},
        {"type": "other", "value": 3},
        {"value": 3},
    ],
)
def test_dicts_that_are_not_overwrites_are_reduced(write: Any) -> None:
    ch = BinaryOperatorAggregate(dict, lambda a, b: {**a, **b})
    ch.update([write])
    assert ch.get() == write


def test_overwrite_with_none_value() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    ch.update([[1], Overwrite(None)])
    assert ch.get() is None
    assert ch.is_available() is True


def test_two_overwrites_in_a_step_raise() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    with pytest.raises(InvalidUpdateError) as info:
        ch.update([[1], Overwrite([2]), {"__overwrite__": [3]}])
    assert str(info.value) == TWO_OVERWRITES
    lg = LgBinop(list, operator.add)
    with pytest.raises(Exception) as lg_info:  # noqa: PT011 - compared below
        lg.update([[1], LgOverwrite([2]), {"__overwrite__": [3]}])
    assert type(lg_info.value).__name__ == "InvalidUpdateError"
    assert str(lg_info.value) == str(info.value)


def test_overwrites_in_separate_steps_are_fine() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    ch.update([Overwrite([1])])
    ch.update([Overwrite([2])])
    assert ch.get() == [2]


def test_operator_errors_propagate() -> None:
    ch = BinaryOperatorAggregate(int, operator.add)
    with pytest.raises(TypeError):
        ch.update(["a"])


def test_round_trip_and_copy() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    ch.key = "x"
    ch.update([[1]])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is BinaryOperatorAggregate
        assert other.get() == [1]
        assert other.key == "x"
        assert other.operator is operator.add
        assert other.typ is list
        other.update([[2]])
        assert ch.get() == [1]


def test_from_missing_checkpoint_gets_fresh_initial_value() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    first = ch.from_checkpoint(MISSING)
    second = ch.from_checkpoint(MISSING)
    assert first.get() == []
    assert first.value is not second.value
    assert first.value is not ch.value
    assert ch.from_checkpoint(MISSING).key == ""


def test_from_missing_checkpoint_without_default() -> None:
    ch = BinaryOperatorAggregate(NeedsArgs, operator.add)
    assert ch.from_checkpoint(MISSING).is_available() is False


class _DeltaSnapshot(NamedTuple):
    """Stand-in for the serializers' record, recognised by its name."""

    value: Any


class Pair(NamedTuple):
    value: Any


def test_from_checkpoint_unwraps_delta_snapshot() -> None:
    ch = BinaryOperatorAggregate(list, operator.add)
    assert ch.from_checkpoint(_DeltaSnapshot([1, 2])).get() == [1, 2]
    assert ch.from_checkpoint(LgDeltaSnapshot([3])).get() == [3]
    lg = LgBinop(list, operator.add)
    assert lg.from_checkpoint(LgDeltaSnapshot([3])).get() == [3]


def test_from_checkpoint_keeps_other_tuples() -> None:
    ch = BinaryOperatorAggregate(tuple, operator.add)
    assert ch.from_checkpoint(Pair((1,))).get() == Pair((1,))
    assert ch.from_checkpoint((1, 2)).get() == (1, 2)


def named_reducer(a: list[int], b: list[int]) -> list[int]:
    return a + b


def other_reducer(a: list[int], b: list[int]) -> list[int]:
    return b + a


def test_equality_compares_operators() -> None:
    a = BinaryOperatorAggregate(list, named_reducer)
    assert a == BinaryOperatorAggregate(dict, named_reducer)
    assert a != BinaryOperatorAggregate(list, other_reducer)
    assert a == BinaryOperatorAggregate(list, lambda x, y: x)
    assert BinaryOperatorAggregate(list, lambda x, y: x) == a
    assert a != named_reducer
    with pytest.raises(TypeError):
        hash(a)


def test_equality_with_nameless_operator_raises_like_langgraph() -> None:
    op = functools.partial(operator.add)
    with pytest.raises(AttributeError) as sg_info:
        _ = BinaryOperatorAggregate(list, op) == BinaryOperatorAggregate(list, op)
    with pytest.raises(AttributeError) as lg_info:
        _ = LgBinop(list, op) == LgBinop(list, op)
    assert str(sg_info.value) == str(lg_info.value)


class TaggedBinop(BinaryOperatorAggregate[list[int]]):
    def __init__(self, typ: Any, operator: Any) -> None:
        super().__init__(typ, operator)
        self.tag = "tagged"


def test_subclass_copy_runs_init() -> None:
    ch = TaggedBinop(list, operator.add)
    ch.key = "x"
    ch.update([[1]])
    for other in (ch.copy(), ch.from_checkpoint(ch.checkpoint())):
        assert type(other) is TaggedBinop
        assert other.tag == "tagged"
        assert other.key == "x"
        assert other.get() == [1]
    assert ch.from_checkpoint(MISSING).get() == []
    assert ch.from_checkpoint(_DeltaSnapshot([5])).get() == [5]


_WRITES = st.lists(
    st.one_of(
        st.lists(st.integers(), max_size=3),
        st.tuples(st.integers()),
        st.builds(Overwrite, st.lists(st.integers(), max_size=2)),
    ),
    max_size=6,
)


def _fold(channel: Any, steps: list[list[Any]]) -> Any:
    for step in steps:
        try:
            channel.update(step)
        except (TypeError, InvalidUpdateError, LgInvalidUpdateError) as exc:
            return type(exc).__name__
    return channel.get() if channel.is_available() else None


@given(
    start=st.one_of(st.none(), st.lists(st.integers(), max_size=3)),
    steps=st.lists(_WRITES, max_size=4),
)
@settings(max_examples=200, deadline=None)
def test_list_add_folds_a_step_as_langgraph(
    start: list[int] | None, steps: list[list[Any]]
) -> None:
    # Lists added by ``operator.add`` are joined in one pass (linear in a
    # wide step); the value is the one LangGraph's write-by-write fold gives.
    theirs = LgBinop(list, operator.add)
    ours = BinaryOperatorAggregate(list, operator.add)
    if start is not None:
        theirs.update([list(start)])
        ours.update([list(start)])
    lg_steps = [
        [LgOverwrite(w.value) if isinstance(w, Overwrite) else w for w in s]
        for s in steps
    ]
    assert _fold(ours, steps) == _fold(theirs, lg_steps)


def test_list_add_never_extends_a_written_list_in_place() -> None:
    first, second = [1], [2]
    channel = BinaryOperatorAggregate(list, operator.add)
    channel.update([first])
    held = channel.get()
    channel.update([second, [3]])
    assert channel.get() == [1, 2, 3]
    assert (first, second, held) == ([1], [2], [1])
    empty = channel.from_checkpoint(MISSING)
    empty.update([first, second])  # an empty channel starts from its first write
    assert empty.get() == [1, 2]
    assert first == [1]
