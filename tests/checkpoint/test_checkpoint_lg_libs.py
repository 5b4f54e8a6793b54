"""Behaviour pinned by LangGraph's checkpoint library tests, run on ours.

Allowlist derivation (``_with_msgpack_allowlist``) and modes (warnings for
types loaded only because this process wrote them, strict loading of unlisted
types as plain data), pydantic's secret types and v1 models in the serializer,
``SqliteSaver.list`` filter keys, and the Postgres delta-channel walk past an
inline ``null``.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from langgraph.checkpoint.serde.jsonplus import (
    JsonPlusSerializer as LangGraphJsonPlusSerializer,
)
from pydantic import SecretBytes, SecretStr
from pydantic.v1 import BaseModel as BaseModelV1, SecretStr as SecretStrV1

from stategraph.checkpoint.base import (
    BaseCheckpointSaver,
    _with_msgpack_allowlist,
    empty_checkpoint,
)
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.checkpoint.serde import _msgpack
from stategraph.checkpoint.serde.encrypted import EncryptedSerializer
from stategraph.checkpoint.serde.jsonplus import (
    DeserializationError,
    JsonPlusSerializer,
    _msgpack_enc,
    _warned_blocked_types,
    _warned_unregistered_types,
)
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

KEY = b"0123456789abcdef"


@dataclasses.dataclass
class Allowed:
    x: int


class InnerV1(BaseModelV1):
    hello: str


class ModelV1(BaseModelV1):
    foo: str
    inner: InnerV1
    secret: SecretStrV1


# -- _with_msgpack_allowlist -------------------------------------------------------


def test_allowlist_extends_a_jsonplus_serializer() -> None:
    serde = JsonPlusSerializer(auto_register=False)
    extended = _with_msgpack_allowlist(serde, [("my.module", "MyClass")])
    assert isinstance(extended, JsonPlusSerializer)
    assert extended is not serde
    assert ("my.module", "MyClass") in extended._allowed_msgpack_modules
    assert ("my.module", "MyClass") not in serde._allowed_msgpack_modules
    assert _with_msgpack_allowlist(extended, [("my.module", "MyClass")]) is extended
    assert _with_msgpack_allowlist(serde, ()) is serde


def test_allowlist_reaches_inside_an_encrypted_serializer() -> None:
    inner = JsonPlusSerializer(auto_register=False)
    encrypted = EncryptedSerializer.from_pycryptodome_aes(serde=inner, key=KEY)
    extended = _with_msgpack_allowlist(encrypted, [Allowed])
    assert isinstance(extended, EncryptedSerializer)
    assert extended is not encrypted
    assert extended.cipher is encrypted.cipher
    assert extended.serde is not inner
    assert extended.loads_typed(extended.dumps_typed(Allowed(3))) == Allowed(3)
    assert _with_msgpack_allowlist(encrypted, ()) is encrypted


def test_allowlist_on_other_serializers_warns_and_changes_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Plain:
        def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
            return "plain", b""

        def loads_typed(self, data: tuple[str, bytes]) -> Any:
            return None

    serde = Plain()
    caplog.set_level(logging.WARNING, logger="stategraph.checkpoint.base")
    assert _with_msgpack_allowlist(serde, [Allowed]) is serde  # type: ignore[arg-type]
    assert "Plain does not support msgpack allowlist" in caplog.text
    saver = BaseCheckpointSaver(serde=serde)  # type: ignore[arg-type]
    assert saver.with_allowlist([Allowed]) is saver


# -- pydantic secrets and v1 models -----------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        SecretStr("meow"),
        SecretBytes(b"meow"),
        SecretStrV1("meow"),
        ModelV1(foo="a", inner=InnerV1(hello="h"), secret=SecretStrV1("s")),
        {"nested": [SecretStr("x"), InnerV1(hello="y")]},
    ],
    ids=["secret", "secret-bytes", "secret-v1", "model-v1", "nested"],
)
def test_pydantic_secrets_and_v1_models_round_trip(value: Any) -> None:
    serde = JsonPlusSerializer()
    tag, payload = serde.dumps_typed(value)
    assert tag == "msgpack"
    assert serde.loads_typed((tag, payload)) == value
    # A fresh serializer (another process) loads the secrets too.
    if isinstance(value, (SecretStr, SecretBytes, SecretStrV1)):
        assert JsonPlusSerializer().loads_typed((tag, payload)) == value


def test_pydantic_secrets_and_v1_models_read_langgraphs_layout() -> None:
    theirs = LangGraphJsonPlusSerializer(
        allowed_msgpack_modules=[
            ("pydantic.types", "SecretStr"),
            ("pydantic.v1.types", "SecretStr"),
            (ModelV1.__module__, "ModelV1"),
            (InnerV1.__module__, "InnerV1"),
        ]
    )
    ours = JsonPlusSerializer()
    model = ModelV1(foo="a", inner=InnerV1(hello="h"), secret=SecretStrV1("s"))
    for value in (SecretStr("x"), SecretStrV1("y"), model):
        assert ours.loads_typed(ours.dumps_typed(value)) == value  # registers model
        assert ours.loads_typed(theirs.dumps_typed(value)) == value
        assert theirs.loads_typed(ours.dumps_typed(value)) == value


# -- SqliteSaver.list filter keys ----------------------------------------------------


@asynccontextmanager
async def sqlite_saver(mode: str) -> AsyncIterator[Any]:
    if mode == "sync":
        with SqliteSaver.from_conn_string(":memory:") as saver:
            yield saver
    else:
        async with AsyncSqliteSaver.from_conn_string(":memory:") as asaver:
            yield asaver


async def listed(saver: Any, flt: dict[str, Any]) -> list[Any]:
    if isinstance(saver, AsyncSqliteSaver):
        return [t async for t in saver.alist(None, filter=flt)]
    return list(saver.list(None, filter=flt))


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_sqlite_saver_filters_dotted_keys_as_paths(mode: str) -> None:
    metadata = {
        "access-level": "public",
        "user": {"access-level": "nested", "123abc": "ok2"},
        "123abc": "ok",
        "a.b": "literal",
    }
    async with sqlite_saver(mode) as saver:
        config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
        put = saver.aput if mode == "async" else saver.put
        result = put(config, empty_checkpoint(), metadata, {})
        if mode == "async":
            await result
        for flt in [
            {"access-level": "public"},
            {"user.access-level": "nested"},
            {"123abc": "ok"},
            {"user.123abc": "ok2"},
        ]:
            assert len(await listed(saver, flt)) == 1, flt
        assert await listed(saver, {"a.b": "literal"}) == []
        assert await listed(saver, {"user.missing": None}) != []
        with pytest.raises(ValueError, match=r"^Invalid filter key: 'x y'\. "):
            await listed(saver, {"x y": 1})


# -- Postgres delta-channel seeds ----------------------------------------------------


@asynccontextmanager
async def postgres_saver(mode: str, conninfo: str) -> AsyncIterator[Any]:
    if mode == "sync":
        with PostgresSaver.from_conn_string(conninfo) as saver:
            saver.setup()
            yield saver
    else:
        async with AsyncPostgresSaver.from_conn_string(conninfo) as asaver:
            await asaver.setup()
            yield asaver


async def _chain_with_inline(saver: Any, value: Any) -> Any:
    """Four checkpoints, ``value`` stored for "items" in the second, a write each."""
    sync = isinstance(saver, PostgresSaver)
    thread, parent = str(uuid.uuid4()), None
    for step in range(4):
        conf: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ""}
        if parent is not None:
            conf["checkpoint_id"] = parent["configurable"]["checkpoint_id"]
        checkpoint = empty_checkpoint()
        checkpoint["id"] = str(uuid.UUID(int=step + 1))
        checkpoint["channel_versions"]["items"] = f"v{step}"
        new: dict[str, Any] = {}
        if step == 1:
            checkpoint["channel_values"]["items"] = value
            new = {"items": "v1"}
        metadata = {"source": "loop", "step": step, "parents": {}}
        args = ({"configurable": conf}, checkpoint, metadata, new)
        parent = saver.put(*args) if sync else await saver.aput(*args)
        writes = (parent, [("items", f"w{step}")], f"task{step}")
        _ = saver.put_writes(*writes) if sync else await saver.aput_writes(*writes)
    return parent


@pytest.mark.asyncio
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_postgres_inline_null_is_not_a_seed(
    mode: str, schemas: Callable[[], str]
) -> None:
    async with postgres_saver(mode, schemas()) as saver:
        for value, seed in [(None, None), (0, 0), ("x", "x"), (False, False)]:
            head = await _chain_with_inline(saver, value)
            get = saver.get_delta_channel_history
            if mode == "async":
                found = await saver.aget_delta_channel_history(
                    config=head, channels=["items"]
                )
            else:
                found = get(config=head, channels=["items"])
            entry = found["items"]
            written = [w[2] for w in entry["writes"]]
            if value is None:
                # No seed: the walk reaches the root and keeps every write.
                assert "seed" not in entry
                assert written == ["w0", "w1", "w2"]
            else:
                assert entry["seed"] == seed
                assert written == ["w1", "w2"]


# -- allowlist modes: warnings, strict loading ----------------------------------------


@dataclasses.dataclass
class Written:
    x: int


@dataclasses.dataclass
class Listed:
    y: int


@pytest.fixture
def fresh_warnings() -> None:
    _warned_unregistered_types.clear()
    _warned_blocked_types.clear()


LOGGER = "stategraph.checkpoint.serde.jsonplus"


@pytest.mark.usefixtures("fresh_warnings")
def test_default_mode_warns_once_for_types_it_wrote(
    caplog: pytest.LogCaptureFixture,
) -> None:
    serde = JsonPlusSerializer()
    caplog.set_level(logging.WARNING, logger=LOGGER)
    data = serde.dumps_typed(Written(1))
    assert serde.loads_typed(data) == Written(1)
    assert serde.loads_typed(data) == Written(1)
    assert caplog.text.count("Deserializing unregistered type") == 1
    assert f"{__name__}.Written" in caplog.text
    assert "allowed_msgpack_modules" in caplog.text
    assert (__name__, "Written") in _warned_unregistered_types


@pytest.mark.usefixtures("fresh_warnings")
def test_listed_and_registered_types_load_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    by_name = JsonPlusSerializer(allowed_msgpack_modules=[(__name__, "Written")])
    assert by_name.loads_typed(by_name.dumps_typed(Written(2))) == Written(2)
    by_class = JsonPlusSerializer(allowed_types=[Listed])
    assert by_class.loads_typed(by_class.dumps_typed(Listed(3))) == Listed(3)
    written = JsonPlusSerializer()
    data = written.dumps_typed(Listed(4))
    written.register(Listed)  # registering after the write allows it too
    assert written.loads_typed(data) == Listed(4)
    assert caplog.text == ""


@pytest.mark.usefixtures("fresh_warnings")
@pytest.mark.parametrize("allowed", [None, [(__name__, "Listed")]])
def test_strict_mode_loads_unlisted_types_as_plain_data(
    caplog: pytest.LogCaptureFixture, allowed: Any
) -> None:
    serde = JsonPlusSerializer(allowed_msgpack_modules=allowed)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    value = {"w": Written(5), "when": uuid.UUID(int=7)}
    loaded = serde.loads_typed(serde.dumps_typed(value))
    assert loaded == {"w": {"x": 5}, "when": uuid.UUID(int=7)}  # builtins still load
    assert f"Blocked deserialization of {__name__}.Written" in caplog.text
    assert (__name__, "Written") in _warned_blocked_types
    # From another process, too: a payload naming an unknown type.
    foreign = LangGraphJsonPlusSerializer().dumps_typed(Listed(6))
    expected = Listed(6) if allowed else {"y": 6}
    assert serde.loads_typed(foreign) == expected


@pytest.mark.usefixtures("fresh_warnings")
def test_allowlist_proxy_loads_what_the_strict_saver_does_not() -> None:
    from stategraph.checkpoint.memory import InMemorySaver

    saver = InMemorySaver(serde=JsonPlusSerializer(allowed_msgpack_modules=None))
    proxy = saver.with_allowlist([(__name__, "Written")])
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"w": Written(8)}
    checkpoint["channel_versions"] = {"w": 1}
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    stored = proxy.put(config, checkpoint, {}, {"w": 1})
    assert proxy.get_tuple(stored).checkpoint["channel_values"]["w"] == Written(8)
    assert saver.get_tuple(stored).checkpoint["channel_values"]["w"] == {"x": 8}


def test_default_mode_still_refuses_types_it_never_saw() -> None:
    foreign = LangGraphJsonPlusSerializer().dumps_typed(Listed(9))
    with pytest.raises(DeserializationError, match="refusing to load type"):
        JsonPlusSerializer().loads_typed(foreign)


@pytest.mark.usefixtures("fresh_warnings")
def test_strict_switch_makes_the_default_strict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_msgpack, "STRICT_MSGPACK_ENABLED", True)
    strict = JsonPlusSerializer()
    assert strict.loads_typed(strict.dumps_typed(Written(1))) == {"x": 1}
    lenient = JsonPlusSerializer(allowed_msgpack_modules=True)
    assert lenient.loads_typed(lenient.dumps_typed(Written(1))) == Written(1)
    passed = JsonPlusSerializer(allowed_msgpack_modules=_msgpack._SENTINEL)
    assert passed.loads_typed(passed.dumps_typed(Written(1))) == {"x": 1}


def test_msgpack_enc_packs_like_dumps_typed() -> None:
    serde = JsonPlusSerializer()
    for value in [{"a": [1, 2]}, (1, "x"), uuid.UUID(int=3), Written(4)]:
        assert _msgpack_enc(value) == serde.dumps_typed(value)[1]


def test_allowlist_copy_keeps_the_serializer_subclass() -> None:
    class Custom(JsonPlusSerializer):
        def __init__(self) -> None:
            super().__init__(allowed_msgpack_modules=None)

    serde = Custom()
    extended = serde.with_msgpack_allowlist([Written])
    assert type(extended) is Custom
    assert extended._allowed_msgpack_modules == set()  # allowed as a class
    assert extended.loads_typed(extended.dumps_typed(Written(1))) == Written(1)
    assert serde.loads_typed(serde.dumps_typed(Written(1))) == {"x": 1}


@pytest.mark.parametrize("modules", [None, (), "default"])
def test_send_with_its_timeout_round_trips_in_every_allowlist_mode(
    modules: Any,
) -> None:
    from stategraph.types import Send, TimeoutPolicy

    serde = (
        JsonPlusSerializer()
        if modules == "default"
        else JsonPlusSerializer(allowed_msgpack_modules=modules)
    )
    packet = Send("w", {"x": 1}, timeout=TimeoutPolicy(run_timeout=1, idle_timeout=2))
    assert serde.loads_typed(serde.dumps_typed(packet)) == packet
