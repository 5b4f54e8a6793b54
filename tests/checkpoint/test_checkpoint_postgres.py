"""PostgresSaver/AsyncPostgresSaver: conformance, storage details, safety, setup.

Every test gets its own schema (dropped afterwards). Without a server the tests
skip, except with ``CI=true``, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import ormsgpack
import psycopg
import pytest
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from stategraph._constants import ERROR, INTERRUPT
from stategraph.checkpoint.base import uuid6
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres._base import MIGRATIONS, RECORD_VERSION_SQL
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.checkpoint.serde.jsonplus import (
    EXT_CONSTRUCTOR_POS_ARGS,
    DeserializationError,
    UnserializableValueError,
)
from stategraph.testing import validate_checkpointer


@pytest.fixture
def dsn(schemas: Callable[[], str]) -> str:
    return schemas()


@contextmanager
def open_sync(dsn: str, variant: str = "connection", **kw: Any) -> Iterator[Any]:
    if variant == "pool":
        pool_kwargs = {"autocommit": True, "prepare_threshold": 0}
        with ConnectionPool(
            dsn, min_size=2, max_size=4, kwargs=pool_kwargs, open=False
        ) as pool:
            yield PostgresSaver(pool, **kw)
        return
    with psycopg.connect(dsn, autocommit=variant != "no_autocommit") as conn:
        if variant == "pipeline":
            with conn.pipeline() as pipe:
                yield PostgresSaver(conn, pipe, **kw)
        else:
            yield PostgresSaver(conn, **kw)


@asynccontextmanager
async def open_async(
    dsn: str, variant: str = "connection", **kw: Any
) -> AsyncIterator[Any]:
    if variant == "pool":
        async with AsyncConnectionPool(
            dsn, min_size=2, max_size=4, kwargs={"autocommit": True}, open=False
        ) as pool:
            yield AsyncPostgresSaver(pool, **kw)
        return
    autocommit = variant != "no_autocommit"
    async with await psycopg.AsyncConnection.connect(
        dsn, autocommit=autocommit
    ) as conn:
        if variant == "pipeline":
            async with conn.pipeline() as pipe:
                yield AsyncPostgresSaver(conn, pipe, **kw)
        else:
            yield AsyncPostgresSaver(conn, **kw)


def checkpoint(values: dict[str, Any], versions: dict[str, Any]) -> Any:
    return {
        "v": 4,
        "id": str(uuid6(clock_seq=-1)),
        "ts": datetime.now(timezone.utc).isoformat(),
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": {},
        "updated_channels": None,
    }


def config(thread: str, ns: str = "", checkpoint_id: str | None = None) -> Any:
    conf: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def count(dsn: str, table: str, thread: str | None = None) -> int:
    query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    if thread is not None:
        query += sql.SQL(" WHERE thread_id = %s")
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query, (thread,) if thread is not None else None).fetchone()
    assert row is not None
    return int(row[0])


# -- conformance -------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("variant", ["connection", "no_autocommit", "pipeline", "pool"])
async def test_sync_saver_conforms(dsn: str, variant: str) -> None:
    with open_sync(dsn, variant) as saver:
        saver.setup()
        report = await validate_checkpointer(lambda: saver, modes=("sync", "async"))
    report.raise_for_failures()
    assert len(report.results) > 40
    assert all(status == "passed" for _, _, status, _ in report.results)


@pytest.mark.asyncio
@pytest.mark.parametrize("variant", ["connection", "no_autocommit", "pipeline", "pool"])
async def test_async_saver_conforms(dsn: str, variant: str) -> None:
    async with open_async(dsn, variant) as saver:
        await saver.setup()
        report = await validate_checkpointer(lambda: saver, modes=("async",))
    report.raise_for_failures()
    assert all(status == "passed" for _, _, status, _ in report.results)


@pytest.mark.asyncio
async def test_from_conn_string_in_pipeline_mode(dsn: str) -> None:
    with PostgresSaver.from_conn_string(dsn, pipeline=True) as saver:
        assert saver.pipe is not None
        saver.setup()  # one-off statements are not prepared (psycopg pipeline quirk)
        report = await validate_checkpointer(lambda: saver, modes=("sync",))
    report.raise_for_failures()
    async with AsyncPostgresSaver.from_conn_string(dsn, pipeline=True) as asaver:
        await asaver.setup()
        report = await validate_checkpointer(lambda: asaver, modes=("async",))
    report.raise_for_failures()


# -- storage -----------------------------------------------------------------------


def test_unchanged_channels_are_not_written_again(dsn: str) -> None:
    with open_sync(dsn) as saver:
        saver.setup()
        v1, v2 = saver.get_next_version(None, None), None
        v2 = saver.get_next_version(v1, None)
        first = saver.put(
            config("t"),
            checkpoint({"big": [1, 2], "n": 1}, {"big": v1, "n": v1}),
            {"step": 0},
            {"big": v1, "n": v1},
        )
        for step in range(1, 4):
            saver.put(
                config("t", "", first["configurable"]["checkpoint_id"]),
                checkpoint({"big": [1, 2], "n": step}, {"big": v1, "n": v2}),
                {"step": step},
                {"n": v2},
            )
        assert count(dsn, "checkpoint_blobs", "t") == 1  # scalars stay inline
        latest = saver.get_tuple(config("t"))
        assert latest is not None
        assert latest.checkpoint["channel_values"] == {"big": [1, 2], "n": 3}
        assert saver.storage_size("t") > 0
        assert saver.storage_size("unknown") == 0


def test_values_needing_blobs_round_trip_exactly(dsn: str) -> None:
    values = {
        "long": "x" * 1000,
        "nul": "a\x00b",
        "neg_zero": -0.0,
        "big_float": 1e300,
        "huge_int": 2**64 - 1,
        "surrogate": "\ud800",
        "bytes": b"\x00\xff",
        "tuple": (1, "a"),
        "scalar": 7,
    }
    memory = InMemorySaver()
    with open_sync(dsn) as saver:
        saver.setup()
        versions = dict.fromkeys(values, "1")
        stored = saver.put(config("t"), checkpoint(values, versions), {}, versions)
        got = saver.get_tuple(stored)
        memory.put(config("t"), checkpoint(values, versions), {}, versions)
    assert got is not None
    loaded = got.checkpoint["channel_values"]
    assert loaded == memory.get_tuple(config("t")).checkpoint["channel_values"]  # type: ignore[union-attr]
    assert loaded["tuple"] == [1, "a"]
    assert loaded["surrogate"] == "?"
    assert type(loaded["big_float"]) is float
    assert type(loaded["huge_int"]) is int
    assert str(loaded["neg_zero"]) == "-0.0"


def test_ints_beyond_64_bits_are_refused_and_write_nothing(dsn: str) -> None:
    # As LangGraph's serializer: msgpack has no integer wider than 64 bits.
    with open_sync(dsn) as saver:
        saver.setup()
        versions = {"n": "1"}
        with pytest.raises(TypeError, match="Integer exceeds 64-bit range"):
            saver.put(config("t"), checkpoint({"n": 2**70}, versions), {}, versions)
        assert count(dsn, "checkpoints") == 0


def test_unserializable_values_name_their_path_and_write_nothing(dsn: str) -> None:
    with open_sync(dsn) as saver:
        saver.setup()
        bad = {"items": [1, object()]}
        with pytest.raises(UnserializableValueError, match=r"state\['items'\]\[1\]"):
            saver.put(config("t"), checkpoint(bad, {"items": "1"}), {}, {"items": "1"})
        assert count(dsn, "checkpoints") == 0
        stored = saver.put(config("t"), checkpoint({}, {}), {}, {})
        with pytest.raises(UnserializableValueError, match=r"update\['ch'\]"):
            saver.put_writes(stored, [("ok", 1), ("ch", object())], "task")
        assert count(dsn, "checkpoint_writes") == 0


def test_special_writes_replace_and_regular_writes_stay(dsn: str) -> None:
    memory = InMemorySaver()
    with open_sync(dsn) as saver:
        saver.setup()
        for target in (saver, memory):
            stored = target.put(config("t"), checkpoint({}, {}), {}, {})
            target.put_writes(stored, [("a", 1), (ERROR, "e1"), (ERROR, "e2")], "t1")
            target.put_writes(stored, [("a", 2), (INTERRUPT, "i"), (ERROR, "e3")], "t1")
            target.put_writes(stored, [("b", 3)], "t0", "~path")
        got = saver.get_tuple(config("t"))
    assert got is not None
    assert got.pending_writes == [
        ("t1", INTERRUPT, "i"),  # special channels have negative indices
        ("t1", ERROR, "e3"),
        ("t1", "a", 1),
        ("t0", "b", 3),  # then by task path
    ]
    assert got.pending_writes == memory.get_tuple(config("t")).pending_writes  # type: ignore[union-attr]


def test_retention_keeps_last_checkpoints_with_their_blobs(dsn: str) -> None:
    with open_sync(dsn, keep_last=3) as saver:
        saver.setup()
        shared = saver.get_next_version(None, None)
        parent: str | None = None
        version = shared
        ids = []
        for step in range(8):
            version = saver.get_next_version(version, None)
            versions = {"shared": shared, "own": version}
            new = {"shared": shared, "own": version} if step == 0 else {"own": version}
            values = {"shared": ["kept"], "own": [step]}
            stored = saver.put(
                config("t", "", parent),
                checkpoint(values, versions),
                {"step": step},
                new,
            )
            parent = stored["configurable"]["checkpoint_id"]
            ids.append(parent)
            saver.put_writes(stored, [("w", step)], f"task-{step}")
        saver.put(config("t", "child:1"), checkpoint({}, {}), {}, {})
        listed = list(saver.list(config("t", "")))
        assert [t.config["configurable"]["checkpoint_id"] for t in listed] == ids[
            :-4:-1
        ]
        assert [t.checkpoint["channel_values"] for t in listed] == [
            {"shared": ["kept"], "own": [step]} for step in (7, 6, 5)
        ]
        assert [t.pending_writes for t in listed] == [
            [(f"task-{s}", "w", s)] for s in (7, 6, 5)
        ]
        assert listed[-1].parent_config is None
        assert listed[0].parent_config is not None
        assert count(dsn, "checkpoint_blobs", "t") == 4  # shared + 3 own versions
        assert count(dsn, "checkpoint_writes", "t") == 3
        assert saver.get_tuple(config("t", "child:1")) is not None


def test_prune_keep_latest_collects_blobs_and_clears_parent(dsn: str) -> None:
    with open_sync(dsn) as saver:
        saver.setup()
        parent = None
        version = None
        for step in range(4):
            version = saver.get_next_version(version, None)
            stored = saver.put(
                config("t", "", parent),
                checkpoint({"v": [step]}, {"v": version}),
                {"step": step},
                {"v": version},
            )
            parent = stored["configurable"]["checkpoint_id"]
        saver.put(config("other"), checkpoint({"v": [0]}, {"v": "1"}), {}, {"v": "1"})
        saver.prune(["t"])
        assert count(dsn, "checkpoints", "t") == 1
        assert count(dsn, "checkpoint_blobs", "t") == 1
        latest = saver.get_tuple(config("t"))
        assert latest is not None
        assert latest.parent_config is None
        assert latest.checkpoint["channel_values"] == {"v": [3]}
        assert count(dsn, "checkpoint_blobs", "other") == 1
        with pytest.raises(TypeError):
            saver.prune("t")
        with pytest.raises(ValueError, match="strategy"):
            saver.prune(["t"], strategy="oldest")
        saver.prune(["t", "other"], strategy="delete")
        assert count(dsn, "checkpoints") == 0
        assert count(dsn, "checkpoint_blobs") == 0


def test_shallow_savers_keep_one_checkpoint(dsn: str) -> None:
    from stategraph.checkpoint.postgres import ShallowPostgresSaver

    with psycopg.connect(dsn, autocommit=True) as conn:
        with pytest.warns(DeprecationWarning, match="durability='exit'"):
            saver = ShallowPostgresSaver(conn)
        saver.setup()
        first = saver.put(config("t"), checkpoint({"a": 1}, {"a": "1"}), {}, {})
        saver.put(config("t", "", first["configurable"]["checkpoint_id"]),
                  checkpoint({"a": 2}, {"a": "2"}), {}, {})  # fmt: skip
        assert [t.checkpoint["channel_values"] for t in saver.list(None)] == [{"a": 2}]


# -- safety ------------------------------------------------------------------------

EVIL = "x'); DROP TABLE checkpoints; -- %s %(x)s \\ \" ?"


def test_injection_looking_keys_and_values_are_plain_data(dsn: str) -> None:
    with open_sync(dsn) as saver:
        saver.setup()
        conf = config(EVIL, EVIL)
        conf["configurable"][EVIL] = EVIL  # scalars of the config go to metadata
        stored = saver.put(conf, checkpoint({EVIL: EVIL}, {EVIL: "1"}), {}, {EVIL: "1"})
        saver.put_writes(stored, [(EVIL, EVIL)], EVIL, EVIL)
        found = list(saver.list(None, filter={EVIL: EVIL}))
        assert len(found) == 1
        assert found[0].checkpoint["channel_values"] == {EVIL: EVIL}
        assert found[0].pending_writes == [(EVIL, EVIL, EVIL)]
        for attack in (
            {"a') OR 1=1 --": "x"},
            {EVIL: "x' OR '1'='1"},
            {"step": "1 OR 1=1"},
            {"%s": "%(x)s"},
        ):
            assert list(saver.list(None, filter=attack)) == []
        assert saver.get_tuple(config("x' OR '1'='1")) is None
        saver.delete_thread("x' OR '1'='1")
        saver.copy_thread(EVIL, f"{EVIL}-copy")
        assert count(dsn, "checkpoints") == 2


def test_crafted_blobs_are_refused_with_a_clear_error(dsn: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> Any:
            return (os.system, (f"touch {marker}",))

    gadget = ormsgpack.packb(
        ormsgpack.Ext(
            EXT_CONSTRUCTOR_POS_ARGS,
            ormsgpack.packb(["os", "system", [f"touch {marker}"]]),
        )
    )
    with open_sync(dsn) as saver:
        saver.setup()
        stored = saver.put(
            config("t"), checkpoint({"c": [1]}, {"c": "1"}), {}, {"c": "1"}
        )
        saver.put_writes(stored, [("w", [1])], "task")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "UPDATE checkpoint_blobs SET type = 'pickle', blob = %s",
                (pickle.dumps(Exploit()),),
            )
            with pytest.raises(DeserializationError, match=r"pickle.*") as info:
                saver.get_tuple(stored)
            assert "channel 'c'" in str(info.value)
            assert "'t'" in str(info.value)
            conn.execute("UPDATE checkpoint_blobs SET type = 'msgpack', blob = %s",
                         (gadget,))  # fmt: skip
            with pytest.raises(DeserializationError, match="channel 'c'"):
                list(saver.list(config("t")))
            conn.execute("UPDATE checkpoint_blobs SET blob = %s", (b"\xc1garbage",))
            with pytest.raises(DeserializationError, match="corrupt"):
                saver.get_tuple(config("t"))
            conn.execute("DELETE FROM checkpoint_blobs")
            conn.execute("UPDATE checkpoint_writes SET blob = %s", (gadget,))
            with pytest.raises(DeserializationError, match="write 'w' of task 'task'"):
                saver.get_tuple(stored)
    assert not marker.exists()


# -- setup -------------------------------------------------------------------------


def _versions(dsn: str) -> list[int]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT v FROM checkpoint_migrations ORDER BY v")
        return [row[0] for row in rows]


def test_setup_is_idempotent_and_resumes_partial_migrations(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in MIGRATIONS[:4]:  # a database set up by an old release
            conn.execute(statement)
        for version in range(4):
            conn.execute(RECORD_VERSION_SQL, (version,))
        saver = PostgresSaver(conn)
        saver.setup()
        saver.setup()
    assert _versions(dsn) == list(range(len(MIGRATIONS)))


def test_concurrent_setup_from_many_connections(dsn: str) -> None:
    barrier, errors = threading.Barrier(6), []

    def run() -> None:
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                barrier.wait()
                PostgresSaver(conn).setup()
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _versions(dsn) == list(range(len(MIGRATIONS)))


@pytest.mark.asyncio
async def test_async_setup_and_the_sync_bridge(dsn: str) -> None:
    async with open_async(dsn) as saver:
        await saver.setup()
        await saver.setup()
        with pytest.raises(asyncio.InvalidStateError, match="different thread"):
            saver.get_tuple(config("t"))
        stored = await asyncio.to_thread(
            saver.put, config("t"), checkpoint({"a": [1]}, {"a": "1"}), {}, {"a": "1"}
        )
        await asyncio.to_thread(saver.put_writes, stored, [("x", 1)], "task")
        got = await asyncio.to_thread(saver.get_tuple, stored)
        assert got is not None
        assert got.pending_writes == [("task", "x", 1)]
        listed = await asyncio.to_thread(lambda: list(saver.list(config("t"))))
        assert len(listed) == 1
        assert await asyncio.to_thread(saver.storage_size, "t") > 0
        await asyncio.to_thread(saver.copy_thread, "t", "u")
        await asyncio.to_thread(saver.prune, ["u"], strategy="delete")
        await asyncio.to_thread(saver.delete_thread, "t")
        assert await saver.aget_tuple(config("t")) is None
        assert await saver.astorage_size("t") == 0
    assert _versions(dsn) == list(range(len(MIGRATIONS)))


def test_constructor_checks_connection_types(dsn: str) -> None:
    with pytest.raises(TypeError, match="connection type"):
        PostgresSaver("postgresql://nope")  # type: ignore[arg-type]
    with psycopg.connect(dsn) as conn, pytest.raises(ValueError, match="keep_last"):
        PostgresSaver(conn, keep_last=0)
    with (
        ConnectionPool(dsn, min_size=1, max_size=1, open=False) as pool,
        psycopg.connect(dsn) as conn,
        conn.pipeline() as pipe,
        pytest.raises(ValueError, match="Pipeline"),
    ):
        PostgresSaver(pool, pipe)


@pytest.mark.parametrize("module", ["postgres", "postgres.aio", "postgres._base"])
def test_import_does_not_load_the_pool_package(module: str) -> None:
    code = (
        f"import stategraph.checkpoint.{module}, sys\n"
        "print(sorted(m for m in sys.modules if m.startswith('psycopg_pool')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("mode", ["EXTRA", "FULL", "NORMAL"])
def test_synchronous_modes_choose_which_commits_wait(dsn: str, mode: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        saver = PostgresSaver(conn, synchronous=mode)
        saver.setup()
        put, _, _ = saver._put_statements(config("t"), checkpoint({}, {}), {}, {})
        writes = saver._writes_statements(config("t", "", "c"), [("a", 1)], "t1", "")
        assert ("synchronous_commit" in put[0][0]) == (mode == "NORMAL")
        assert ("synchronous_commit" in writes[0][0]) == (mode != "EXTRA")
        stored = saver.put(config("t"), checkpoint({}, {}), {}, {})
        saver.put_writes(stored, [("a", 1)], "t1")
        got = saver.get_tuple(config("t"))
        assert got is not None
        assert got.pending_writes == [("t1", "a", 1)]
        # set_config(..., true) lasted for the statement's transaction only.
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_synchronous_mode_must_be_known(dsn: str) -> None:
    with (
        psycopg.connect(dsn, autocommit=True) as conn,
        pytest.raises(ValueError, match="synchronous must be 'EXTRA', 'FULL'"),
    ):
        PostgresSaver(conn, synchronous="fast")
