"""Our Postgres saver against LangGraph's: same calls, same visible results.

Random call sequences run on both savers (each in its own schema) and every
result is compared; then both savers share one schema, writing in turns, and
every read is checked through both (the tables are the same).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest
from langgraph.checkpoint.postgres import PostgresSaver as LangGraphSaver
from psycopg.rows import dict_row

from stategraph._constants import ERROR, INTERRUPT, RESUME
from stategraph.checkpoint.base import uuid6
from stategraph.checkpoint.postgres import PostgresSaver
from stategraph.checkpoint.postgres._base import MIGRATIONS

CHANNELS = ["a", "b", "c", "d"]
PLACES = [("t1", ""), ("t1", "child:1"), ("t2", "")]


def connect(dsn: str) -> psycopg.Connection[Any]:
    # LangGraph's saver needs dict rows; ours accepts any row factory.
    return psycopg.connect(
        dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row
    )


def value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            rng.randint(-5, 10**6),
            round(rng.uniform(-1e3, 1e3), 3),
            "é" * rng.randint(0, 3),
            "long" * 100,
            [rng.randint(0, 9), "x", None],
            {"k": [1, {"n": rng.random()}]},
            b"\x00\x01",
        ]
    )


class Scenario:
    """Random saver calls; the model tracks each place's checkpoints and state."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.saved: dict[
            tuple[str, str], list[tuple[str, dict[str, Any], dict[str, Any]]]
        ]
        self.saved = {place: [] for place in PLACES}

    def next_op(self) -> tuple[Any, ...]:
        rng = self.rng
        place = rng.choice(PLACES)
        kind = rng.choice(["put", "put", "writes", "get", "list"])
        if kind == "put" or not self.saved[place]:
            return self._put(place)
        ids = [entry[0] for entry in self.saved[place]]
        if kind == "writes":
            special = rng.random() < 0.4
            pool = [ERROR, INTERRUPT, RESUME] if special else CHANNELS
            writes = [(ch, value(rng)) for ch in rng.sample(pool, rng.randint(1, 3))]
            target = _config(*place, rng.choice(ids))
            task = rng.choice(["task-1", "task-2", "task-3"])
            path = {"task-1": "~b", "task-2": "~a", "task-3": ""}[task]
            return ("writes", target, writes, task, path)
        if kind == "get":
            wanted = rng.choice([None, rng.choice(ids), str(uuid6())])
            return ("get", _config(*place, wanted))
        config = rng.choice([None, {"configurable": {"thread_id": place[0]}}])
        config = config if rng.random() < 0.5 else _config(*place)
        filt = rng.choice(
            [None, {"step": rng.randint(-1, 3)}, {"source": "loop"}, {"user": "u1"}]
        )
        before = rng.choice([None, _config(*place, rng.choice(ids))])
        return ("list", config, filt, before, rng.choice([None, 0, 1, 3]))

    def _put(self, place: tuple[str, str]) -> tuple[Any, ...]:
        rng, history = self.rng, self.saved[place]
        parent = rng.choice(history[-2:]) if history else None
        versions = dict(parent[1]) if parent else {}
        values = dict(parent[2]) if parent else {}
        new: dict[str, Any] = {}
        for channel in rng.sample(CHANNELS, rng.randint(1, 3)):
            old = versions.get(channel)
            number = int(str(old).split(".")[0]) if old else 0
            versions[channel] = new[channel] = f"{number + 1:032}.{rng.random():016}"
            if rng.random() < 0.15:
                values.pop(channel, None)  # the channel became empty
            else:
                values[channel] = value(rng)
        checkpoint = {
            "v": 4,
            "id": str(uuid6(clock_seq=len(history))),
            "ts": datetime.now(timezone.utc).isoformat(),
            "channel_values": values,
            "channel_versions": versions,
            "versions_seen": {"node": dict(new)},
            "updated_channels": sorted(new),
        }
        config = _config(*place, parent[0] if parent else None)
        if rng.random() < 0.5:
            config["configurable"]["user"] = "u1"  # copied into metadata
        metadata = {
            "source": rng.choice(["loop", "input", "update"]),
            "step": rng.randint(-1, 3),
            "parents": {},
            "run_id": rng.choice(["r1", "r2"]),
        }
        history.append((checkpoint["id"], versions, values))
        return ("put", config, checkpoint, metadata, new)


def _config(thread: str, ns: str, checkpoint_id: str | None = None) -> Any:
    conf: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
    if checkpoint_id:
        conf["checkpoint_id"] = checkpoint_id
    return {"configurable": conf}


def view(found: Any) -> Any:
    if found is None:
        return None
    return (
        found.config,
        found.checkpoint,
        found.metadata,
        found.parent_config,
        found.pending_writes,
    )


def apply(saver: Any, op: tuple[Any, ...]) -> Any:
    kind, *args = op
    if kind == "put":
        return saver.put(*args)
    if kind == "writes":
        return saver.put_writes(*args)
    if kind == "get":
        return view(saver.get_tuple(*args))
    config, filt, before, limit = args
    return [
        view(t) for t in saver.list(config, filter=filt, before=before, limit=limit)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_same_calls_same_results(schemas: Callable[[], str], seed: int) -> None:
    with connect(schemas()) as ours_conn, connect(schemas()) as theirs_conn:
        ours, theirs = PostgresSaver(ours_conn), LangGraphSaver(theirs_conn)
        ours.setup()
        theirs.setup()
        scenario = Scenario(seed)
        for step in range(60):
            op = scenario.next_op()
            assert apply(ours, op) == apply(theirs, op), f"step {step}: {op[0]}"
        everything = ("list", None, None, None, None)
        assert apply(ours, everything) == apply(theirs, everything)


@pytest.mark.parametrize("seed", range(3))
def test_both_libraries_share_one_database(
    schemas: Callable[[], str], seed: int
) -> None:
    dsn = schemas()
    with connect(dsn) as conn_a, connect(dsn) as conn_b:
        ours, theirs = PostgresSaver(conn_a), LangGraphSaver(conn_b)
        (ours if seed % 2 else theirs).setup()
        (theirs if seed % 2 else ours).setup()  # a no-op for either library
        scenario = Scenario(seed + 100)
        for step in range(60):
            op = scenario.next_op()
            if op[0] in ("put", "writes"):
                writer = ours if scenario.rng.random() < 0.5 else theirs
                apply(writer, op)
            else:
                assert apply(ours, op) == apply(theirs, op), f"step {step}"
        with conn_a.cursor() as cur:
            cur.execute("SELECT v FROM checkpoint_migrations ORDER BY v")
            assert [row["v"] for row in cur] == list(range(len(MIGRATIONS)))
