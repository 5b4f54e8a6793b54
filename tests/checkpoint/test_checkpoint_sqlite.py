"""SqliteSaver / AsyncSqliteSaver: conformance, LangGraph parity, schema, safety."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from langgraph.checkpoint.sqlite import SqliteSaver as LangGraphSqliteSaver

from stategraph._constants import ERROR, INTERRUPT, RESUME, SCHEDULED
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.checkpoint.sqlite._base import SCHEMA_VERSION
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from stategraph.testing import (
    ConformanceCase,
    checkpointer_cases,
    run_checkpointer_case,
)


def cfg(thread: str, ns: str = "", cid: str | None = None) -> Any:
    conf: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if cid is not None:
        conf["checkpoint_id"] = cid
    return {"configurable": conf}


def ckpt(cid: str, values: dict[str, Any], versions: dict[str, Any]) -> Any:
    return {
        "v": 4, "id": cid, "ts": "2024-01-01T00:00:00+00:00",
        "channel_values": values, "channel_versions": versions,
        "versions_seen": {"node": dict(versions)}, "updated_channels": None,
    }  # fmt: skip


# -- conformance suite -------------------------------------------------------------

STORES = ["file", "memory"]


def _path(tmp_path: Path, store: str) -> str:
    return str(tmp_path / f"{uuid.uuid4().hex}.db") if store == "file" else ":memory:"


@pytest.mark.asyncio
@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("case", checkpointer_cases(), ids=str)
async def test_sync_saver_conforms(
    case: ConformanceCase, store: str, tmp_path: Path
) -> None:
    def factory() -> Any:
        return SqliteSaver.from_conn_string(_path(tmp_path, store))

    assert await run_checkpointer_case(case, factory, "sync") == "passed"


@pytest.mark.asyncio
@pytest.mark.parametrize("hop", ["whole-plan", "per-statement"])
@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("case", checkpointer_cases(), ids=str)
async def test_async_saver_conforms(
    case: ConformanceCase, store: str, hop: str, tmp_path: Path
) -> None:
    # per-statement: the public-API path used when aiosqlite's worker hop is absent
    @asynccontextmanager
    async def factory() -> AsyncIterator[AsyncSqliteSaver]:
        async with AsyncSqliteSaver.from_conn_string(_path(tmp_path, store)) as saver:
            saver._whole_plans = hop == "whole-plan"
            yield saver

    assert await run_checkpointer_case(case, factory, "async") == "passed"


# -- differential: same visible results as LangGraph's SqliteSaver ------------------

THREADS, NAMESPACES, CHANNELS = ["t1", "t2"], ["", "child:1"], ["a", "b", "c"]
REGULAR, SPECIAL = ["a", "b"], [ERROR, INTERRUPT, RESUME, SCHEDULED]
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=5,
)


class Harness:
    """Feeds a saver what the engine would: full values, changed versions only."""

    def __init__(self, saver: Any) -> None:
        self.saver, self.counter = saver, 0
        self.ids: dict[tuple[str, str], list[str]] = {}
        self.state: dict[tuple[str, str], tuple[dict[str, Any], dict[str, int]]] = {}

    def pick(self, thread: str, ns: str, index: int) -> str | None:
        known = self.ids.get((thread, ns), [])
        return known[index % len(known)] if known and index >= 0 else None

    def put(self, thread: str, ns: str, changes: dict[str, Any], meta: Any) -> Any:
        self.counter += 1
        cid = f"{1000 + self.counter:08d}"
        vals, versions = self.state.setdefault((thread, ns), ({}, {}))
        for channel, value in changes.items():
            versions[channel] = versions.get(channel, 0) + 1
            if value == "<empty>":
                vals.pop(channel, None)
            else:
                vals[channel] = value
        config = cfg(thread, ns, (self.ids.get((thread, ns)) or [None])[-1])
        config["metadata"] = {"origin": "test"}
        new = {c: versions[c] for c in changes}
        checkpoint = ckpt(cid, dict(vals), dict(versions))
        self.ids.setdefault((thread, ns), []).append(cid)
        return self.saver.put(config, checkpoint, meta, new)

    def writes(self, thread: str, ns: str, batch: Any, task: str, path: str) -> Any:
        cid = self.pick(thread, ns, 0)
        if cid is not None:
            self.saver.put_writes(cfg(thread, ns, cid), batch, task, path)

    def get(self, thread: str, ns: str, index: int) -> Any:
        return self.saver.get_tuple(cfg(thread, ns, self.pick(thread, ns, index)))

    def list(self, thread: str | None, ns: str | None, filt: Any, limit: Any) -> Any:
        config = None if thread is None else cfg(thread, ns or "")
        if config is not None and ns is None:
            del config["configurable"]["checkpoint_ns"]
        return list(self.saver.list(config, filter=filt, limit=limit))


@st.composite
def operations(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 12))):
        thread, ns = draw(st.sampled_from(THREADS)), draw(st.sampled_from(NAMESPACES))
        kind = draw(st.sampled_from(["put", "put", "writes", "get", "list"]))
        if kind == "put":
            chans = draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=3))
            changes = {c: draw(values | st.just("<empty>")) for c in chans}
            meta = {"source": "loop", "step": draw(st.integers(-1, 2))}
            ops.append(("put", thread, ns, changes, meta))
        elif kind == "writes":
            # LangGraph's SqliteSaver replaces special writes only in batches of
            # special writes alone; mixed batches are covered separately.
            pool = draw(st.sampled_from([REGULAR, SPECIAL]))
            batch = draw(st.lists(st.tuples(st.sampled_from(pool), values), max_size=3))
            task, path = (
                draw(st.sampled_from(["t-1", "t-2"])),
                draw(st.sampled_from(["", "~a"])),
            )
            ops.append(("writes", thread, ns, batch, task, path))
        elif kind == "get":
            ops.append(("get", thread, ns, draw(st.integers(-1, 4))))
        else:
            filt = draw(st.none() | st.fixed_dictionaries({"step": st.integers(-1, 2)}))
            which = draw(st.sampled_from([None, thread]))
            ops.append(("list", which, draw(st.sampled_from([None, ns])), filt,
                        draw(st.none() | st.integers(0, 3))))  # fmt: skip
    return ops


def _run_both(ops: list[tuple[Any, ...]]) -> None:
    with (
        SqliteSaver.from_conn_string(":memory:") as mine,
        LangGraphSqliteSaver.from_conn_string(":memory:") as theirs,
    ):
        ours, ref = Harness(mine), Harness(theirs)
        for op in ops:
            assert getattr(ours, op[0])(*op[1:]) == getattr(ref, op[0])(*op[1:]), op
        assert ours.list(None, None, None, None) == ref.list(None, None, None, None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations())
def test_random_calls_match_langgraph_sqlite(ops: list[tuple[Any, ...]]) -> None:
    _run_both(ops)


def test_scripted_calls_match_langgraph_sqlite() -> None:
    _run_both([
        ("put", "t1", "", {"a": 1, "b": [1]}, {"source": "input", "step": -1}),
        ("writes", "t1", "", [("a", 2), ("b", 3)], "t-2", "~b"),
        ("writes", "t1", "", [(ERROR, "boom")], "t-1", "~a"),
        ("writes", "t1", "", [(ERROR, "again")], "t-1", "~a"),
        ("put", "t1", "", {"a": "<empty>"}, {"source": "loop", "step": 0}),
        ("put", "t1", "child:1", {"c": "x"}, {"source": "loop", "step": 0}),
        ("get", "t1", "", 0), ("get", "t1", "", -1), ("get", "t2", "", -1),
        ("list", "t1", None, {"step": 0}, None), ("list", None, None, None, 2),
    ])  # fmt: skip


def test_mixed_write_batches_follow_in_memory_saver() -> None:
    # Special writes replace even next to regular ones (InMemorySaver's rule).
    with SqliteSaver.from_conn_string(":memory:") as saver:
        memory = InMemorySaver()
        for target in (saver, memory):
            stored = target.put(cfg("t"), ckpt("1", {}, {}), {}, {})
            target.put_writes(stored, [("a", 1), (ERROR, "boom")], "task")
            target.put_writes(stored, [("a", 2), (ERROR, "again")], "task")
        assert saver.get_tuple(cfg("t")) == memory.get_tuple(cfg("t"))
        assert saver.get_tuple(cfg("t")).pending_writes == [  # type: ignore[union-attr]
            ("task", ERROR, "again"),
            ("task", "a", 1),
        ]


def test_listing_spans_batches_like_in_memory_saver() -> None:
    # More rows than one read batch, ids tied across threads (copy_thread),
    # filters and limits that cut through batch boundaries.
    memory = InMemorySaver()
    with SqliteSaver.from_conn_string(":memory:") as saver:
        for target in (saver, memory):
            parent = None
            for step in range(150):
                config = cfg("t", "", parent)
                checkpoint = ckpt(f"{step:05d}", {"n": step}, {"n": step + 1})
                meta = {"step": step, "odd": step % 2 == 1}
                stored = target.put(config, checkpoint, meta, {"n": step + 1})
                parent = stored["configurable"]["checkpoint_id"]
            target.copy_thread("t", "u")
        everything = list(saver.list(None))
        assert len(everything) == 300
        keys = [
            (t.checkpoint["id"], t.config["configurable"]["thread_id"])
            for t in everything
        ]
        assert keys == sorted(keys, reverse=True)
        for kwargs in (
            {},
            {"limit": 70},
            {"filter": {"odd": True}, "limit": 40},
            {"filter": {"odd": False}},
            {"before": cfg("t", "", "00100"), "limit": 65},
        ):
            mine = list(saver.list(cfg("t"), **kwargs))  # type: ignore[arg-type]
            assert mine == list(memory.list(cfg("t"), **kwargs)), kwargs  # type: ignore[arg-type]
        history = saver.get_delta_channel_history(config=cfg("t"), channels=["n"])
        assert history == memory.get_delta_channel_history(
            config=cfg("t"), channels=["n"]
        )


# -- schema and migrations ----------------------------------------------------------


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


def test_setup_is_idempotent_and_uses_wal(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    for _ in range(2):
        with SqliteSaver.from_conn_string(path) as saver:
            saver.setup()
            saver.setup()
            saver.put(cfg("t"), ckpt("1", {"a": 1}, {"a": 1}), {}, {"a": 1})
    conn = sqlite3.connect(path)
    versions = conn.execute("SELECT version FROM sg_migrations ORDER BY 1").fetchall()
    assert versions == [(v,) for v in range(1, SCHEMA_VERSION + 1)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("SELECT COUNT(*) FROM sg_checkpoints").fetchone() == (1,)
    conn.close()


def test_old_schema_is_migrated_in_place(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    with SqliteSaver.from_conn_string(path) as saver:
        saver.put(cfg("t"), ckpt("1", {"a": "kept"}, {"a": 1}), {}, {"a": 1})
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE sg_leases")  # back to schema version 1
    conn.execute("DELETE FROM sg_migrations WHERE version > 1")
    conn.commit()
    conn.close()
    with SqliteSaver.from_conn_string(path) as saver:
        assert saver.get_tuple(cfg("t")).checkpoint["channel_values"] == {"a": "kept"}  # type: ignore[union-attr]
        assert "sg_leases" in _tables(saver.conn)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    with SqliteSaver.from_conn_string(path) as saver:
        saver.setup()
        saver.conn.execute("INSERT INTO sg_migrations VALUES (999, 'future')")
        saver.conn.commit()
    with (
        SqliteSaver.from_conn_string(path) as saver,
        pytest.raises(RuntimeError, match="upgrade stategraph"),
    ):
        saver.setup()


def test_shares_a_file_with_langgraph_saver(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    with (
        LangGraphSqliteSaver.from_conn_string(path) as theirs,
        SqliteSaver.from_conn_string(path) as mine,
    ):
        theirs.put(cfg("t"), ckpt("1", {"a": "lg"}, {"a": "1"}), {}, {"a": "1"})
        mine.put(cfg("t"), ckpt("2", {"a": "sg"}, {"a": "1"}), {}, {"a": "1"})
        assert theirs.get_tuple(cfg("t")).checkpoint["channel_values"] == {"a": "lg"}  # type: ignore[union-attr]
        assert mine.get_tuple(cfg("t")).checkpoint["channel_values"] == {"a": "sg"}  # type: ignore[union-attr]
        assert {"checkpoints", "writes", "sg_checkpoints"} <= _tables(mine.conn)


def test_bad_options_are_rejected() -> None:
    conn = sqlite3.connect(":memory:")
    for bad in (0, -1, True, "2", 1.5):
        with pytest.raises(ValueError, match="keep_last"):
            SqliteSaver(conn, keep_last=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="synchronous"):
        SqliteSaver(conn, synchronous="OFF")
    conn.close()


def test_synchronous_pragma(tmp_path: Path) -> None:
    for wanted, level in (("NORMAL", 1), ("FULL", 2), (None, 2)):
        with SqliteSaver.from_conn_string(
            str(tmp_path / "s.db"), synchronous=wanted
        ) as saver:
            saver.setup()
            assert saver.conn.execute("PRAGMA synchronous").fetchone() == (level,)


@pytest.fixture
def saver() -> Any:
    with SqliteSaver.from_conn_string(":memory:") as opened:
        opened.put(cfg("t"), ckpt("1", {"a": 1}, {"a": 1}), {"step": 1}, {"a": 1})
        yield opened


# -- API shape ----------------------------------------------------------------------


def test_sync_saver_refuses_async_calls(saver: Any) -> None:
    async def calls() -> None:
        with pytest.raises(NotImplementedError, match="AsyncSqliteSaver"):
            await saver.aget_tuple(cfg("t"))
        with pytest.raises(NotImplementedError, match="AsyncSqliteSaver"):
            await saver.aput(cfg("t"), ckpt("2", {}, {}), {}, {})
        with pytest.raises(NotImplementedError, match="AsyncSqliteSaver"):
            [t async for t in saver.alist(cfg("t"))]

    asyncio.run(calls())


@asynccontextmanager
async def _async_saver() -> AsyncIterator[AsyncSqliteSaver]:
    async with AsyncSqliteSaver.from_conn_string(":memory:") as opened:
        yield opened


@pytest.mark.asyncio
async def test_async_saver_sync_methods_need_another_thread() -> None:
    async with _async_saver() as saver:
        stored = await asyncio.to_thread(
            saver.put, cfg("t"), ckpt("1", {"a": 1}, {"a": 1}), {}, {"a": 1}
        )
        await asyncio.to_thread(saver.put_writes, stored, [("a", 2)], "task")
        found = await asyncio.to_thread(saver.get_tuple, cfg("t"))
        assert found is not None
        assert found.pending_writes == [("task", "a", 2)]
        listed: Callable[[], list[Any]] = lambda: list(saver.list(cfg("t")))  # noqa: E731
        assert await asyncio.to_thread(listed) == [found]
        assert await asyncio.to_thread(saver.storage_size, "t") > 0
        with pytest.raises(asyncio.InvalidStateError, match="different thread"):
            saver.get_tuple(cfg("t"))
        with pytest.raises(asyncio.InvalidStateError, match="different thread"):
            saver.put(cfg("t"), ckpt("2", {}, {}), {}, {})


def test_importing_sync_saver_does_not_import_aiosqlite() -> None:
    code = (
        "import sys\nimport stategraph.checkpoint.sqlite as m\n"
        "m.SqliteSaver.from_conn_string\nprint('aiosqlite' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_versions_use_in_memory_saver_format(saver: Any) -> None:
    first = saver.get_next_version(None, None)
    assert first.startswith("0" * 31 + "1.")
    assert saver.get_next_version(first, None) > first
    assert saver.get_next_version(7, None).startswith("0" * 31 + "8.")
