from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

import langgraph.checkpoint.base as lg_base
import langgraph.checkpoint.base.id as lg_id
import pytest

import stategraph.checkpoint.base as base
from stategraph.checkpoint.base import (
    WRITES_IDX_MAP,
    CheckpointTuple,
    copy_checkpoint,
    create_checkpoint,
    empty_checkpoint,
    get_checkpoint_id,
    get_checkpoint_metadata,
    get_serializable_checkpoint_metadata,
    writes_sort_key,
)
from stategraph.checkpoint.base.id import UUID, stamp, uuid6, uuid6_str
from stategraph.errors import EmptyChannelError


def test_public_names_match_langgraph() -> None:
    wanted = {
        "BaseCheckpointSaver", "ChannelVersions", "Checkpoint", "CheckpointMetadata",
        "CheckpointTuple", "DeltaChannelHistory", "EXCLUDED_METADATA_KEYS",
        "EmptyChannelError", "JsonPlusSerializer", "LATEST_VERSION", "PendingWrite",
        "SerializerProtocol", "V", "WRITES_IDX_MAP", "copy_checkpoint",
        "create_checkpoint", "empty_checkpoint", "get_checkpoint_id",
        "get_checkpoint_metadata", "get_serializable_checkpoint_metadata",
        "maybe_add_typed_methods", "uuid6", "writes_sort_key", "ChannelProtocol",
        "ERROR", "INTERRUPT", "RESUME", "SCHEDULED",
    }  # fmt: skip
    assert wanted <= set(dir(lg_base))
    assert wanted <= set(base.__all__)
    assert base.WRITES_IDX_MAP == lg_base.WRITES_IDX_MAP
    assert base.EXCLUDED_METADATA_KEYS == lg_base.EXCLUDED_METADATA_KEYS
    assert base.EmptyChannelError is EmptyChannelError
    assert set(base.CheckpointMetadata.__annotations__) == set(
        lg_base.CheckpointMetadata.__annotations__
    )
    assert set(base.Checkpoint.__annotations__) == set(
        lg_base.Checkpoint.__annotations__
    )
    assert CheckpointTuple._fields == lg_base.CheckpointTuple._fields


def test_uuid6_is_version_6_and_sorted() -> None:
    ids = [uuid6() for _ in range(2000)]
    assert all(i.version == 6 and i.variant == uuid.RFC_4122 for i in ids)
    as_text = [str(i) for i in ids]
    assert as_text == sorted(as_text)
    assert len(set(as_text)) == len(as_text)
    assert isinstance(ids[0], UUID)
    assert isinstance(ids[0], uuid.UUID)


def test_uuid6_layout_matches_langgraph() -> None:
    ours = uuid6(node=0xABCDEF, clock_seq=-2)
    theirs = lg_id.uuid6(node=0xABCDEF, clock_seq=-2)
    assert ours.hex[-12:] == theirs.hex[-12:] == "000000abcdef"
    assert ours.clock_seq == theirs.clock_seq == 0x3FFE
    assert 0 <= theirs.time - ours.time < 10**8  # both are 100-ns ticks since 1582


def test_uuid6_str_reads_back_as_the_uuid_it_names() -> None:
    # Clock sequences past the cached ones, negative, wide and random ones.
    seqs = [*range(-3, 1500), 0x3FFF, 0x4000, 2**40, *[None] * 300]
    made = [(seq, uuid6_str(seq)) for seq in seqs]
    assert [text for _, text in made] == sorted({text for _, text in made})
    for seq, text in made:
        parsed = UUID(text)
        assert str(parsed) == text
        assert parsed.version == 6
        assert parsed.variant == uuid.RFC_4122
        if seq is not None:
            assert parsed.clock_seq == seq & 0x3FFF
    assert 0 <= uuid6().time - UUID(made[-1][1]).time < 10**8


def test_uuid6_is_monotonic_across_threads() -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        made = [str(uuid6(clock_seq=0, node=0)) for _ in range(500)]
        with lock:
            seen.extend(made)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == len(seen)  # same node and clock_seq: time alone differs


def test_empty_and_copy_checkpoint() -> None:
    empty = empty_checkpoint()
    assert empty["v"] == lg_base.LATEST_VERSION
    assert empty["channel_values"] == {}
    assert empty["versions_seen"] == {}
    assert set(empty) == set(lg_base.empty_checkpoint())
    empty["channel_values"]["a"] = 1
    empty["versions_seen"]["n"] = {"a": 1}
    copied = copy_checkpoint(empty)
    copied["channel_values"]["a"] = 2
    copied["versions_seen"]["n"]["a"] = 2
    assert empty["channel_values"]["a"] == 1
    assert empty["versions_seen"]["n"]["a"] == 1
    assert set(copied) == set(lg_base.copy_checkpoint(empty))  # type: ignore[arg-type]


class _Channel:
    def __init__(self, value: Any = None, empty: bool = False) -> None:
        self.value, self.empty = value, empty

    def checkpoint(self) -> Any:
        if self.empty:
            raise EmptyChannelError
        return self.value


def test_create_checkpoint() -> None:
    previous = empty_checkpoint()
    previous["channel_versions"] = {"a": 1, "e": 1}
    channels: Any = {"a": _Channel(5), "e": _Channel(empty=True), "x": _Channel(9)}
    made = create_checkpoint(previous, channels, 3)
    assert made["channel_values"] == {"a": 5}
    assert made["id"] != previous["id"]
    assert made["channel_versions"] == {"a": 1, "e": 1}
    assert create_checkpoint(previous, None, 1, id="fixed")["id"] == "fixed"


@pytest.mark.parametrize(
    "config",
    [
        {"configurable": {"thread_id": "t"}},
        {
            "configurable": {
                "thread_id": "t",
                "checkpoint_ns": "ns",
                "user": "u\x00x",
                "n": 3,
                "flag": True,
                "obj": object(),
                "__secret": "s",
                "langgraph_step": 3,
            },
            "metadata": {"origin": "api", "step": 99, "nested": {"a": 1}},
        },
    ],
)
def test_checkpoint_metadata_matches_langgraph(config: Any) -> None:
    metadata: Any = {"source": "loop", "step": 1, "note": "a\x00b", "writes": {}}
    assert get_checkpoint_metadata(config, metadata) == lg_base.get_checkpoint_metadata(
        config, metadata
    )
    assert get_serializable_checkpoint_metadata(
        config, metadata
    ) == lg_base.get_serializable_checkpoint_metadata(config, metadata)
    assert metadata["note"] == "a\x00b"  # input untouched


def test_small_helpers() -> None:
    assert get_checkpoint_id({"configurable": {"checkpoint_id": "x"}}) == "x"
    assert get_checkpoint_id({"configurable": {}}) is None
    assert writes_sort_key("p", "t", 2) == lg_base.writes_sort_key("p", "t", 2)
    assert WRITES_IDX_MAP["__error__"] == -1


def test_stamp_gives_an_id_its_bytes_and_its_time() -> None:
    before = time.time_ns()
    made = [stamp(step) for step in (0, 1, 2, 7, 0x3FFF + 5)]
    after = time.time_ns()
    assert [m[0] for m in made] == sorted({m[0] for m in made})
    for text, raw, now in made:
        parsed = UUID(text)
        assert parsed.bytes == raw
        assert before <= now <= after
        # The id's clock is the same moment (100-ns ticks since 1582).
        assert abs(parsed.time - (now // 100 + 0x01B21DD213814000)) < 10**4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork only")
def test_a_forked_process_makes_ids_of_its_own_node() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report an id it makes, then leave at once
        os.write(write, uuid6_str(3).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        theirs = pipe.read()
    os.waitpid(pid, 0)
    ours = uuid6_str(3)
    assert UUID(theirs).node != UUID(ours).node
