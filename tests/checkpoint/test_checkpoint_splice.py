"""List values stored as splices of their previous version (``_splice``).

Random append / replace / remove sequences are put on every durable saver and
read back through ``get_tuple``, ``list``, ``copy_thread``, retention and
``prune``: every value must equal the one that was put. The savers also have
to store far fewer bytes than full copies, survive a missing base and load
rows written in full before splices existed.
"""

from __future__ import annotations

import asyncio
import base64
import random
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stategraph.checkpoint._splice import SpliceCache, apply, diff, materialize
from stategraph.checkpoint.base import uuid6
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres.aio import AsyncPostgresSaver
from stategraph.checkpoint.serde.jsonplus import DeserializationError
from stategraph.checkpoint.sqlite import SqliteSaver
from stategraph.checkpoint.sqlite.aio import AsyncSqliteSaver

KINDS = ["sqlite", "sqlite-aio", "postgres", "postgres-aio"]
Op = tuple[str, int]
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 4)),
        st.tuples(st.sampled_from(["replace", "remove"]), st.integers(0, 10**6)),
        st.tuples(st.just("other"), st.just(0)),
    ),
    min_size=1,
    max_size=30,
)


@asynccontextmanager
async def open_saver(
    kind: str, dsn: str | None, every: int, keep_last: int | None = None
) -> AsyncIterator[Any]:
    if kind == "sqlite":
        with SqliteSaver.from_conn_string(":memory:", keep_last=keep_last) as saver:
            saver._splices = SpliceCache(every)
            yield saver
    elif kind == "sqlite-aio":
        async with AsyncSqliteSaver.from_conn_string(
            ":memory:", keep_last=keep_last
        ) as asaver:
            asaver._splices = SpliceCache(every)
            yield asaver
    elif kind == "postgres":
        assert dsn is not None
        with psycopg.connect(dsn, autocommit=True) as conn:
            psaver = PostgresSaver(conn, keep_last=keep_last)
            psaver._splices = SpliceCache(every)
            psaver.setup()
            yield psaver
    else:
        assert dsn is not None
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as ac:
            apsaver = AsyncPostgresSaver(ac, keep_last=keep_last)
            apsaver._splices = SpliceCache(every)
            await apsaver.setup()
            yield apsaver


async def call(saver: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call the async method of an asyncio saver, else the sync one."""
    if isinstance(saver, AsyncSqliteSaver | AsyncPostgresSaver):
        if name == "list":
            return [item async for item in saver.alist(*args, **kwargs)]
        return await getattr(saver, f"a{name}")(*args, **kwargs)
    if name == "list":
        return list(saver.list(*args, **kwargs))
    return getattr(saver, name)(*args, **kwargs)


def item(n: int) -> dict[str, Any]:
    # Text that does not compress, as Postgres would compress a repeated one.
    noise = base64.b64encode(random.Random(n).randbytes(72)).decode()
    return {"id": f"m{n}", "text": f"message {n}: {noise}"}


def apply_op(items: list[Any], op: Op, counter: list[int]) -> list[Any]:
    kind, arg = op
    if kind == "append":
        added = [item(counter[0] + i) for i in range(arg)]
        counter[0] += arg
        return [*items, *added]
    if kind == "other" or not items:
        return items
    at = arg % len(items)
    if kind == "replace":
        counter[0] += 1
        return [*items[:at], item(counter[0]), *items[at + 1 :]]
    return [*items[:at], *items[at + 1 :]]


async def put_sequence(
    saver: Any, thread: str, ops: list[Op]
) -> tuple[dict[str, list[Any]], Any]:
    """Put one checkpoint per op; return the expected list by checkpoint id."""
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    items: list[Any] = []
    counter = [0]
    expected: dict[str, list[Any]] = {}
    version: Any = None
    other: Any = saver.get_next_version(None, None)
    for step, op in enumerate(ops):
        items = apply_op(items, op, counter)
        new: dict[str, Any] = {}
        if op[0] == "other":
            other = saver.get_next_version(other, None)
            new["other"] = other
        else:
            version = saver.get_next_version(version, None)
            new["messages"] = version
        versions = {"other": other, **({"messages": version} if version else {})}
        values = {"other": step, **({"messages": list(items)} if version else {})}
        checkpoint = {
            "v": 4,
            "id": str(uuid6(clock_seq=step)),
            "ts": "2026-01-01T00:00:00+00:00",
            "channel_values": values,
            "channel_versions": versions,
            "versions_seen": {},
            "updated_channels": list(new),
        }
        run = "even" if step % 2 == 0 else "odd"
        metadata = {"source": "loop", "step": step, "parents": {}, "run_id": run}
        config = await call(saver, "put", config, checkpoint, metadata, new)
        expected[checkpoint["id"]] = list(items) if version else []
    return expected, config


def messages(found: Any) -> list[Any]:
    return list(found.checkpoint["channel_values"].get("messages", []))


async def check_round_trip(saver: Any, ops: list[Op]) -> None:
    thread = uuid.uuid4().hex
    expected, last = await put_sequence(saver, thread, ops)
    for checkpoint_id, value in expected.items():
        conf = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        conf["configurable"]["checkpoint_id"] = checkpoint_id
        assert messages(await call(saver, "get_tuple", conf)) == value
    listed = await call(saver, "list", {"configurable": {"thread_id": thread}})
    assert {t.config["configurable"]["checkpoint_id"]: messages(t) for t in listed} == (
        expected
    )
    latest = expected[last["configurable"]["checkpoint_id"]]
    copy = uuid.uuid4().hex
    await call(saver, "copy_thread", thread, copy)
    found = await call(saver, "get_tuple", {"configurable": {"thread_id": copy}})
    assert messages(found) == latest
    await call(saver, "prune", [thread])
    found = await call(saver, "get_tuple", {"configurable": {"thread_id": thread}})
    assert messages(found) == latest
    # The copy kept its whole history through the prune of the source.
    listed = await call(saver, "list", {"configurable": {"thread_id": copy}})
    assert [messages(t) for t in listed] == list(reversed(expected.values()))


@pytest.mark.parametrize("kind", KINDS)
def test_random_edits_round_trip(kind: str, schemas: Callable[[], str]) -> None:
    dsn = schemas() if kind.startswith("postgres") else None
    examples = 40 if kind.startswith("sqlite") else 15

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(ops=OPS, every=st.sampled_from([0, 2, 3, 16]))
    def run(ops: list[Op], every: int) -> None:
        async def scenario() -> None:
            async with open_saver(kind, dsn, every) as saver:
                await check_round_trip(saver, ops)

        asyncio.run(scenario())

    run()


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_retention_keeps_the_bases_it_needs(
    kind: str, schemas: Callable[[], str]
) -> None:
    dsn = schemas() if kind.startswith("postgres") else None
    async with open_saver(kind, dsn, 8, keep_last=2) as saver:
        thread = uuid.uuid4().hex
        ops: list[Op] = [("append", 3)] * 40
        expected, _ = await put_sequence(saver, thread, ops)
        listed = await call(saver, "list", {"configurable": {"thread_id": thread}})
        assert [messages(t) for t in listed] == list(expected.values())[-1:-3:-1]
        # Bounded: a full value, at most 7 splices and nothing older.
        assert await call(saver, "storage_size", thread) < 3 * len(
            str(list(expected.values())[-1])
        )


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_message_loop_stores_splices(
    kind: str, schemas: Callable[[], str]
) -> None:
    dsn = schemas() if kind.startswith("postgres") else None
    ops: list[Op] = [("append", 2)] * 60
    sizes = []
    for every in (0, 16):
        async with open_saver(kind, dsn, every) as saver:
            thread = uuid.uuid4().hex
            expected, last = await put_sequence(saver, thread, ops)
            sizes.append(await call(saver, "storage_size", thread))
            found = await call(saver, "get_tuple", last)
            assert messages(found) == list(expected.values())[-1]
    full, spliced = sizes
    assert spliced * 5 < full


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_full_rows_and_missing_bases(
    kind: str, schemas: Callable[[], str]
) -> None:
    """Rows written in full (as before splices) load; a lost base means a full row."""
    dsn = schemas() if kind.startswith("postgres") else None
    async with open_saver(kind, dsn, 0) as saver:
        thread = uuid.uuid4().hex
        expected, _ = await put_sequence(saver, thread, [("append", 5)] * 3)
        saver._splices = SpliceCache(16)
        await call(saver, "delete_thread", thread)
        expected, _ = await put_sequence(saver, thread, [("append", 5)] * 3)
        # The cache's bases were deleted with the thread: the first value of
        # the new history is full, the next ones splice onto it.
        await call(saver, "delete_thread", thread)
        more, _ = await put_sequence(saver, thread, [("append", 5)] * 4)
        listed = await call(saver, "list", {"configurable": {"thread_id": thread}})
        assert [messages(t) for t in listed] == list(reversed(more.values()))
        assert expected


def test_splice_payloads() -> None:
    base, new = b"\x92abcdef", b"\x93abcdefgh"
    payload = diff(base, new)
    assert apply(base, payload) == new
    assert len(payload) < len(new) + 12
    changed = diff(new, b"\x92abXdef")
    assert apply(new, changed) == b"\x92abXdef"
    with pytest.raises(ValueError, match="does not fit"):
        apply(b"\x90", payload)
    with pytest.raises(ValueError, match="missing"):
        materialize("sgd:7:msgpack", payload, lambda version: None)


def test_corrupt_splice_is_a_clear_error(tmp_path: Any) -> None:
    path = str(tmp_path / "ck.db")
    with SqliteSaver.from_conn_string(path) as saver:
        saver._splices = SpliceCache(16)
        thread = uuid.uuid4().hex
        asyncio.run(put_sequence(saver, thread, [("append", 5)] * 3))
    with sqlite3.connect(path) as conn:
        changed = conn.execute(
            "UPDATE sg_blobs SET blob = x'00' WHERE type LIKE 'sgd:%'"
        ).rowcount
    assert changed >= 1
    with (
        SqliteSaver.from_conn_string(path) as saver,
        pytest.raises(DeserializationError, match="channel 'messages'"),
    ):
        saver.get_tuple({"configurable": {"thread_id": thread}})


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", KINDS)
async def test_deleting_runs_keeps_the_bases_of_the_rest(
    kind: str, schemas: Callable[[], str]
) -> None:
    """Every other checkpoint goes: the splices of the others still load."""
    dsn = schemas() if kind.startswith("postgres") else None
    async with open_saver(kind, dsn, 16) as saver:
        thread = uuid.uuid4().hex
        ops: list[Op] = [("append", 2), ("replace", 3), ("append", 1)] * 8
        expected, _ = await put_sequence(saver, thread, ops)
        await call(saver, "delete_for_runs", ["even"])
        listed = await call(saver, "list", {"configurable": {"thread_id": thread}})
        kept = [value for i, value in enumerate(expected.values()) if i % 2]
        assert [messages(t) for t in listed] == list(reversed(kept))


def test_cache_forgets_the_least_recently_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stategraph.checkpoint import _splice

    monkeypatch.setattr(_splice, "_CACHE_BYTES", 3000)
    cache = SpliceCache(16)
    data = b"\x91" + b"x" * 999
    stored = [cache.encode(("t", "", name), "1", "msgpack", data) for name in "abcd"]
    cache.commit(stored)
    grown = b"\x92" + b"x" * 999 + b"y" * 10
    # The oldest value ("a") was evicted: the next one is stored full.
    assert cache.encode(("t", "", "a"), "2", "msgpack", grown).base is None
    assert cache.encode(("t", "", "d"), "2", "msgpack", grown).base == "1"
