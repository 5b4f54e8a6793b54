"""SQLite savers: value sharing, retention, pruning, sizes, leases, two writers."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from stategraph.checkpoint.sqlite import SqliteSaver, ThreadLeasedError
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

DOC = {"text": "x" * 20_000}


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


def run_loop(saver: Any, thread: str, steps: int, ns: str = "") -> list[Any]:
    """``doc`` is written once; ``n`` changes every step, with a write per step."""
    stored, parent = [], None
    for step in range(steps):
        versions = {"doc": 1, "n": step + 1}
        new = {"doc": 1, "n": step + 1} if step == 0 else {"n": step + 1}
        config = cfg(thread, ns, parent)
        checkpoint = ckpt(f"{step:04d}", {"doc": DOC, "n": step}, versions)
        saved = saver.put(config, checkpoint, {"step": step}, new)
        saver.put_writes(saved, [("n", step + 1)], f"task-{step}")
        stored.append(saved)
        parent = saved["configurable"]["checkpoint_id"]
    return stored


def count(saver: Any, table: str, thread: str) -> int:
    sql = f"SELECT COUNT(*) FROM {table} WHERE thread_id = ?"  # table: a test constant
    return int(saver.conn.execute(sql, (thread,)).fetchone()[0])


@pytest.fixture
def saver() -> Any:
    with SqliteSaver.from_conn_string(":memory:") as opened:
        yield opened


def test_unchanged_values_are_stored_once(saver: Any) -> None:
    run_loop(saver, "t", 20)
    assert count(saver, "sg_blobs", "t") == 21  # doc once + 20 versions of n
    size = saver.storage_size("t")
    assert len(DOC["text"]) < size < 2 * len(DOC["text"])
    latest = saver.get_tuple(cfg("t"))
    assert latest.checkpoint["channel_values"] == {"doc": DOC, "n": 19}
    first = saver.get_tuple(cfg("t", "", "0000"))
    assert first.checkpoint["channel_values"] == {"doc": DOC, "n": 0}


def test_storage_size(saver: Any) -> None:
    assert saver.storage_size("nobody") == 0
    run_loop(saver, "t", 3)
    run_loop(saver, "other", 1)
    size = saver.storage_size("t")
    saver.copy_thread("t", "tt")
    rows = sum(
        count(saver, table, "t")
        for table in ("sg_checkpoints", "sg_blobs", "sg_writes")
    )
    assert saver.storage_size("tt") == size + rows  # one more byte of key per row
    saver.delete_thread("t")
    assert saver.storage_size("t") == 0
    assert saver.storage_size("other") > 0


@pytest.mark.parametrize("keep", [1, 3])
def test_retention_keeps_newest_and_collects_values(keep: int) -> None:
    with SqliteSaver.from_conn_string(":memory:", keep_last=keep) as saver:
        stored = run_loop(saver, "t", 8)
        run_loop(saver, "t", 2, ns="child:1")
        ids = [t.config["configurable"]["checkpoint_id"] for t in saver.list(cfg("t"))]
        assert ids == [f"{i:04d}" for i in range(7, 7 - keep, -1)]
        assert len(list(saver.list(cfg("t", "child:1")))) == min(keep, 2)
        # doc was written by the first (deleted) checkpoint but is still used
        latest = saver.get_tuple(cfg("t"))
        assert latest.checkpoint["channel_values"] == {"doc": DOC, "n": 7}
        assert latest.pending_writes == [("task-7", "n", 8)]
        assert saver.get_tuple(stored[0]) is None
        assert count(saver, "sg_writes", "t") == keep + min(keep, 2)
        assert count(saver, "sg_blobs", "t") == (keep + 1) + (min(keep, 2) + 1)


def test_retention_bounds_storage() -> None:
    with SqliteSaver.from_conn_string(":memory:", keep_last=2) as saver:
        run_loop(saver, "t", 5)
        small = saver.storage_size("t")
        run_loop(saver, "u", 50)
        assert abs(saver.storage_size("u") - small) < 100


@pytest.mark.asyncio
async def test_async_retention() -> None:
    async with AsyncSqliteSaver.from_conn_string(":memory:", keep_last=2) as saver:
        parent = None
        for step in range(5):
            versions = {"n": step + 1}
            stored = await saver.aput(
                cfg("t", "", parent),
                ckpt(f"{step}", {"n": step}, versions),
                {},
                versions,
            )
            parent = stored["configurable"]["checkpoint_id"]
        listed = [t.checkpoint["channel_values"] async for t in saver.alist(cfg("t"))]
        assert listed == [{"n": 4}, {"n": 3}]
        assert await saver.astorage_size("t") > 0


def test_prune_and_delete_collect_values(saver: Any) -> None:
    run_loop(saver, "t", 6)
    run_loop(saver, "t", 3, ns="child:1")
    before = saver.storage_size("t")
    saver.prune(["t"])
    assert count(saver, "sg_checkpoints", "t") == 2
    assert count(saver, "sg_blobs", "t") == 4  # doc and n, per namespace
    assert count(saver, "sg_writes", "t") == 2
    assert saver.storage_size("t") < before
    assert saver.get_tuple(cfg("t")).checkpoint["channel_values"] == {
        "doc": DOC,
        "n": 5,
    }
    saver.prune(["t"], strategy="delete")
    assert saver.storage_size("t") == 0
    with pytest.raises(ValueError, match="Unknown prune strategy"):
        saver.prune(["t"], strategy="oldest")


def test_delete_for_runs_collects_values(saver: Any) -> None:
    first = saver.put(
        cfg("t"), ckpt("1", {"big": DOC}, {"big": 1}), {"run_id": "r1"}, {"big": 1}
    )
    versions = {"big": 1, "n": 1}
    saver.put(
        cfg("t", "", "1"),
        ckpt("2", {"big": DOC, "n": 1}, versions),
        {"run_id": "r2"},
        {"n": 1},
    )
    saver.delete_for_runs(["r1"])
    assert saver.get_tuple(first) is None
    assert count(saver, "sg_blobs", "t") == 2  # big is still used by checkpoint 2
    saver.delete_for_runs(["r2"])
    assert count(saver, "sg_blobs", "t") == 0


# -- leases ---------------------------------------------------------------------


def test_lease_excludes_other_savers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "lease.db")
    clock = [1000.0]
    monkeypatch.setattr(
        "stategraph.checkpoint.sqlite._sync.time.time", lambda: clock[0]
    )
    with (
        SqliteSaver.from_conn_string(path) as a,
        SqliteSaver.from_conn_string(path) as b,
    ):
        with a.lease("t", ttl=30):
            a.put(cfg("t"), ckpt("1", {}, {}), {}, {})
            with pytest.raises(ThreadLeasedError, match="leased"):
                b.put(cfg("t"), ckpt("2", {}, {}), {}, {})
            with pytest.raises(ThreadLeasedError), b.lease("t"):
                pass
            b.put(cfg("other"), ckpt("3", {}, {}), {}, {})  # other threads are free
            clock[0] += 29
            a.put(cfg("t", "", "1"), ckpt("4", {}, {}), {}, {})  # renews the lease
            clock[0] += 29
            with pytest.raises(ThreadLeasedError):
                b.put(cfg("t"), ckpt("5", {}, {}), {}, {})
            clock[0] += 2  # expired: a crashed holder blocks others for ttl at most
            b.put(cfg("t"), ckpt("6", {}, {}), {}, {})
        b.put(cfg("t"), ckpt("7", {}, {}), {}, {})
        ids = [t.checkpoint["id"] for t in a.list(cfg("t"))]
        assert ids == ["7", "6", "4", "1"]


@pytest.mark.asyncio
async def test_async_lease() -> None:
    async with AsyncSqliteSaver.from_conn_string(":memory:") as saver:
        async with saver.lease("t"):
            await saver.aput(cfg("t"), ckpt("1", {}, {}), {}, {})
        await saver.aput(cfg("t"), ckpt("2", {}, {}), {}, {})
        assert len([t async for t in saver.alist(cfg("t"))]) == 2


# -- two processes, one thread -----------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from stategraph.checkpoint.sqlite import SqliteSaver
    path, me, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with SqliteSaver.from_conn_string(path) as saver:
        saver.setup()
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        parent, version = None, None
        for step in range(steps):
            version = saver.get_next_version(version, None)
            config = {"configurable": {"thread_id": "shared", "checkpoint_ns": ""}}
            if parent:
                config["configurable"]["checkpoint_id"] = parent
            checkpoint = {
                "v": 4, "id": f"{step:05d}-{me}", "ts": "", "versions_seen": {},
                "channel_values": {"who": me, "step": step},
                "channel_versions": {"who": version, "step": version},
            }
            stored = saver.put(config, checkpoint, {"writer": me, "step": step},
                               {"who": version, "step": version})
            saver.put_writes(stored, [("log", f"{me}-{step}")], f"task-{me}")
            parent = stored["configurable"]["checkpoint_id"]
    print("done", flush=True)
    """
)


def test_two_processes_write_one_thread(tmp_path: Path) -> None:
    path, steps, writers = str(tmp_path / "shared.db"), 150, ("a", "b")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, path, me, str(steps)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for me in writers
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == 0
            assert out.strip() == "done"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
    with SqliteSaver.from_conn_string(path) as saver:
        listed = list(saver.list(cfg("shared")))
        assert len(listed) == steps * len(writers)
        for item in listed:
            me, step = item.metadata["writer"], item.metadata["step"]
            assert item.checkpoint["channel_values"] == {"who": me, "step": step}
            assert item.pending_writes == [(f"task-{me}", "log", f"{me}-{step}")]
            parent = item.parent_config
            expected = None if step == 0 else f"{step - 1:05d}-{me}"
            assert (parent and parent["configurable"]["checkpoint_id"]) == expected
        assert saver.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_setup_retries_while_another_connection_locks_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Switching to WAL fails at once while another connection holds the file
    (SQLite skips its busy handler there); setup waits and tries again."""
    import asyncio
    import sqlite3

    import aiosqlite

    from stategraph.checkpoint.sqlite import _async, _sync

    path = str(tmp_path / "busy.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    waits: list[float] = []

    def release_on_first_wait(delay: float) -> None:
        waits.append(delay)
        if holder.in_transaction:
            holder.execute("COMMIT")

    async def arelease_on_first_wait(delay: float) -> None:
        release_on_first_wait(delay)

    async def arun() -> tuple[Any, Any]:
        async with aiosqlite.connect(path, timeout=0) as conn:
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            rows = await conn.execute_fetchall("PRAGMA journal_mode")
            return next(iter(rows)), await saver.aget_tuple(cfg("none"))

    try:
        if mode == "sync":
            monkeypatch.setattr(_sync.time, "sleep", release_on_first_wait)
            with SqliteSaver.from_conn_string(path) as saver:
                saver.conn.execute("PRAGMA busy_timeout = 0")
                saver.setup()
                journal = saver.conn.execute("PRAGMA journal_mode").fetchone()
                found = saver.get_tuple(cfg("none"))
        else:
            monkeypatch.setattr(_async.asyncio, "sleep", arelease_on_first_wait)
            journal, found = asyncio.run(arun())
        assert len(waits) == 1
        assert tuple(journal) == ("wal",)
        assert found is None
    finally:
        holder.close()
