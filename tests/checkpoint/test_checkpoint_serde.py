from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import ipaddress
import pathlib
import re
import uuid
import warnings
import zoneinfo
from typing import Annotated, Any, NamedTuple, Optional, TypedDict

import pytest
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer as LangGraphSerde
from pydantic import BaseModel

from stategraph._types import Command, Interrupt, Overwrite, PregelTask, Send
from stategraph.checkpoint.serde import (
    DeserializationError,
    UnserializableValueError,
    register_types,
)
from stategraph.checkpoint.serde.base import (
    SerializerCompat,
    SerializerProtocol,
    maybe_add_typed_methods,
)
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from stategraph.checkpoint.serde.types import _DeltaSnapshot


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1


class Point(NamedTuple):
    x: int
    y: int


@dataclasses.dataclass
class Item:
    name: str
    tags: set[str] = dataclasses.field(default_factory=set)
    derived: int = dataclasses.field(init=False, default=0)


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    value: Any


class Client:
    """Not serializable: a plain class."""


class Profile(BaseModel):
    name: str
    color: Color
    items: list[Item] = []


SUPPORTED: list[Any] = [
    None,
    True,
    0,
    -(2**63),
    2**64 - 1,
    1.25,
    "text",
    b"\x00raw",
    bytearray(b"ba"),
    [1, "a", None],
    {"a": {"b": [1, 2]}, 1: "int key", (1, "t"): "tuple key"},
    {1, 2, (3, 4)},
    frozenset({"a"}),
    collections.deque([1, 2]),
    dt.datetime(2024, 1, 2, 3, 4, 5, 6),
    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-3))),
    dt.date(2024, 2, 29),
    dt.time(1, 2, 3, 4, tzinfo=dt.timezone.utc),
    dt.timedelta(days=-1, seconds=5),
    dt.timezone(dt.timedelta(hours=5), "X"),
    uuid.UUID(int=12345),
    decimal.Decimal("-1.50"),
    pathlib.PurePosixPath("/a/b"),
    pathlib.Path("rel/x"),
    re.compile(r"a+b", re.IGNORECASE),
    ipaddress.ip_address("::1"),
    ipaddress.ip_network("10.0.0.0/8"),
    zoneinfo.ZoneInfo("Europe/Paris"),
    Color.BLUE,
    Level.LOW,
    Point(1, 2),
    Item("i", {"x"}),
    Frozen(value=[1, Point(3, 4)]),
    Profile(name="p", color=Color.RED, items=[Item("j")]),
    Send("node", {"arg": 1}),
    Send("node", 1, timeout=2.5),
    Interrupt("question", "id-1"),
    Command(update={"a": 1}, resume="yes", goto="next"),
    Command(graph=Command.PARENT, goto=[Send("x", 1)]),
    Overwrite([1, 2]),
    PregelTask("id", "name", ("a", 1)),
    _DeltaSnapshot({"k": [1]}),
]


@pytest.fixture
def serde() -> JsonPlusSerializer:
    return JsonPlusSerializer()


@pytest.mark.parametrize("value", SUPPORTED, ids=lambda v: type(v).__name__)
def test_roundtrip(serde: JsonPlusSerializer, value: Any) -> None:
    loaded = serde.loads_typed(serde.dumps_typed(value))
    if isinstance(value, Command):  # goto sequences come back as lists
        assert repr(loaded) == repr(value).replace("goto=(", "goto=[")
        return
    if isinstance(value, PregelTask):
        assert loaded == value._replace(path=["a", 1], interrupts=[])  # type: ignore[arg-type]
        return
    assert loaded == value
    assert type(loaded) is type(value)


def test_tags_like_langgraph(serde: JsonPlusSerializer) -> None:
    assert serde.dumps_typed(None) == ("null", b"")
    assert serde.dumps_typed(b"ab") == ("bytes", b"ab")
    assert serde.dumps_typed(bytearray(b"ab")) == ("bytearray", b"ab")
    assert serde.dumps_typed({"a": 1})[0] == "msgpack"
    assert serde.loads_typed(("json", b'{"a": [1, 2]}')) == {"a": [1, 2]}


def test_tuples_load_as_lists_like_langgraph(serde: JsonPlusSerializer) -> None:
    value = {"t": (1, (2, 3))}
    assert serde.loads_typed(serde.dumps_typed(value)) == {"t": [1, [2, 3]]}
    assert LangGraphSerde().loads_typed(LangGraphSerde().dumps_typed(value)) == {
        "t": [1, [2, 3]]
    }


def test_exceptions_are_stored_as_repr(serde: JsonPlusSerializer) -> None:
    assert serde.loads_typed(serde.dumps_typed(ValueError("x"))) == "ValueError('x')"


def test_loaded_values_are_fresh_objects(serde: JsonPlusSerializer) -> None:
    value = {"items": [Item("a")]}
    data = serde.dumps_typed(value)
    first, second = serde.loads_typed(data), serde.loads_typed(data)
    first["items"][0].name = "changed"
    assert second["items"][0].name == "a"


def test_unsupported_value_names_its_path(serde: JsonPlusSerializer) -> None:
    holder = Frozen(value=Client())
    with pytest.raises(UnserializableValueError) as info:
        serde.dumps_typed({"items": [1, 2, holder]})
    assert info.value.path == "['items'][2].value"
    assert info.value.type_name == "Client"
    assert "['items'][2].value" in str(info.value)
    assert isinstance(info.value, TypeError)
    prefixed = info.value.with_prefix("state")
    assert prefixed.path == "state['items'][2].value"
    assert "state['items'][2].value" in str(prefixed)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (Client(), ""),
        ([Client()], "[0]"),
        ({"a": {"b": (1, Client())}}, "['a']['b'][1]"),
        ({Frozen(1): 1}, "<key Frozen(value=1)>"),
        (Profile.model_construct(name=Client(), color=Color.RED), ".name"),
        (Send("n", {"x": Client()}), ".arg['x']"),
        (Point(1, Client()), ".y"),  # type: ignore[arg-type]
        ({1: {Client()}}, "[1]{item 0}"),
    ],
)
def test_unsupported_paths(serde: JsonPlusSerializer, value: Any, path: str) -> None:
    with pytest.raises(UnserializableValueError) as info:
        serde.dumps_typed(value)
    assert info.value.path == path


def test_circular_value_reports_cause(serde: JsonPlusSerializer) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(UnserializableValueError, match="list"):
        serde.dumps_typed(loop)


def test_strict_serializer_requires_registration() -> None:
    @dataclasses.dataclass
    class Local:
        x: int

    strict = JsonPlusSerializer(auto_register=False)
    with pytest.raises(UnserializableValueError, match="Local"):
        strict.dumps_typed([Local(1)])
    strict.register(Local)
    assert strict.loads_typed(strict.dumps_typed([Local(1)])) == [Local(1)]


def test_strict_serializer_knows_langchain_messages() -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    strict = JsonPlusSerializer(auto_register=False)
    messages = [
        HumanMessage("hi", id="1"),
        AIMessage("", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "c"}]),
        ToolMessage("done", tool_call_id="c"),
    ]
    assert strict.loads_typed(strict.dumps_typed(messages)) == messages


def test_auto_registration_is_per_instance() -> None:
    @dataclasses.dataclass
    class Scoped:
        x: int

    writer, reader = JsonPlusSerializer(), JsonPlusSerializer()
    data = writer.dumps_typed(Scoped(1))
    assert writer.loads_typed(data) == Scoped(1)
    with pytest.raises(DeserializationError, match="Scoped"):
        reader.loads_typed(data)
    assert JsonPlusSerializer(allowed_types=[Scoped]).loads_typed(data) == Scoped(1)


@dataclasses.dataclass
class Leaf:
    v: int


class Shade(enum.Enum):
    DARK = 1


class Inner(BaseModel):
    leaf: Optional[Leaf] = None  # noqa: UP045 - Optional is walked too


class GraphState(TypedDict):
    inner: Annotated[list[Inner], "reducer"]
    shades: dict[str, Shade | None]
    point: Point


def test_register_types_walks_annotations() -> None:
    found = register_types(GraphState)
    assert set(found) == {Inner, Leaf, Shade, Point}
    data = JsonPlusSerializer().dumps_typed([Inner(leaf=Leaf(1)), Shade.DARK])
    reader = JsonPlusSerializer(auto_register=False)
    assert reader.loads_typed(data) == [Inner(leaf=Leaf(1)), Shade.DARK]


def test_register_types_ignores_unresolvable_and_plain_types() -> None:
    class Local(TypedDict):
        missing: NotDefinedAnywhere  # type: ignore[name-defined]  # noqa: F821

    assert register_types(Local, int, str, list[int], Client) == []


def test_allowlist_by_name_resolves_imported_modules_only() -> None:
    register_types(Point)
    data = JsonPlusSerializer().dumps_typed(Point(1, 2))
    assert JsonPlusSerializer().loads_typed(data) == Point(1, 2)
    named = JsonPlusSerializer(allowed_msgpack_modules=[(__name__, "Frozen")])
    frozen = JsonPlusSerializer().dumps_typed(Frozen(1))
    assert named.loads_typed(frozen) == Frozen(1)
    clone = JsonPlusSerializer().with_msgpack_allowlist([Frozen])
    assert clone.loads_typed(frozen) == Frozen(1)


def test_pickle_fallback_is_refused_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="pickle"):
        serde = JsonPlusSerializer(pickle_fallback=True)
    with pytest.raises(UnserializableValueError):
        serde.dumps_typed(Client())


def test_serializer_protocol_helpers(serde: JsonPlusSerializer) -> None:
    assert isinstance(serde, SerializerProtocol)
    assert maybe_add_typed_methods(serde) is serde

    class Untyped:
        def dumps(self, obj: Any) -> bytes:
            return repr(obj).encode()

        def loads(self, data: bytes) -> Any:
            return data.decode()

    compat = maybe_add_typed_methods(Untyped())
    assert isinstance(compat, SerializerCompat)
    assert compat.dumps_typed(5) == ("int", b"5")
    assert compat.loads_typed(("int", b"5")) == "5"


LANGGRAPH_COMPATIBLE = [
    {"a": [1, 2], "b": None},
    dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc),
    dt.date(2024, 5, 1),
    dt.timedelta(hours=1),
    dt.time(4, 5),
    uuid.UUID(int=7),
    decimal.Decimal("3.14"),
    {1, 2},
    frozenset({3}),
    collections.deque([1]),
    pathlib.Path("/tmp/x"),
    re.compile("x", re.M),
    ipaddress.ip_address("1.2.3.4"),
    zoneinfo.ZoneInfo("UTC"),
    Color.RED,
    Point(1, 2),
    Leaf(3),
    Profile(name="n", color=Color.BLUE),
]


@pytest.mark.parametrize("value", LANGGRAPH_COMPATIBLE, ids=lambda v: type(v).__name__)
def test_langgraph_reads_what_we_write(serde: JsonPlusSerializer, value: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert LangGraphSerde().loads_typed(serde.dumps_typed(value)) == value


@pytest.mark.parametrize("value", LANGGRAPH_COMPATIBLE, ids=lambda v: type(v).__name__)
def test_we_read_what_langgraph_writes(value: Any) -> None:
    reader = JsonPlusSerializer(allowed_types=[Color, Point, Leaf, Profile])
    assert reader.loads_typed(LangGraphSerde().dumps_typed(value)) == value


def test_we_read_langgraph_records_and_messages() -> None:
    import langgraph.types as lt
    from langchain_core.messages import AIMessage, HumanMessage

    reader = JsonPlusSerializer(auto_register=False)
    writer = LangGraphSerde()
    messages = [HumanMessage("hi", id="1"), AIMessage("yo", tool_calls=[])]
    assert reader.loads_typed(writer.dumps_typed(messages)) == messages
    send = reader.loads_typed(writer.dumps_typed(lt.Send("n", {"x": 1})))
    assert send == Send("n", {"x": 1})
    command = reader.loads_typed(writer.dumps_typed(lt.Command(resume={"a": 1})))
    assert command == Command(resume={"a": 1}, goto=[])  # tuples load as lists
    overwrite = reader.loads_typed(writer.dumps_typed(lt.Overwrite([1])))
    assert overwrite == Overwrite([1])
    interrupt = reader.loads_typed(writer.dumps_typed(lt.Interrupt("v", id="i")))
    assert (interrupt.value, interrupt.id) == ("v", "i")
