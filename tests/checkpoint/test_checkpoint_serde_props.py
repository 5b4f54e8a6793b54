"""Property tests: any value built from supported types survives a round trip."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import enum
from decimal import Decimal
from typing import Any, NamedTuple

from hypothesis import given, settings, strategies as st
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer as LangGraphSerde

from stategraph._types import Send
from stategraph.checkpoint.serde import DeserializationError
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = 2


class Pair(NamedTuple):
    left: Any
    right: Any


@dataclasses.dataclass
class Box:
    content: Any
    label: str = ""


text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=8)
hashable = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | text,
    lambda inner: st.tuples(inner, inner),
    max_leaves=4,
)
timezones = (
    st.none()
    | st.just(dt.timezone.utc)
    | st.builds(
        dt.timezone,
        st.timedeltas(
            min_value=dt.timedelta(hours=-23), max_value=dt.timedelta(hours=23)
        ),
    )
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)  # msgpack's; LangGraph refuses bigger
    | st.floats(allow_nan=False)
    | text
    | st.binary(max_size=8)
    | st.datetimes(timezones=timezones)
    | st.dates()
    | st.times()
    | st.timedeltas()
    | st.uuids()
    | st.decimals(allow_nan=False)
    | st.sampled_from(Mood)
    | st.frozensets(hashable, max_size=3)
    | st.sets(hashable, max_size=3)
)


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(text | st.integers(-(2**63), 2**64 - 1), inner, max_size=4)
        | st.builds(Box, inner, text)
        | st.builds(Pair, inner, inner)
        | st.builds(lambda a: collections.deque(a), st.lists(inner, max_size=3))
        | st.builds(Send, text, inner)
    )


values = st.recursive(leaves, containers, max_leaves=12)


def expected(value: Any) -> Any:
    """What a round trip gives: tuples (outside keys and sets) become lists."""
    if type(value) is tuple:
        return [expected(v) for v in value]
    if isinstance(value, list):
        return [expected(v) for v in value]
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    if isinstance(value, collections.deque):
        return collections.deque(expected(v) for v in value)
    if isinstance(value, Box):
        return Box(expected(value.content), value.label)
    if isinstance(value, Pair):
        return Pair(expected(value.left), expected(value.right))
    if isinstance(value, Send):
        return Send(value.node, expected(value.arg))
    return value


@settings(max_examples=300, deadline=None)
@given(values)
def test_roundtrip_any_supported_value(value: Any) -> None:
    serde = JsonPlusSerializer()
    assert serde.loads_typed(serde.dumps_typed(value)) == expected(value)


@settings(max_examples=150, deadline=None)
@given(values)
def test_roundtrip_is_stable(value: Any) -> None:
    serde = JsonPlusSerializer()
    once = serde.loads_typed(serde.dumps_typed(value))
    twice = serde.loads_typed(serde.dumps_typed(once))
    assert twice == once
    assert serde.dumps_typed(once)[0] == serde.dumps_typed(value)[0]


int64 = st.integers(-(2**63), 2**63 - 1)
plain_leaves = (
    st.none()
    | st.booleans()
    | int64
    | st.floats(allow_nan=False)
    | text
    | st.binary(max_size=4)
    | st.dates()
    | st.uuids()
    | st.sets(int64, max_size=3)
)
plain = st.recursive(
    plain_leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(plain)
def test_same_values_as_langgraph_in_both_directions(value: Any) -> None:
    ours, theirs = JsonPlusSerializer(), LangGraphSerde()
    assert theirs.loads_typed(ours.dumps_typed(value)) == expected(value)
    assert ours.loads_typed(theirs.dumps_typed(value)) == expected(value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_never_escape_as_other_errors(data: bytes) -> None:
    serde = JsonPlusSerializer()
    with contextlib.suppress(DeserializationError):  # anything else fails
        serde.loads_typed(("msgpack", data))


def test_big_integer_keys_are_refused_as_langgraph_does() -> None:
    import pytest

    with pytest.raises(TypeError, match=r"^Integer exceeds 64-bit range$"):
        JsonPlusSerializer().dumps_typed({"ok": {2**64: 1}})


def test_big_values_roundtrip() -> None:
    serde = JsonPlusSerializer()
    value = {"n": 2**64 - 1, "d": Decimal("1e-300"), "s": "x" * 100_000}
    assert serde.loads_typed(serde.dumps_typed(value)) == value


def test_integers_beyond_64_bits_are_refused_as_langgraph_does() -> None:
    import pytest

    from stategraph.checkpoint.serde import UnserializableValueError

    serde = JsonPlusSerializer()
    for value in (2**64, -(2**63) - 1, [1, {"n": 10**200}]):
        with pytest.raises(TypeError) as info:
            serde.dumps_typed(value)
        assert type(info.value) is TypeError  # ormsgpack's own, as LangGraph's
        assert str(info.value) == "Integer exceeds 64-bit range"
    # Inside a type written by a hook (LangGraph: "Type is not msgpack
    # serializable: set"), the path is named.
    with pytest.raises(UnserializableValueError) as found:
        serde.dumps_typed({"s": {2**70}})
    assert found.value.path == "['s']{item 0}"
    assert "Integer exceeds 64-bit range" in str(found.value)


def test_big_integers_written_before_still_load() -> None:
    import ormsgpack

    serde = JsonPlusSerializer()
    code = 0  # EXT_CONSTRUCTOR_SINGLE_ARG: ("builtins", "int", "<digits>")
    data = ormsgpack.packb(
        ormsgpack.Ext(code, ormsgpack.packb(("builtins", "int", str(2**70))))
    )
    assert serde.loads_typed(("msgpack", data)) == 2**70
