"""The same calls on our InMemorySaver and LangGraph's give the same visible results."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from langgraph.checkpoint.memory import InMemorySaver as LangGraphSaver

from stategraph._constants import ERROR, INTERRUPT, RESUME, SCHEDULED
from stategraph.checkpoint.memory import InMemorySaver

THREADS = ["t1", "t2"]
NAMESPACES = ["", "child:1"]
CHANNELS = ["a", "b", "c"]
WRITE_CHANNELS = ["a", "b", ERROR, INTERRUPT, RESUME, SCHEDULED]


@dataclasses.dataclass
class Record:
    name: str
    when: dt.date


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.text(max_size=5)
    | st.builds(Record, st.text(max_size=3), st.dates())
    | st.uuids(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(
            st.sampled_from(["put", "put", "writes", "get", "list", "list_all"])
        )
        thread, ns = draw(st.sampled_from(THREADS)), draw(st.sampled_from(NAMESPACES))
        if kind == "put":
            chans = draw(st.lists(st.sampled_from(CHANNELS), unique=True))
            vals = {c: draw(values) for c in chans if draw(st.booleans())}
            meta = {
                "source": draw(st.sampled_from(["loop", "input"])),
                "step": draw(st.integers(-1, 3)),
            }
            if draw(st.booleans()):
                meta["run_id"] = draw(st.sampled_from(["r1", "r2"]))
            fork, backwards = draw(st.booleans()), draw(st.booleans())
            ops.append(("put", thread, ns, chans, vals, meta, fork, backwards))
        elif kind == "writes":
            writes = draw(
                st.lists(st.tuples(st.sampled_from(WRITE_CHANNELS), values), max_size=4)
            )
            task = draw(st.sampled_from(["task-1", "task-2"]))
            path = draw(st.sampled_from(["", "~a", "~b"]))
            ops.append(
                ("writes", thread, ns, writes, task, path, draw(st.integers(0, 5)))
            )
        elif kind == "get":
            ops.append(("get", thread, ns, draw(st.integers(-1, 5))))
        else:
            filt = draw(
                st.none()
                | st.fixed_dictionaries({"step": st.integers(-1, 3)})
                | st.just({"source": "input"})
            )
            limit = draw(st.none() | st.integers(0, 3))
            before = draw(st.none() | st.integers(0, 5))
            with_ns = draw(st.booleans())
            ops.append((kind, thread, ns if with_ns else None, filt, limit, before))
    return ops


class Harness:
    """Drives one saver, keeping ids and versions identical across savers."""

    def __init__(self, saver: Any) -> None:
        self.saver = saver
        self.ids: dict[tuple[str, str], list[str]] = {}
        self.versions: dict[tuple[str, str], dict[str, int]] = {}
        self.counter = 0

    def config(self, thread: str, ns: str | None, cid: str | None = None) -> Any:
        configurable: dict[str, Any] = {"thread_id": thread}
        if ns is not None:
            configurable["checkpoint_ns"] = ns
        if cid is not None:
            configurable["checkpoint_id"] = cid
        return {"configurable": configurable}

    def pick(self, thread: str, ns: str, index: int) -> str | None:
        known = self.ids.get((thread, ns), [])
        return known[index % len(known)] if known and index >= 0 else None

    def run(self, op: tuple[Any, ...]) -> Any:
        return getattr(self, "op_" + op[0])(*op[1:])

    def op_put(
        self,
        thread: str,
        ns: str,
        chans: list[str],
        vals: dict[str, Any],
        meta: dict[str, Any],
        fork: bool,
        backwards: bool = False,
    ) -> Any:
        self.counter += 1
        # backwards: an id older than the ones stored before (out of order)
        cid = f"{1000 - self.counter if backwards else 1000 + self.counter:08d}"
        versions = self.versions.setdefault((thread, ns), {})
        for c in chans:
            versions[c] = versions.get(c, 0) + 1
        known: list[str | None] = [*self.ids.get((thread, ns), [])] or [None]
        parent = known[0] if fork else known[-1]  # fork: child of the first one
        checkpoint = {
            "v": 4, "id": cid, "ts": "2024-01-01T00:00:00+00:00",
            "channel_values": dict(vals), "channel_versions": dict(versions),
            "versions_seen": {"node": dict(versions)}, "updated_channels": chans,
        }  # fmt: skip
        config = self.config(thread, ns, parent)
        config["metadata"] = {"origin": "test"}
        stored = self.saver.put(
            config, checkpoint, meta, {c: versions[c] for c in chans}
        )
        self.ids.setdefault((thread, ns), []).append(cid)
        return stored

    def op_writes(
        self, thread: str, ns: str, writes: list[Any], task: str, path: str, index: int
    ) -> Any:
        cid = self.pick(thread, ns, index)
        if cid is None:
            return None
        return self.saver.put_writes(self.config(thread, ns, cid), writes, task, path)

    def op_get(self, thread: str, ns: str, index: int) -> Any:
        return self.saver.get_tuple(
            self.config(thread, ns, self.pick(thread, ns, index))
        )

    def op_list(
        self, thread: str, ns: str | None, filt: Any, limit: Any, before: Any
    ) -> Any:
        before_cfg = None
        if before is not None and (cid := self.pick(thread, ns or "", before)):
            before_cfg = self.config(thread, ns, cid)
        return list(
            self.saver.list(
                self.config(thread, ns), filter=filt, before=before_cfg, limit=limit
            )
        )

    def op_list_all(
        self, thread: str, ns: str | None, filt: Any, limit: Any, before: Any
    ) -> Any:
        return list(self.saver.list(None, filter=filt, limit=limit))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations())
def test_random_call_sequences_match_langgraph(ops: list[tuple[Any, ...]]) -> None:
    ours, theirs = Harness(InMemorySaver()), Harness(LangGraphSaver())
    for op in ops:
        assert ours.run(op) == theirs.run(op), op
    for thread in THREADS:  # final state, every checkpoint of every namespace
        assert ours.op_list(thread, None, None, None, None) == theirs.op_list(
            thread, None, None, None, None
        )


def test_scripted_run_matches_langgraph() -> None:
    script = [
        (
            "put",
            "t1",
            "",
            ["a", "b"],
            {"a": 1, "b": [1]},
            {"source": "input", "step": -1},
            False,
        ),
        ("writes", "t1", "", [("a", 2), (ERROR, "boom")], "task-1", "~a", 0),
        ("writes", "t1", "", [("a", 3), (ERROR, "again")], "task-1", "~a", 0),
        (
            "put",
            "t1",
            "",
            ["a"],
            {"a": 2, "b": [1]},
            {"source": "loop", "step": 0},
            False,
        ),
        (
            "put",
            "t1",
            "child:1",
            ["c"],
            {"c": "x"},
            {"source": "loop", "step": 0},
            False,
        ),
        ("put", "t1", "", ["b"], {"a": 2}, {"source": "loop", "step": 1}, True),
        ("get", "t1", "", -1),
        ("get", "t2", "", -1),
        ("list", "t1", None, None, 2, None),
        ("list", "t1", "", {"source": "loop"}, None, 2),
        ("list_all", "t1", None, {"step": 0}, None, None),
    ]
    ours, theirs = Harness(InMemorySaver()), Harness(LangGraphSaver())
    results = [(ours.run(op), theirs.run(op)) for op in script]
    for (mine, reference), op in zip(results, script, strict=True):
        assert mine == reference, op
    latest = results[6][0]
    assert latest.pending_writes == []
    first = ours.op_get("t1", "", 0)
    assert first.pending_writes == [("task-1", ERROR, "again"), ("task-1", "a", 2)]
    assert first.metadata == {"source": "input", "step": -1, "origin": "test"}


@pytest.mark.asyncio
async def test_async_methods_match_sync() -> None:
    saver = InMemorySaver()
    harness = Harness(saver)
    harness.op_put("t1", "", ["a"], {"a": 1}, {"step": 0}, False)
    config = harness.config("t1", "")
    assert await saver.aget_tuple(config) == saver.get_tuple(config)
    assert [t async for t in saver.alist(config)] == list(saver.list(config))
    assert await saver.aget(config) == saver.get(config)
