"""``InMemorySaver`` keeps a step's header as its changes since the last one.

The engine tells the saver (``put_changes``) which versions and
``versions_seen`` entries a step changed; what is read back must be the
checkpoint the engine handed over, key order included, and a saver subclass
overriding ``put`` must keep receiving every checkpoint.
"""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from typing_extensions import TypedDict

from stategraph.checkpoint.memory import InMemorySaver, PersistentDict
from stategraph.checkpoint.memory._header import _SEEN, _VERSIONS
from stategraph.graph import END, START, StateGraph

STEPS = 40


class State(TypedDict):
    v: int


def _chain(saver: Any, n: int = STEPS) -> Any:
    builder = StateGraph(State)
    prev = START
    for i in range(n):
        builder.add_node(f"n{i}", lambda s: {"v": s["v"] + 1})
        builder.add_edge(prev, f"n{i}")
        prev = f"n{i}"
    builder.add_edge(prev, END)
    return builder.compile(checkpointer=saver)


class Recording(InMemorySaver):
    """Remembers each header the engine hands over, copied at that moment."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handed: dict[str, dict[str, Any]] = {}

    def put_changes(self, config: Any, checkpoint: Any, *rest: Any) -> None:
        self.handed[checkpoint["id"]] = {
            key: copy.deepcopy(checkpoint[key])
            for key in ("channel_versions", "versions_seen")
        }
        super().put_changes(config, checkpoint, *rest)


def _kinds(saver: InMemorySaver, thread: str) -> list[str]:
    return [saved[0][0] for saved in saver.storage[thread][""].values()]


def test_headers_read_back_as_handed_over(driver: Any) -> None:
    saver = Recording()
    graph = _chain(saver)
    config = {"configurable": {"thread_id": "t"}}
    driver.invoke(graph, {"v": 0}, config)
    driver.invoke(graph, {"v": 5}, config)  # a second run continues the chain
    assert len(saver.handed) == 2 * (STEPS + 2)  # input, start, nodes
    kinds = _kinds(saver, "t")
    assert kinds.count("__header_delta__") > len(kinds) * 3 // 4
    for checkpoint_id, handed in saver.handed.items():
        read = saver.get_tuple(
            {"configurable": {**config["configurable"], "checkpoint_id": checkpoint_id}}
        )
        assert read is not None
        for key, value in handed.items():
            # Same entries in the same order (the order of listed channels).
            assert list(read.checkpoint[key].items()) == list(value.items())
    history = driver.history(graph, config)
    assert [s.values["v"] for s in history[:2]] == [STEPS + 5, STEPS + 4]


def test_a_step_stores_only_what_it_changed() -> None:
    saver = InMemorySaver()
    _chain(saver, 200).invoke({"v": 0}, {"configurable": {"thread_id": "t"}})
    deltas = [
        saved[0] for saved in saver.storage["t"][""].values()
        if saved[0][0] == "__header_delta__"
    ]  # fmt: skip
    assert len(deltas) > 150
    # A step moves three channel versions and one node's versions_seen.
    assert max(len(d[_VERSIONS]) for d in deltas) <= 3
    assert max(len(d[_SEEN]) for d in deltas) <= 1
    # Read back in full: every node has seen its trigger.
    latest = saver.get_tuple({"configurable": {"thread_id": "t"}})
    assert latest is not None
    assert len(latest.checkpoint["versions_seen"]) == 202  # + __input__, __start__


def test_saver_overriding_put_gets_every_checkpoint(driver: Any) -> None:
    class Observed(InMemorySaver):
        def __init__(self) -> None:
            super().__init__()
            self.puts = 0

        def put(self, *args: Any) -> Any:
            self.puts += 1
            return super().put(*args)

    saver = Observed()
    driver.invoke(_chain(saver), {"v": 0}, {"configurable": {"thread_id": "t"}})
    assert saver.puts == STEPS + 2
    assert set(_kinds(saver, "t")) == {"__header__"}


def test_persistent_storage_keeps_whole_headers(tmp_path: Path) -> None:
    path = str(tmp_path / "saved.msgpack")
    with InMemorySaver(factory=partial(PersistentDict, filename=path)) as saver:
        _chain(saver).invoke({"v": 0}, {"configurable": {"thread_id": "t"}})
        assert set(_kinds(saver, "t")) == {"__header__"}


def test_check_deltas_catches_a_wrong_change_list() -> None:
    saver = InMemorySaver()
    config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    first = {
        "v": 4, "id": "1", "ts": "", "channel_values": {},
        "channel_versions": {"a": 1, "b": 1}, "versions_seen": {},
        "updated_channels": None,
    }  # fmt: skip
    saver.put_changes(config, first, {"step": 0}, {"a": 1, "b": 1}, None)
    config2 = {"configurable": {**config["configurable"], "checkpoint_id": "1"}}
    # An added channel that is not reported: the header is kept whole.
    added = {**first, "id": "2", "channel_versions": {"a": 1, "b": 1, "c": 2}}
    saver.put_changes(config2, added, {"step": 1}, {}, ("1", set()))
    assert saver.storage["t"][""]["2"][0][0] == "__header__"
    # "b" changed too but is not reported: the saver cannot tell, the check can.
    second = {**first, "id": "3", "channel_versions": {"a": 2, "b": 2}}
    with pytest.raises(AssertionError, match="channel_versions"):
        saver.put_changes(config2, second, {"step": 1}, {"a": 2}, ("1", set()))


def test_read_back_metadata_is_the_callers_to_change() -> None:
    # Root steps store one shared empty ``parents``: a read-back copy changed
    # in place must reach neither that nor another checkpoint's metadata.
    saver = InMemorySaver()
    _chain(saver, 3).invoke({"v": 0}, {"configurable": {"thread_id": "t"}})
    first, *rest = saver.list({"configurable": {"thread_id": "t"}})
    first.metadata["parents"]["x"] = "y"
    assert rest
    assert all(t.metadata["parents"] == {} for t in rest)
    assert saver.get_tuple(first.config).metadata["parents"] == {}  # type: ignore[union-attr]
