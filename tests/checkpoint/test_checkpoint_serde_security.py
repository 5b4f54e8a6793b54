"""Loading crafted payloads must fail loudly without importing or running anything."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from typing import Any

import ormsgpack
import pytest

from stategraph.checkpoint.serde import DeserializationError
from stategraph.checkpoint.serde.jsonplus import (
    EXT_CONSTRUCTOR_KW_ARGS,
    EXT_CONSTRUCTOR_POS_ARGS,
    EXT_CONSTRUCTOR_SINGLE_ARG,
    EXT_METHOD_SINGLE_ARG,
    EXT_NUMPY_ARRAY,
    EXT_PYDANTIC_V2,
    JsonPlusSerializer,
)


def ext(code: int, payload: Any) -> ormsgpack.Ext:
    return ormsgpack.Ext(code, ormsgpack.packb(payload))


def msgpack(value: Any) -> tuple[str, bytes]:
    return ("msgpack", ormsgpack.packb(value))


@pytest.fixture
def serde() -> JsonPlusSerializer:
    return JsonPlusSerializer()


@pytest.mark.parametrize(
    ("code", "payload", "named"),
    [
        (EXT_CONSTRUCTOR_SINGLE_ARG, ["os", "system", "echo hacked"], "os.system"),
        (
            EXT_CONSTRUCTOR_POS_ARGS,
            ["subprocess", "Popen", [["true"]]],
            "subprocess.Popen",
        ),
        (
            EXT_CONSTRUCTOR_KW_ARGS,
            ["builtins", "eval", {"source": "1"}],
            "builtins.eval",
        ),
        (
            EXT_PYDANTIC_V2,
            ["antigravity", "Model", {}, "model_validate_json"],
            "antigravity",
        ),
        (EXT_METHOD_SINGLE_ARG, ["os", "popen", "id", "read"], "os.popen"),
        (EXT_CONSTRUCTOR_SINGLE_ARG, ["this", "x", 1], "this.x"),
    ],
)
def test_payloads_naming_modules_are_refused(
    serde: JsonPlusSerializer, code: int, payload: list[Any], named: str
) -> None:
    before = set(sys.modules)
    with pytest.raises(DeserializationError, match=re.escape(named)):
        serde.loads_typed(msgpack({"state": [ext(code, payload)]}))
    assert set(sys.modules) - before == set()  # nothing was imported


def test_allowed_type_with_foreign_method_is_refused(serde: JsonPlusSerializer) -> None:
    payload = ["datetime", "datetime", "2024-01-01", "__reduce__"]
    with pytest.raises(DeserializationError, match="not allowed"):
        serde.loads_typed(msgpack(ext(EXT_METHOD_SINGLE_ARG, payload)))


def test_ext_code_must_fit_the_type(serde: JsonPlusSerializer) -> None:
    payload = ["uuid", "UUID", {"hex": "0" * 32}]
    with pytest.raises(DeserializationError, match="does not fit"):
        serde.loads_typed(msgpack(ext(EXT_CONSTRUCTOR_KW_ARGS, payload)))


@pytest.mark.parametrize("code", [8, 42, 127])
def test_unknown_extension_codes(serde: JsonPlusSerializer, code: int) -> None:
    with pytest.raises(DeserializationError, match=f"extension code {code}"):
        serde.loads_typed(msgpack([1, ormsgpack.Ext(code, b"\x90")]))


@pytest.mark.parametrize(
    ("raw", "code"),
    [(b"\xd6\xff\x00\x00\x00\x01", -1), (b"\xd4\xfb\x90", -5)],  # -1: timestamp
)
def test_negative_extension_codes(
    serde: JsonPlusSerializer, raw: bytes, code: int
) -> None:
    with pytest.raises(DeserializationError, match=f"extension code {code}"):
        serde.loads_typed(("msgpack", raw))


@pytest.mark.parametrize(
    "payload", [["only", "two"], "text", [1, 2, 3], {"a": 1}, [None, "x", 1]]
)
def test_malformed_extension_payloads(serde: JsonPlusSerializer, payload: Any) -> None:
    with pytest.raises(DeserializationError, match="malformed"):
        serde.loads_typed(msgpack(ext(EXT_CONSTRUCTOR_SINGLE_ARG, payload)))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["uuid", "UUID", "not-hex"], "uuid.UUID"),
        (["decimal", "Decimal", "1.2.3"], "decimal.Decimal"),
        (["builtins", "int", 5], "builtins.int"),
        (["builtins", "set", [[1, {}]]], "builtins.set"),
        (["zoneinfo", "ZoneInfo", "../../etc/passwd"], "zoneinfo.ZoneInfo"),
    ],
)
def test_registered_types_reject_bad_arguments(
    serde: JsonPlusSerializer, payload: list[Any], message: str
) -> None:
    with pytest.raises(DeserializationError, match=re.escape(message)):
        serde.loads_typed(msgpack(ext(EXT_CONSTRUCTOR_SINGLE_ARG, payload)))


def test_nested_errors_keep_the_innermost_message(serde: JsonPlusSerializer) -> None:
    inner = ext(EXT_CONSTRUCTOR_SINGLE_ARG, ["os", "system", "x"])
    outer = ext(EXT_CONSTRUCTOR_SINGLE_ARG, ["builtins", "set", [inner]])
    with pytest.raises(DeserializationError, match=r"os\.system"):
        serde.loads_typed(msgpack(outer))
    # the parked error does not leak into the next, valid, load
    assert serde.loads_typed(msgpack([1])) == [1]


@pytest.mark.parametrize("tag", ["pickle", "PICKLE", "dill", "", "msgpack2", "empty"])
def test_unknown_or_unsafe_tags(serde: JsonPlusSerializer, tag: str) -> None:
    data = pickle.dumps({"a": 1})
    with pytest.raises(
        DeserializationError,
        match=re.escape(repr(tag)) if tag != "pickle" else "pickle",
    ):
        serde.loads_typed((tag, data))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x92\x01",  # array of 2 with one element
        b"\xdd\xff\xff\xff\xff",  # array claiming 4 billion items
        b"\xdb\xff\xff\xff\xffabc",  # string claiming 4 GiB
        b"\xc6\x7f\xff\xff\xff",  # bin claiming 2 GiB
        b"\xc9\xff\xff\xff\xff\x00",  # ext claiming 4 GiB
        b"\xc1",  # never-used byte
    ],
)
def test_truncated_or_oversized_data(serde: JsonPlusSerializer, data: bytes) -> None:
    with pytest.raises(DeserializationError, match="corrupt"):
        serde.loads_typed(("msgpack", data))


def test_legacy_json_constructors_are_refused(serde: JsonPlusSerializer) -> None:
    record = {"lc": 2, "type": "constructor", "id": ["os", "system"], "args": ["x"]}
    with pytest.raises(DeserializationError, match="os"):
        serde.loads_typed(("json", json.dumps({"v": record}).encode()))
    with pytest.raises(DeserializationError, match="corrupt"):
        serde.loads_typed(("json", b"{not json"))


def test_regex_debug_flag_is_dropped(serde: JsonPlusSerializer, capsys: Any) -> None:
    payload = ["re", "compile", ["a+", re.DEBUG | re.IGNORECASE]]
    pattern = serde.loads_typed(msgpack(ext(EXT_CONSTRUCTOR_POS_ARGS, payload)))
    assert pattern.flags & re.IGNORECASE
    assert capsys.readouterr().out == ""


def test_numpy_object_arrays_are_refused(serde: JsonPlusSerializer) -> None:
    np = pytest.importorskip("numpy")
    arr = np.array([1.5, 2.5])
    assert (serde.loads_typed(serde.dumps_typed(arr)) == arr).all()
    meta = ["|O", [1], "C", b"\x00" * 8]
    with pytest.raises(DeserializationError, match="objects"):
        serde.loads_typed(
            msgpack(ormsgpack.Ext(EXT_NUMPY_ARRAY, ormsgpack.packb(meta)))
        )


@pytest.mark.parametrize("depth", [201, 3000])
def test_deeply_nested_extensions_fail_cleanly(
    serde: JsonPlusSerializer, depth: int
) -> None:
    value: Any = [1]
    for _ in range(depth):
        value = ext(EXT_CONSTRUCTOR_SINGLE_ARG, ["collections", "deque", [value]])
    with pytest.raises(DeserializationError, match="nested deeper than 200"):
        serde.loads_typed(msgpack(value))
    shallow: Any = [1]
    for _ in range(150):
        shallow = ext(EXT_CONSTRUCTOR_SINGLE_ARG, ["collections", "deque", [shallow]])
    assert serde.loads_typed(msgpack(shallow))


def test_loading_never_imports_the_named_module() -> None:
    # In a fresh interpreter, so the module cannot have been imported before.
    code = (
        "import sys, ormsgpack\n"
        "from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer\n"
        "p = ormsgpack.packb(ormsgpack.Ext(2, ormsgpack.packb("
        "['xml.dom.minidom', 'Document', {}])))\n"
        "try:\n"
        "    JsonPlusSerializer().loads_typed(('msgpack', p))\n"
        "except ValueError as e:\n"
        "    print(type(e).__name__, 'xml.dom.minidom' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "DeserializationError False"
