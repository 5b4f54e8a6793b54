#!/usr/bin/env python3
"""Per-step cost of stategraph's PostgresSaver against LangGraph's, and bytes stored.

Both libraries run in this one process, each on its own fresh schema of the same
server:

- ``chain``: a graph of N sequential nodes (default 100), invoked on a new
  thread each repeat, with the Postgres saver (``durability="sync"`` and
  ``"async"``)
  and without any saver; the difference divided by N is the saver's cost
  per step (with ``"async"`` both save in the background, and the run
  waits for the saves before it returns);
- ``saver``: ``put`` + ``put_writes`` called directly (one changed channel);
- ``loop``: a 100-turn chat-like loop (a message appended per turn); the bytes
  its thread takes in the three tables (both libraries use the same tables).

Usage:

    python benchmarks/postgres_overhead.py [--dsn URL] [--steps 100] [--repeat 15]
"""

from __future__ import annotations

import argparse
import operator
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from typing_extensions import TypedDict

from stategraph.checkpoint.postgres._base import STORAGE_SIZE_SQL


class State(TypedDict, total=False):
    count: int
    messages: Annotated[list[dict[str, Any]], operator.add]


def libraries() -> dict[str, tuple[Any, Any, Any]]:
    from langgraph.checkpoint.postgres import PostgresSaver as LangGraphSaver
    from langgraph.graph import START as LG_START, StateGraph as LGStateGraph

    from stategraph.checkpoint.postgres import PostgresSaver
    from stategraph.graph import START, StateGraph

    return {
        "langgraph": (LGStateGraph, LG_START, LangGraphSaver),
        "stategraph": (StateGraph, START, PostgresSaver),
    }


def chain(graph_cls: Any, start: Any, n: int) -> Any:
    builder = graph_cls(State)
    for i in range(n):
        builder.add_node(f"n{i}", lambda s: {"count": s["count"] + 1})
        builder.add_edge(start if i == 0 else f"n{i - 1}", f"n{i}")
    return builder


def loop(graph_cls: Any, start: Any, turns: int) -> Any:
    def turn(state: State) -> State:
        i = state["count"]
        message = {"role": "ai" if i % 2 else "human", "content": f"turn {i} " * 8}
        return {"count": i + 1, "messages": [message]}

    builder = graph_cls(State)
    builder.add_node("turn", turn)
    builder.add_edge(start, "turn")
    builder.add_conditional_edges(
        "turn", lambda s: "turn" if s["count"] < turns else "__end__"
    )
    return builder


def timed(run: Callable[[], Any], repeat: int) -> float:
    run()  # warm up: plans, prepared statements, caches
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(lib: str, kit: Any, dsn: str, args: argparse.Namespace) -> dict[str, Any]:
    graph_cls, start, saver_cls = kit
    out: dict[str, Any] = {}
    with psycopg.connect(
        dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row
    ) as conn:
        saver = saver_cls(conn)
        saver.setup()
        limit = {"recursion_limit": args.steps * 3}
        bare = chain(graph_cls, start, args.steps).compile()
        saved = chain(graph_cls, start, args.steps).compile(checkpointer=saver)

        def run_saved(durability: str) -> None:
            thread = {"thread_id": uuid.uuid4().hex}
            config = {**limit, "configurable": thread}
            saved.invoke({"count": 0}, config, durability=durability)

        out["bare"] = timed(lambda: bare.invoke({"count": 0}, limit), args.repeat)
        out["saved"] = timed(lambda: run_saved("sync"), args.repeat)
        out["saved_async"] = timed(lambda: run_saved("async"), args.repeat)
        out["saver"] = saver_calls(saver, args.repeat * 50)
        out["commit"] = commit_latency(conn, args.repeat * 20)
        graph = loop(graph_cls, start, 100).compile(checkpointer=saver)
        config = {"recursion_limit": 1000, "configurable": {"thread_id": "loop"}}
        graph.invoke({"count": 0, "messages": []}, config, durability="sync")
        with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
            row = cur.execute(STORAGE_SIZE_SQL, {"thread_id": "loop"}).fetchone()
            out["loop_bytes"] = int(row[0]) if row else 0
            counts = [
                cur.execute(
                    sql.SQL("SELECT count(*) FROM {} WHERE thread_id = 'loop'").format(
                        sql.Identifier(table)
                    )
                ).fetchone()
                for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
            ]
            out["loop_rows"] = [c[0] if c else 0 for c in counts]
    return out


def commit_latency(conn: psycopg.Connection[Any], n: int) -> float:
    """Median time of a one-row insert committed with a WAL flush, in microseconds.

    The floor of a step with ``durability="sync"``: it waits for one such
    commit (stategraph) or two (LangGraph: its writes, then the checkpoint).
    """
    conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (n int)")
    samples = []
    for i in range(n):
        started = time.perf_counter()
        conn.execute("INSERT INTO bench_commit VALUES (%s)", (i,))
        samples.append(time.perf_counter() - started)
    conn.execute("DROP TABLE bench_commit")
    return statistics.median(samples) * 1e6


def saver_calls(saver: Any, n: int) -> float:
    """Mean time of one ``put`` + one ``put_writes``, in microseconds."""
    from stategraph.checkpoint.base import uuid6

    thread = uuid.uuid4().hex
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    version = saver.get_next_version(None, None)
    versions = {"messages": version, "count": version}
    started = time.perf_counter()
    for i in range(n):
        version = saver.get_next_version(version, None)
        versions = {**versions, "messages": version}
        checkpoint = {
            "v": 4,
            "id": str(uuid6(clock_seq=i)),
            "ts": "2025-01-01T00:00:00+00:00",
            "channel_values": {"messages": [{"content": "x" * 40}] * 3, "count": i},
            "channel_versions": versions,
            "versions_seen": {"turn": dict(versions)},
            "updated_channels": ["messages"],
        }
        meta = {"source": "loop", "step": i, "parents": {}}
        config = saver.put(config, checkpoint, meta, {"messages": version})
        saver.put_writes(config, [("messages", [{"content": "y"}])], f"task-{i}")
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    results, made = {}, []
    with psycopg.connect(args.dsn, autocommit=True) as admin:
        try:
            for lib, kit in libraries().items():
                name = f"bench_{lib}_{uuid.uuid4().hex[:8]}"
                admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
                made.append(name)
                dsn = make_conninfo(args.dsn, options=f"-c search_path={name}")
                results[lib] = measure(lib, kit, dsn, args)
        finally:
            for name in made:
                admin.execute(
                    sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name))
                )
    report(results, args.steps)


def report(results: dict[str, dict[str, Any]], steps: int) -> None:
    lg, sg = results["langgraph"], results["stategraph"]

    def per_step(key: str) -> tuple[float, float]:
        return lg[key] / steps * 1e6, sg[key] / steps * 1e6

    def cost(key: str) -> tuple[float, float]:
        return (
            (lg[key] - lg["bare"]) / steps * 1e6,
            (sg[key] - sg["bare"]) / steps * 1e6,
        )

    rows = [
        ("chain with saver, per step (us)", *per_step("saved")),
        ("chain without saver, per step (us)", *per_step("bare")),
        ("saver cost per step (us)", *cost("saved")),
        ("chain, durability=async (us/step)", *per_step("saved_async")),
        ("saver cost per step, async (us)", *cost("saved_async")),
        ("put + put_writes (us)", lg["saver"], sg["saver"]),
        ("100-turn loop, bytes", lg["loop_bytes"], sg["loop_bytes"]),
    ]
    print(f"{'measure':36} {'langgraph':>12} {'stategraph':>12} {'lg/sg':>7}")
    for label, a, b in rows:
        print(f"{label:36} {a:12.1f} {b:12.1f} {a / b:7.2f}")
    commits = (lg["commit"] + sg["commit"]) / 2
    print(f"durable commit (floor of a sync step), us: {commits:.1f}")
    rows_lg, rows_sg = lg["loop_rows"], sg["loop_rows"]
    print(f"100-turn loop rows (checkpoints, blobs, writes): {rows_lg} / {rows_sg}")


if __name__ == "__main__":
    main()
