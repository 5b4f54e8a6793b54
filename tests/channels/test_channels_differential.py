"""Drive stategraph's and langgraph's channels side by side and compare traces."""

import operator
from collections.abc import Callable
from typing import Any

import langgraph.channels as lg
import pytest
from hypothesis import given, settings, strategies as st
from langgraph.channels.base import MISSING as LG_MISSING
from langgraph.types import Overwrite as LgOverwrite

import stategraph.channels as sg
from stategraph._types import Overwrite as SgOverwrite
from stategraph.channels.base import MISSING as SG_MISSING

SETTINGS = settings(deadline=None, max_examples=150)


class OW:
    """Library-neutral Overwrite marker, turned into each library's class."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"OW({self.value!r})"


def to_lib(value: Any, overwrite_cls: type) -> Any:
    if isinstance(value, OW):
        return overwrite_cls(to_lib(value.value, overwrite_cls))
    return value


def norm(value: Any) -> Any:
    if value is SG_MISSING or value is LG_MISSING:
        return "<MISSING>"
    if isinstance(value, (SgOverwrite, LgOverwrite)):
        return ("<Overwrite>", norm(value.value))
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


def observe(channel: Any) -> tuple[Any, ...]:
    try:
        got: Any = ("ok", norm(channel.get()))
    except Exception as exc:
        got = ("err", type(exc).__name__, str(exc))
    return (channel.is_available(), got, norm(channel.checkpoint()))


def run(channel: Any, ops: list[tuple[Any, ...]], overwrite_cls: type) -> list[Any]:
    trace: list[Any] = [observe(channel)]
    for op in ops:
        kind = op[0]
        try:
            if kind == "update":
                result: Any = channel.update([to_lib(v, overwrite_cls) for v in op[1]])
            elif kind == "consume":
                result = channel.consume()
            elif kind == "finish":
                result = channel.finish()
            elif kind == "copy":
                channel, result = channel.copy(), None
            elif kind == "restore":
                channel = channel.from_checkpoint(channel.checkpoint())
                result = None
            else:
                channel, result = channel.from_checkpoint(op[1]), None
            outcome: Any = ("ok", result)
        except Exception as exc:
            outcome = ("err", type(exc).__name__, str(exc))
        trace.append((kind, outcome, observe(channel), channel.key))
    return trace


def ops_of(write: st.SearchStrategy[Any], max_batch: int = 4) -> st.SearchStrategy:
    op = st.one_of(
        st.tuples(st.just("update"), st.lists(write, max_size=max_batch)),
        st.tuples(st.just("update"), st.just([])),
        st.tuples(st.sampled_from(["consume", "finish", "copy", "restore"])),
    )
    return st.lists(op, max_size=25)


def compare(make_sg: Callable[[], Any], make_lg: Callable[[], Any], ops: list) -> None:
    sg_channel, lg_channel = make_sg(), make_lg()
    sg_channel.key = lg_channel.key = "k"
    assert run(sg_channel, ops, SgOverwrite) == run(lg_channel, ops, LgOverwrite)
    # a fresh channel restored from nothing behaves the same too
    sg_fresh = make_sg().from_checkpoint(SG_MISSING)
    lg_fresh = make_lg().from_checkpoint(LG_MISSING)
    assert run(sg_fresh, ops, SgOverwrite) == run(lg_fresh, ops, LgOverwrite)


ints = st.integers(-5, 5)
int_lists = st.lists(ints, max_size=3)


# single-value channels


@pytest.mark.parametrize(
    ("make_sg", "make_lg"),
    [
        (lambda: sg.LastValue(int), lambda: lg.LastValue(int)),
        (lambda: sg.LastValueAfterFinish(int), lambda: lg.LastValueAfterFinish(int)),
        (lambda: sg.AnyValue(int), lambda: lg.AnyValue(int)),
        (lambda: sg.EphemeralValue(int), lambda: lg.EphemeralValue(int)),
        (
            lambda: sg.EphemeralValue(int, guard=False),
            lambda: lg.EphemeralValue(int, guard=False),
        ),
        (lambda: sg.UntrackedValue(int), lambda: lg.UntrackedValue(int)),
        (
            lambda: sg.UntrackedValue(int, guard=False),
            lambda: lg.UntrackedValue(int, guard=False),
        ),
    ],
    ids=[
        "LastValue",
        "LastValueAfterFinish",
        "AnyValue",
        "EphemeralValue",
        "EphemeralValue-noguard",
        "UntrackedValue",
        "UntrackedValue-noguard",
    ],
)
@SETTINGS
@given(ops=ops_of(st.one_of(ints, st.none())))
def test_value_channels_match_langgraph(make_sg: Any, make_lg: Any, ops: list) -> None:
    compare(make_sg, make_lg, ops)


# topics


@pytest.mark.parametrize("accumulate", [False, True])
@SETTINGS
@given(ops=ops_of(st.one_of(ints, int_lists, st.just([]), st.tuples(ints))))
def test_topic_matches_langgraph(accumulate: bool, ops: list) -> None:
    compare(
        lambda: sg.Topic(int, accumulate=accumulate),
        lambda: lg.Topic(int, accumulate=accumulate),
        ops,
    )


# barriers

NAMES = frozenset({"a", "b", "c"})


@pytest.mark.parametrize("after_finish", [False, True])
@SETTINGS
@given(ops=ops_of(st.sampled_from(["a", "b", "c", "d"]), max_batch=3))
def test_barrier_matches_langgraph(after_finish: bool, ops: list) -> None:
    names = set(NAMES)  # one set shared by both so error messages print alike
    if after_finish:
        compare(
            lambda: sg.NamedBarrierValueAfterFinish(str, names),
            lambda: lg.NamedBarrierValueAfterFinish(str, names),
            ops,
        )
    else:
        compare(
            lambda: sg.NamedBarrierValue(str, names),
            lambda: lg.NamedBarrierValue(str, names),
            ops,
        )


# reducers


def merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {**a, **b}


def keep_max(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def overwrites(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        inner.map(OW),
        inner.map(lambda v: {"__overwrite__": v}),
        inner.map(lambda v: {"type": "__overwrite__", "value": v}),
    )


small_dicts = st.dictionaries(
    st.sampled_from(["a", "b", "c", "type"]), ints, max_size=3
)

REDUCERS: dict[str, tuple[Any, Callable[..., Any], st.SearchStrategy[Any]]] = {
    "list-add": (list, operator.add, st.one_of(int_lists, overwrites(int_lists))),
    "int-add": (int, operator.add, st.one_of(ints, overwrites(ints))),
    "dict-merge": (dict, merge, st.one_of(small_dicts, overwrites(small_dicts))),
    "custom-no-default": (
        int | None,
        keep_max,
        st.one_of(ints, st.none(), overwrites(ints)),
    ),
    "lambda-str": (str, lambda a, b: a + b, st.one_of(st.text(max_size=2))),
}


@pytest.mark.parametrize("name", sorted(REDUCERS))
@SETTINGS
@given(data=st.data())
def test_binop_matches_langgraph(name: str, data: st.DataObject) -> None:
    typ, op, writes = REDUCERS[name]
    ops = data.draw(ops_of(writes))
    compare(
        lambda: sg.BinaryOperatorAggregate(typ, op),
        lambda: lg.BinaryOperatorAggregate(typ, op),
        ops,
    )


@SETTINGS
@given(checkpoint=st.one_of(int_lists, st.just("missing")), ops=ops_of(int_lists))
def test_binop_restored_from_saved_value_matches_langgraph(
    checkpoint: Any, ops: list
) -> None:
    sg_channel = sg.BinaryOperatorAggregate(list, operator.add)
    lg_channel = lg.BinaryOperatorAggregate(list, operator.add)
    sg_restored = sg_channel.from_checkpoint(
        SG_MISSING if checkpoint == "missing" else list(checkpoint)
    )
    lg_restored = lg_channel.from_checkpoint(
        LG_MISSING if checkpoint == "missing" else list(checkpoint)
    )
    assert run(sg_restored, ops, SgOverwrite) == run(lg_restored, ops, LgOverwrite)
