"""SQLite savers against hostile data: crafted rows, SQL-looking filters, bad values."""

from __future__ import annotations

from typing import Any

import ormsgpack
import pytest

from stategraph.checkpoint.serde.jsonplus import (
    EXT_CONSTRUCTOR_POS_ARGS,
    DeserializationError,
    UnserializableValueError,
)
from stategraph.checkpoint.sqlite import SqliteSaver


def cfg(thread: str, ns: str = "", cid: str | None = None) -> Any:
    conf: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if cid is not None:
        conf["checkpoint_id"] = cid
    return {"configurable": conf}


def ckpt(cid: str, values: dict[str, Any], versions: dict[str, Any]) -> Any:
    return {
        "v": 4, "id": cid, "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": values, "channel_versions": versions,
        "versions_seen": {}, "updated_channels": None,
    }  # fmt: skip


@pytest.fixture
def saver() -> Any:
    with SqliteSaver.from_conn_string(":memory:") as opened:
        opened.put(cfg("t"), ckpt("1", {"a": 1}, {"a": 1}), {"step": 1}, {"a": 1})
        yield opened


def _evil_ext() -> bytes:
    # An extension naming os.system, as a hostile file could hold.
    payload = ormsgpack.packb(("os", "system", ["echo pwned"]))
    return ormsgpack.packb(ormsgpack.Ext(EXT_CONSTRUCTOR_POS_ARGS, payload))


@pytest.mark.parametrize(
    ("statement", "match"),
    [
        ("UPDATE sg_blobs SET type = 'pickle', blob = x'80049500'", "channel 'a'"),
        ("UPDATE sg_blobs SET blob = ?", "channel 'a'"),
        ("UPDATE sg_blobs SET blob = x'c1c1c1'", "corrupt"),
        ("UPDATE sg_checkpoints SET header = x'00ff'", "checkpoint '1'"),
        ("UPDATE sg_checkpoints SET channel_versions = 'not json'", "versions"),
        ("UPDATE sg_checkpoints SET metadata = ?", "metadata"),
    ],
)
def test_crafted_rows_raise_clear_errors(
    saver: Any, statement: str, match: str
) -> None:
    params = (_evil_ext(),) if "?" in statement else ()
    saver.conn.execute(statement, params)
    saver.conn.commit()
    with pytest.raises(DeserializationError, match=match):
        saver.get_tuple(cfg("t"))


def test_filter_keys_and_values_are_never_sql(saver: Any) -> None:
    for filt in [
        {"source": "x' OR '1'='1"},
        {"step": "1; DROP TABLE sg_checkpoints"},
    ]:
        assert list(saver.list(None, filter=filt)) == []
    # Keys are refused outright, with LangGraph's SqliteSaver's message.
    for key in ["step') OR 1=1 --", "$.step", "a b", ""]:
        with pytest.raises(ValueError, match=r"^Invalid filter key: '.*'\. Filter"):
            list(saver.list(None, filter={key: 1}))
    assert [t.metadata["step"] for t in saver.list(None, filter={"step": 1})] == [1]
    thread = "t'; DROP TABLE sg_blobs; --"
    saver.put(cfg(thread), ckpt("2", {"a": 2}, {"a": 1}), {}, {"a": 1})
    assert saver.get_tuple(cfg(thread)).checkpoint["channel_values"] == {"a": 2}
    with pytest.raises(TypeError, match="filter keys must be strings"):
        list(saver.list(None, filter={1: "x"}))


def test_unserializable_values_name_their_place(saver: Any) -> None:
    with pytest.raises(UnserializableValueError, match=r"state\['a'\]\[1\]"):
        saver.put(cfg("t"), ckpt("2", {"a": [1, object()]}, {"a": 2}), {}, {"a": 2})
    with pytest.raises(UnserializableValueError, match=r"update\['b'\]"):
        saver.put_writes(cfg("t", "", "1"), [("b", {"x": object()})], "task")
    assert saver.get_tuple(cfg("t")).checkpoint["id"] == "1"  # nothing half-written


def test_listing_reports_crafted_rows_too(saver: Any) -> None:
    saver.conn.execute("UPDATE sg_blobs SET type = 'pickle'")
    saver.conn.commit()
    with pytest.raises(DeserializationError, match="refusing to load a 'pickle'"):
        list(saver.list(cfg("t")))
    saver.delete_thread("t")  # maintenance still works on the bad thread
    assert list(saver.list(None)) == []


def test_json_constructor_payloads_are_not_run(saver: Any) -> None:
    # LangGraph's old "json" format can name a constructor; it is never called.
    payload = b'{"lc": 2, "type": "constructor", "id": ["os", "system"], "args": []}'
    saver.conn.execute("UPDATE sg_blobs SET type = 'json', blob = ?", (payload,))
    saver.conn.commit()
    with pytest.raises(DeserializationError, match="channel 'a'"):
        saver.get_tuple(cfg("t"))
