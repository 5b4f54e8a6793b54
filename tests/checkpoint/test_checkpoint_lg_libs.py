"""Behaviour pinned by LangGraph's checkpoint library tests, run on ours.

Allowlist derivation (``_with_msgpack_allowlist``), pydantic's secret types and
v1 models in the serializer, ``SqliteSaver.list`` filter keys, and the
Postgres delta-channel walk past an inline ``null``.
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
from stategraph.checkpoint.serde.encrypted import EncryptedSerializer
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer
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
