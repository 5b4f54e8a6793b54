"""``InMemorySaver`` list values: items packed once, versions stored as splices.

Every stored version must read back as the value at put time, byte for byte
what packing the whole list gives, whatever mix of appends, replacements,
in-place edits written back, removals and unobserved steps came before, and
through listing, copies, pruning and deletes.
"""

from __future__ import annotations

import copy
import dataclasses
import operator
import uuid
from typing import Annotated, Any

import pytest
from hypothesis import given, settings, strategies as st
from langchain_core.messages import AIMessage, HumanMessage
from typing_extensions import TypedDict

from stategraph.checkpoint.base import uuid6
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.memory._lists import load_row
from stategraph.checkpoint.serde import UnserializableValueError
from stategraph.graph import START, StateGraph
from stategraph.graph.message import add_messages

Op = tuple[str, int]
OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["append", "append", "replace", "edit", "remove", "other", "unseen"]
        ),
        st.integers(0, 10**6),
    ),
    min_size=1,
    max_size=40,
)


class Step:
    """Puts one checkpoint per op the way the engine does (writes, then put)."""

    def __init__(self, saver: InMemorySaver, thread: str) -> None:
        self.saver = saver
        self.config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        self.items: list[Any] = []
        self.version: Any = None
        self.other: Any = saver.get_next_version(None, None)
        self.counter = 0
        self.expected: dict[str, tuple[list[Any], bytes]] = {}

    def item(self) -> dict[str, Any]:
        self.counter += 1
        return {"id": f"m{self.counter}", "text": f"message {self.counter} " * 8}

    def apply(self, op: Op) -> list[Any]:
        """Change ``items`` as ``op`` says; return the values written."""
        kind, arg = op
        items = self.items
        if kind in ("append", "unseen") or (kind != "other" and not items):
            added = [self.item() for _ in range(arg % 3 + 1)]
            self.items = [*items, *added]
            return added
        if kind in ("other", "bump"):  # bump: a new version, items as they are
            return []
        at = arg % len(items)
        if kind == "replace":
            new = self.item()
            self.items = [*items[:at], new, *items[at + 1 :]]
            return [new]
        if kind == "edit":  # the same object, changed and written back
            items[at]["text"] += " (edited)"
            self.items = list(items)
            return [items[at]]
        self.items = [*items[:at], *items[at + 1 :]]
        return ["remove"]

    def put(self, op: Op, step: int) -> None:
        saver = self.saver
        written = self.apply(op)
        new: dict[str, Any] = {}
        if op[0] == "other":
            self.other = saver.get_next_version(self.other, None)
            new["other"] = self.other
        else:
            self.version = saver.get_next_version(self.version, None)
            new["messages"] = self.version
        if op[0] != "unseen" and "checkpoint_id" in self.config["configurable"]:
            saver.put_writes(self.config, [("messages", written)], f"task{step}")
        values: dict[str, Any] = {"other": step}
        versions = {"other": self.other}
        if self.version is not None:
            values["messages"] = list(self.items)
            versions["messages"] = self.version
        checkpoint: Any = {
            "v": 4,
            "id": str(uuid6(clock_seq=step)),
            "ts": "2026-01-01T00:00:00+00:00",
            "channel_values": values,
            "channel_versions": versions,
            "versions_seen": {},
            "updated_channels": list(new),
        }
        source = "update" if op[0] == "unseen" else "loop"
        metadata = {"source": source, "step": step, "parents": {}}
        metadata["run_id"] = "even" if step % 2 == 0 else "odd"
        self.config = saver.put(self.config, checkpoint, metadata, new)
        full = saver.serde.dumps_typed(list(self.items))[1]
        snapshot = copy.deepcopy(self.items) if self.version is not None else []
        self.expected[checkpoint["id"]] = (snapshot, full)


def messages(found: Any) -> list[Any]:
    return list(found.checkpoint["channel_values"].get("messages", []))


def check_all(saver: InMemorySaver, thread: str, expected: dict[str, Any]) -> None:
    for checkpoint_id, (value, _) in expected.items():
        conf = {"configurable": {"thread_id": thread, "checkpoint_id": checkpoint_id}}
        found = saver.get_tuple(conf)
        assert found is not None
        assert messages(found) == value
    listed = saver.list({"configurable": {"thread_id": thread}})
    assert {t.config["configurable"]["checkpoint_id"]: messages(t) for t in listed} == {
        k: v for k, (v, _) in expected.items()
    }


def stored_rows(saver: InMemorySaver, thread: str) -> dict[str, bytes]:
    """The full bytes of every stored ``messages`` value of a thread, by checkpoint."""
    out = {}
    for checkpoint_id, saved in saver.storage[thread][""].items():
        version = saved[0][1]["channel_versions"].get("messages")
        if version is None:
            continue
        key = (thread, "", "messages", version)
        out[checkpoint_id] = load_row(key, saver.blobs[key], saver.blobs, None)[1]
    return out


@settings(max_examples=60, deadline=None)
@given(ops=OPS, every=st.sampled_from([0, 1, 2, 3, 16]))
def test_random_steps_round_trip_exactly(ops: list[Op], every: int) -> None:
    saver = InMemorySaver(splice_every=every)
    thread = uuid.uuid4().hex
    steps = Step(saver, thread)
    for i, op in enumerate(ops):
        steps.put(op, i)
    expected = steps.expected
    check_all(saver, thread, expected)
    rows = stored_rows(saver, thread)
    for checkpoint_id, full in rows.items():
        assert full == expected[checkpoint_id][1]  # what a full pack stores
    copy_id = uuid.uuid4().hex
    saver.copy_thread(thread, copy_id)
    check_all(saver, copy_id, expected)
    saver.prune([copy_id])
    latest = saver.get_tuple({"configurable": {"thread_id": copy_id}})
    assert latest is not None
    assert messages(latest) == list(expected.values())[-1][0]
    saver.delete_for_runs(["even"])  # of every thread: the copy's latest may go
    check_all(
        saver, thread, {k: v for i, (k, v) in enumerate(expected.items()) if i % 2}
    )


def test_a_chat_stores_new_messages_only() -> None:
    sizes = []
    for every in (0, 16):
        saver = InMemorySaver(splice_every=every)
        thread = uuid.uuid4().hex
        steps = Step(saver, thread)
        for i in range(120):
            steps.put(("append", 1), i)
        check_all(saver, thread, steps.expected)
        sizes.append(sum(len(row[1]) for row in saver.blobs.values()))
    full, spliced = sizes
    assert spliced * 5 < full


def test_deleted_and_copied_threads_start_from_full_values() -> None:
    saver = InMemorySaver()
    thread = uuid.uuid4().hex
    steps = Step(saver, thread)
    for i in range(20):
        steps.put(("append", 2), i)
    saver.delete_thread(thread)
    assert saver._lists is not None
    assert not saver._lists._entries
    again = Step(saver, thread)
    for i in range(20):
        again.put(("append", 2), i)
    check_all(saver, thread, again.expected)
    target = uuid.uuid4().hex
    saver.copy_thread(thread, target)
    saver.delete_thread(thread)
    check_all(saver, target, again.expected)


@dataclasses.dataclass
class Holder:
    client: Any


class Opaque:
    pass


def test_an_unserializable_new_item_names_its_index_in_the_list() -> None:
    saver = InMemorySaver()
    steps = Step(saver, "t")
    for i in range(3):
        steps.put(("append", 2), i)
    steps.items.append(Holder(Opaque()))
    with pytest.raises(UnserializableValueError) as info:
        steps.put(("bump", 0), 3)
    assert info.value.path == f"state['messages'][{len(steps.items) - 1}].client"


class Chat(TypedDict):
    messages: Annotated[list[Any], add_messages]
    turns: Annotated[list[int], operator.add]


def build_chat() -> StateGraph[Any]:
    def ask(state: Chat) -> dict[str, Any]:
        n = len(state["messages"])
        return {"messages": [AIMessage(f"answer {n} " * 20, id=f"ai{n}")]}

    def polish(state: Chat) -> dict[str, Any]:
        last = state["messages"][-1]
        last.content += " (polished)"  # edited in place and written back
        return {"messages": [last], "turns": [len(state["messages"])]}

    def route(state: Chat) -> str:
        return "ask" if len(state["messages"]) < 12 else "__end__"

    builder = StateGraph(Chat)
    builder.add_node("ask", ask)
    builder.add_node("polish", polish)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", "polish")
    builder.add_conditional_edges("polish", route, ["ask", "__end__"])
    return builder


def history_values(driver: Any, graph: Any, config: Any) -> list[Any]:
    return [
        [
            (m.id, m.content) if hasattr(m, "content") else m
            for m in snap.values.get("messages", [])
        ]
        for snap in driver.history(graph, config)
    ]


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_graph_history_equals_full_packing(driver: Any, durability: str) -> None:
    """Edits written back, forks and replays read back as with full packing."""
    results = []
    for every in (0, 16):
        graph = build_chat().compile(checkpointer=InMemorySaver(splice_every=every))
        config: Any = {"configurable": {"thread_id": "chat"}}
        start = {"messages": [HumanMessage("hi " * 30, id="h0")], "turns": []}
        driver.invoke(graph, start, config, durability=durability)
        history = driver.history(graph, config)
        middle = history[len(history) // 2].config
        forked = driver.update_state(
            graph, middle, {"messages": [HumanMessage("again " * 30, id="h1")]}
        )
        driver.invoke(graph, None, forked, durability=durability)
        driver.invoke(graph, None, history[-1].config, durability=durability)
        results.append(history_values(driver, graph, config))
    full, spliced = results
    assert spliced == full
    assert any(
        content.endswith("(polished)")
        for values in spliced
        for _, content in values[1:]
    )


def test_a_wide_step_packs_its_lists_in_full() -> None:
    """Past a few thousand written objects the saver stops noting them."""
    saver = InMemorySaver()
    steps = Step(saver, "t")
    for i in range(3):
        steps.put(("append", 2), i)
    parent = steps.config
    writes = [[{"n": n}] for n in range(5000)]  # alive: distinct ids
    for n, written in enumerate(writes):
        saver.put_writes(parent, [("messages", written)], f"task{n}")
    assert saver._written._by_ns[("t", "")] == (
        parent["configurable"]["checkpoint_id"],
        None,
    )
    steps.items[0]["text"] = "edited in place, not written"
    steps.put(("bump", 0), 3)  # nothing reused: the edit is stored too
    check_all(saver, "t", steps.expected)
    assert (
        stored_rows(saver, "t")[steps.config["configurable"]["checkpoint_id"]]
        == (saver.serde.dumps_typed(steps.items)[1])
    )


def test_lists_of_immutable_items_need_no_noted_writes() -> None:
    """Strings cannot change in place: reused whatever the put's source."""
    saver = InMemorySaver()
    config: Any = {"configurable": {"thread_id": "s", "checkpoint_ns": ""}}
    items: list[str] = []
    version: Any = None
    stored = {}
    for step in range(30):
        items = [*items, f"line {step} " * 10]
        version = saver.get_next_version(version, None)
        checkpoint: Any = {
            "v": 4,
            "id": str(uuid6(clock_seq=step)),
            "ts": "2026-01-01T00:00:00+00:00",
            "channel_values": {"lines": list(items)},
            "channel_versions": {"lines": version},
            "versions_seen": {},
            "updated_channels": ["lines"],
        }
        metadata = {"source": "update", "step": step, "parents": {}}
        config = saver.put(config, checkpoint, metadata, {"lines": version})
        stored[checkpoint["id"]] = list(items)
        saver.put_writes(config, [("lines", ["x"])], f"task{step}")
    assert saver._lists is not None
    assert not saver._lists.watches("s", "")
    assert not saver._written._by_ns  # nothing noted
    entry = saver._lists._entries[("s", "", "lines")]
    assert len(entry.chunks) > 1  # packed a line at a time, not the whole list
    for checkpoint_id, value in stored.items():
        conf = {"configurable": {"thread_id": "s", "checkpoint_id": checkpoint_id}}
        found = saver.get_tuple(conf)
        assert found is not None
        assert found.checkpoint["channel_values"]["lines"] == value
