from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver as LangGraphSaver

from stategraph._constants import ERROR, INTERRUPT, RESUME, SCHEDULED
from stategraph.checkpoint.base import BaseCheckpointSaver, Checkpoint
from stategraph.checkpoint.memory import InMemorySaver, MemorySaver
from stategraph.checkpoint.serde import UnserializableValueError
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer


def ckpt(cid: str, values: dict[str, Any], versions: dict[str, Any]) -> Checkpoint:
    return {
        "v": 4,
        "id": cid,
        "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": {},
        "updated_channels": None,
    }


def conf(thread: str = "t", ns: str = "", cid: str | None = None) -> Any:
    configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if cid:
        configurable["checkpoint_id"] = cid
    return {"configurable": configurable}


def test_alias_and_base_class() -> None:
    assert MemorySaver is InMemorySaver
    saver = InMemorySaver()
    assert isinstance(saver, BaseCheckpointSaver)
    with saver as entered:
        assert entered is saver


def test_persistent_dict_factory_saves_to_file_without_pickle(tmp_path: Any) -> None:
    from functools import partial

    from stategraph.checkpoint.memory import PersistentDict

    path = str(tmp_path / "saver.bin")
    with InMemorySaver(factory=partial(PersistentDict, filename=path)) as saver:
        saver.put(conf(), ckpt("1", {"a": 1}, {"a": 1}), {}, {"a": 1})
        assert saver.get(conf()) is not None
    raw = (tmp_path / "saver.bin").read_bytes()
    assert not raw.startswith(b"\x80")  # not a pickle stream
    again = PersistentDict(filename=path)
    again.load()
    # LangGraph's factory gives the three dicts one file; the last one saved wins
    assert "t" in again


@pytest.mark.asyncio
async def test_async_context_manager() -> None:
    async with InMemorySaver() as saver:
        assert await saver.aget_tuple(conf()) is None


def test_only_new_versions_are_serialized() -> None:
    saver = InMemorySaver()
    first = saver.put(
        conf(), ckpt("1", {"a": 1, "b": 2}, {"a": 1, "b": 1}), {}, {"a": 1, "b": 1}
    )
    assert set(saver.blobs) == {("t", "", "a", 1), ("t", "", "b", 1)}
    big = {"a": 3, "b": 2}
    saver.put(conf(cid="1"), ckpt("2", big, {"a": 2, "b": 1}), {}, {"a": 2})
    assert set(saver.blobs) == {("t", "", "a", 1), ("t", "", "b", 1), ("t", "", "a", 2)}
    assert saver.get(conf())["channel_values"] == {"a": 3, "b": 2}  # type: ignore[index]
    assert saver.get(first)["channel_values"] == {"a": 1, "b": 2}  # type: ignore[index]


def test_missing_value_is_stored_as_empty() -> None:
    saver = InMemorySaver()
    saver.put(conf(), ckpt("1", {}, {"a": 1}), {}, {"a": 1})
    assert saver.blobs[("t", "", "a", 1)] == ("empty", b"")
    assert saver.get(conf())["channel_values"] == {}  # type: ignore[index]


def test_storage_layout_matches_langgraph() -> None:
    saver = InMemorySaver()
    stored = saver.put(
        conf(ns="sub:1"), ckpt("1", {"a": 1}, {"a": 1}), {"step": 0}, {"a": 1}
    )
    saver.put_writes(stored, [("a", 5)], "task", "path")
    checkpoint_t, metadata_t, parent = saver.storage["t"]["sub:1"]["1"]
    # The header is kept as copied dicts (serializing it costs O(channels) per
    # step), and so is metadata made only of scalars.
    assert checkpoint_t[0] == "__header__"
    assert checkpoint_t[1]["channel_versions"] == {"a": 1}
    assert metadata_t[0] == "__metadata__"  # scalar metadata is kept as a dict too
    assert parent is None
    assert saver.writes[("t", "sub:1", "1")][("task", 0)][0:2] == ("task", "a")
    assert saver.writes[("t", "sub:1", "1")][("task", 0)][3] == "path"


def test_get_tuple_returns_the_given_config_object() -> None:
    saver = InMemorySaver()
    stored = saver.put(conf(), ckpt("1", {}, {}), {}, {})
    assert stored == {
        "configurable": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "1"}
    }
    lookup = conf(cid="1")
    found = saver.get_tuple(lookup)
    assert found is not None
    assert found.config is lookup


def test_latest_is_the_largest_id_even_when_put_out_of_order() -> None:
    saver = InMemorySaver()
    for cid in ("b", "c", "a"):
        saver.put(conf(), ckpt(cid, {}, {}), {}, {})
    assert saver.get(conf())["id"] == "c"  # type: ignore[index]
    del saver.storage["t"][""]["c"]
    assert saver.get(conf())["id"] == "b"  # type: ignore[index]


def test_writes_semantics_match_writes_idx_map() -> None:
    saver = InMemorySaver()
    stored = saver.put(conf(), ckpt("1", {}, {}), {}, {})
    saver.put_writes(stored, [("x", 1), (ERROR, "e1"), (SCHEDULED, 1)], "task")
    saver.put_writes(
        stored, [("x", 2), (ERROR, "e2"), (INTERRUPT, "i"), (RESUME, "r")], "task"
    )
    stored_writes = saver.writes[("t", "", "1")]
    assert set(stored_writes) == {
        ("task", 0),
        ("task", -1),
        ("task", -2),
        ("task", -3),
        ("task", -4),
    }
    found = saver.get_tuple(stored)
    assert found is not None
    pending = found.pending_writes or []
    assert ("task", "x", 1) in pending
    assert ("task", ERROR, "e2") in pending


def test_get_next_version_format() -> None:
    saver = InMemorySaver()
    first = saver.get_next_version(None, None)
    assert re.fullmatch(r"0{31}1\.\d\.\d+", first)
    second = saver.get_next_version(first, None)
    assert second.startswith("0" * 31 + "2.")
    assert second > first
    assert saver.get_next_version(7, None).startswith("0" * 31 + "8.")  # type: ignore[arg-type]
    assert BaseCheckpointSaver().get_next_version(None, None) == 1
    assert BaseCheckpointSaver().get_next_version(1, None) == 2


@dataclasses.dataclass
class Holder:
    client: Any


class Opaque:
    pass


def test_unserializable_state_names_the_channel() -> None:
    saver = InMemorySaver()
    values = {"items": [1, Holder(Opaque())]}
    with pytest.raises(UnserializableValueError) as info:
        saver.put(conf(), ckpt("1", values, {"items": 1}), {}, {"items": 1})
    assert info.value.path == "state['items'][1].client"
    assert saver.storage["t"][""] == {}
    stored = saver.put(conf(), ckpt("1", {}, {}), {}, {})
    with pytest.raises(UnserializableValueError, match=re.escape("update['x']")):
        saver.put_writes(stored, [("ok", 1), ("x", Opaque())], "task")
    # As LangGraph's InMemorySaver: each write is stored in turn, so those
    # before the failing one stay (SQLite and Postgres store all or none).
    assert [w[1] for w in saver.writes[("t", "", "1")].values()] == ["ok"]


def test_custom_serializer_is_used() -> None:
    class Counting(JsonPlusSerializer):
        calls = 0

        def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
            Counting.calls += 1
            return super().dumps_typed(obj)

    saver = InMemorySaver(serde=Counting())
    saver.put(conf(), ckpt("1", {"a": 1}, {"a": 1}), {}, {"a": 1})
    assert Counting.calls == 1  # one blob (header and scalar metadata stay dicts)


def test_with_allowlist_returns_a_clone_sharing_storage() -> None:
    @dataclasses.dataclass
    class Fresh:
        x: int

    saver = InMemorySaver(serde=JsonPlusSerializer())
    clone = saver.with_allowlist([Fresh])
    assert clone is not saver
    assert clone.storage is saver.storage
    assert clone.serde is not saver.serde
    # As in LangGraph: nothing new to allow, nothing to copy.
    assert clone.with_allowlist([Fresh]) is clone
    assert saver.with_allowlist([]) is saver


def _delta_fixture(saver: Any) -> Any:
    c1 = saver.put(conf(), ckpt("1", {"d": "seed"}, {"d": 1}), {}, {"d": 1})
    saver.put_writes(c1, [("d", "w1"), ("other", 0)], "task-a", "a")
    c2 = saver.put(conf(cid="1"), ckpt("2", {}, {"d": 2}), {}, {"d": 2})
    saver.put_writes(c2, [("d", "w2")], "task-b", "b")
    saver.put_writes(c2, [("d", "w0")], "task-a", "a")
    return saver.put(conf(cid="2"), ckpt("3", {}, {"d": 3}), {}, {"d": 3})


def test_delta_channel_history_matches_langgraph() -> None:
    ours, theirs = InMemorySaver(), LangGraphSaver()
    target_ours, target_theirs = _delta_fixture(ours), _delta_fixture(theirs)
    expected = theirs.get_delta_channel_history(
        config=target_theirs, channels=["d", "x"]
    )
    got = ours.get_delta_channel_history(config=target_ours, channels=["d", "x"])
    assert got == expected
    generic = BaseCheckpointSaver.get_delta_channel_history(
        ours, config=target_ours, channels=["d", "x"]
    )
    assert generic == expected
    assert ours.get_delta_channel_history(config=target_ours, channels=[]) == {}


@pytest.mark.asyncio
async def test_async_delta_channel_history() -> None:
    saver = InMemorySaver()
    target = _delta_fixture(saver)
    sync = saver.get_delta_channel_history(config=target, channels=["d"])
    assert await saver.aget_delta_channel_history(config=target, channels=["d"]) == sync
    generic = await BaseCheckpointSaver.aget_delta_channel_history(
        saver, config=target, channels=["d"]
    )
    assert generic == sync


def test_prune_collects_unused_blobs() -> None:
    saver = InMemorySaver()
    saver.put(
        conf(), ckpt("1", {"a": 1, "b": 1}, {"a": 1, "b": 1}), {}, {"a": 1, "b": 1}
    )
    saver.put(
        conf(cid="1"), ckpt("2", {"a": 2, "b": 1}, {"a": 2, "b": 1}), {}, {"a": 2}
    )
    saver.prune(["t"])
    assert set(saver.blobs) == {("t", "", "a", 2), ("t", "", "b", 1)}
    assert saver.get(conf())["channel_values"] == {"a": 2, "b": 1}  # type: ignore[index]
    with pytest.raises(ValueError, match="strategy"):
        saver.prune(["t"], strategy="oldest")


def test_delete_for_runs_keeps_shared_blobs() -> None:
    saver = InMemorySaver()
    saver.put(conf(), ckpt("1", {"a": 1}, {"a": 1}), {"run_id": "r1"}, {"a": 1})
    saver.put(conf(cid="1"), ckpt("2", {"a": 1}, {"a": 1}), {"run_id": "r2"}, {})
    saver.delete_for_runs(["r1"])
    assert list(saver.storage["t"][""]) == ["2"]
    assert saver.get(conf())["channel_values"] == {"a": 1}  # type: ignore[index]
    saver.delete_for_runs(["r2"])
    assert saver.blobs == {}
    assert "t" not in saver.storage


def test_copy_thread_then_diverge() -> None:
    saver = InMemorySaver()
    saver.put(conf("src"), ckpt("1", {"a": 1}, {"a": 1}), {}, {"a": 1})
    saver.copy_thread("src", "dst")
    saver.put(conf("dst", cid="1"), ckpt("2", {"a": 9}, {"a": 2}), {}, {"a": 2})
    assert saver.get(conf("src"))["channel_values"] == {"a": 1}  # type: ignore[index]
    assert saver.get(conf("dst"))["channel_values"] == {"a": 9}  # type: ignore[index]
    assert [t.checkpoint["id"] for t in saver.list(conf("dst"))] == ["2", "1"]


def test_listing_stays_sorted_when_ids_arrive_out_of_order() -> None:
    saver = InMemorySaver()
    for cid in ("2", "4", "3", "1"):
        saver.put(conf(), ckpt(cid, {}, {}), {}, {})
    assert [t.checkpoint["id"] for t in saver.list(conf())] == ["4", "3", "2", "1"]
    for cid in ("a", "c"):
        saver.put(conf("other"), ckpt(cid, {}, {}), {}, {})
    saver.put(conf("target"), ckpt("b", {}, {}), {}, {})
    saver.copy_thread("other", "target")
    assert [t.checkpoint["id"] for t in saver.list(conf("target"))] == ["c", "b", "a"]
    assert saver.get(conf("target"))["id"] == "c"  # type: ignore[index]
    saver.prune(["target"])
    saver.put(conf("target"), ckpt("0", {}, {}), {}, {})
    assert saver.get(conf("target"))["id"] == "c"  # type: ignore[index]
    assert [t.checkpoint["id"] for t in saver.list(conf("target"))] == ["c", "0"]


def test_listing_while_writing_does_not_fail() -> None:
    saver = InMemorySaver()
    for i in range(3):
        saver.put(conf(), ckpt(str(i), {}, {}), {}, {})
    seen = []
    for item in saver.list(conf()):
        seen.append(item.checkpoint["id"])
        saver.put(conf(), ckpt(item.checkpoint["id"] + "x", {}, {}), {}, {})
    assert seen == ["2", "1", "0"]


def test_stored_header_is_isolated_from_caller_and_reader() -> None:
    saver = InMemorySaver()
    checkpoint = ckpt("1", {"a": 1}, {"a": 1})
    saver.put(conf(), checkpoint, {}, {"a": 1})
    checkpoint["channel_versions"]["a"] = 99
    checkpoint["versions_seen"]["n"] = {"a": 99}
    first = saver.get(conf())
    assert first is not None
    assert first["channel_versions"] == {"a": 1}
    assert "n" not in first["versions_seen"]
    first["channel_versions"]["a"] = 5
    second = saver.get(conf())
    assert second is not None
    assert second["channel_versions"] == {"a": 1}


class _Tag(str):
    """A str subclass: takes the general metadata path."""


@pytest.mark.parametrize(
    "metadata",
    [
        {"source": "loop", "step": 3, "parents": {"": "abc"}},
        {"source": "in\x00put", "step": -1, "parents": {}, "flag": True, "x": None},
        {"source": _Tag("loop"), "step": 1, "parents": {}},
        {"source": "loop", "step": 1, "parents": {"": ["not", "scalar"]}},
        {"source": "loop", "step": 1, "writes": [1, 2]},
    ],
)
def test_stored_metadata_fast_path_equals_general_path(metadata: Any) -> None:
    from stategraph.checkpoint.base import get_checkpoint_metadata
    from stategraph.checkpoint.memory._header import (
        freeze_metadata,
        stored_metadata,
        thaw_metadata,
    )

    config: Any = {
        "metadata": {"user": "a\x00b", "thread_id": "t", "n": 2, "obj": object()},
        "configurable": {"thread_id": "t", "checkpoint_id": "c", "__x": 1, "k": 1.5},
    }
    dumps, loads = JsonPlusSerializer().dumps_typed, JsonPlusSerializer().loads_typed
    fast = stored_metadata(config, metadata, dumps)
    general = freeze_metadata(get_checkpoint_metadata(config, metadata), dumps)
    assert fast == general
    thawed = thaw_metadata(fast, loads)
    assert thawed == thaw_metadata(general, loads)
    assert list(thawed) == list(thaw_metadata(general, loads))
    assert thawed["user"] == "ab"


def test_the_first_base_offers_the_delta_history_walk() -> None:
    # LangGraph's own tests subclass InMemorySaver and rebind these two
    # methods to ``InMemorySaver.__mro__[1]``'s (their BaseCheckpointSaver).
    first = InMemorySaver.__mro__[1]
    assert callable(getattr(first, "get_delta_channel_history", None))
    assert callable(getattr(first, "aget_delta_channel_history", None))
