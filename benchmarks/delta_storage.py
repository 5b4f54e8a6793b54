#!/usr/bin/env python3
"""Bytes stored by a message loop: ``add_messages`` against ``DeltaChannel``.

A thread of ``--turns`` turns (one user message in, one assistant message
out: two messages appended per turn) runs on the SQLite saver of langgraph
and of stategraph, once with ``Annotated[list, add_messages]`` and once with
``Annotated[list, DeltaChannel(_messages_delta_reducer)]``. For each run it
prints the bytes stored (the sum of the lengths of every column of every row
of every table in the database file, so both libraries' layouts count the
same way), the file size, and the time per turn (one ``invoke``: input
checkpoint, one node, one loop checkpoint; the fastest of ``--repeat`` runs).

Usage:

    python benchmarks/delta_storage.py --turns 100
    python benchmarks/delta_storage.py --json out.json

Run with ``PYTHONPATH=src`` so ``stategraph`` is the checkout's.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sqlite3
import sys
import tempfile
import time
from typing import Annotated, Any

from typing_extensions import TypedDict

TEXT = "lorem ipsum dolor sit amet " * 8


def build(lib: str, use_delta: bool, saver: Any) -> Any:
    """The one-node chat graph in ``lib``."""
    from langchain_core.messages import AIMessage

    graph = importlib.import_module(f"{lib}.graph")
    message = importlib.import_module(f"{lib}.graph.message")
    if use_delta:
        delta = importlib.import_module(f"{lib}.channels.delta")
        channel: Any = delta.DeltaChannel(message._messages_delta_reducer)
    else:
        channel = message.add_messages
    State = TypedDict("State", {"messages": Annotated[list, channel]})  # noqa: UP013

    def reply(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage(f"answer {len(state['messages'])}: {TEXT}")]}

    builder = graph.StateGraph(State)
    builder.add_node("reply", reply)
    builder.add_edge(graph.START, "reply")
    return builder.compile(checkpointer=saver)


def stored_bytes(conn: sqlite3.Connection) -> int:
    """Sum of ``length()`` of every column of every row of every table."""
    names = "SELECT name FROM sqlite_master WHERE type = 'table'"
    total = 0
    for (table,) in conn.execute(names).fetchall():
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        parts = " + ".join(f'COALESCE(length(CAST("{c}" AS BLOB)), 0)' for c in columns)
        row = conn.execute(f'SELECT SUM({parts}) FROM "{table}"').fetchone()
        total += int(row[0] or 0)
    return total


def run(lib: str, use_delta: bool, turns: int, in_memory: bool) -> dict[str, Any]:
    """Run the loop on a fresh database; return its measurements."""
    from langchain_core.messages import HumanMessage

    module = importlib.import_module(f"{lib}.checkpoint.sqlite")
    with tempfile.TemporaryDirectory() as tmp:
        path = ":memory:" if in_memory else os.path.join(tmp, "bench.db")
        conn = sqlite3.connect(path, check_same_thread=False)
        saver = module.SqliteSaver(conn)
        graph = build(lib, use_delta, saver)
        config = {"configurable": {"thread_id": "bench"}}
        started = time.perf_counter()
        for i in range(turns):
            graph.invoke({"messages": [HumanMessage(f"question {i}: {TEXT}")]}, config)
        elapsed = time.perf_counter() - started
        count = len(graph.get_state(config).values["messages"])
        stored = stored_bytes(conn)
        conn.close()
        if count != 2 * turns:
            raise AssertionError(f"{lib}: expected {2 * turns} messages, got {count}")
        return {
            "lib": lib,
            "channel": "DeltaChannel" if use_delta else "add_messages",
            "turns": turns,
            "stored_bytes": stored,
            "file_bytes": 0 if in_memory else os.path.getsize(path),
            "ms_per_turn": elapsed * 1000 / turns,
        }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--turns", type=int, default=100)
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--repeat", type=int, default=3, help="runs per case (min kept)")
    ap.add_argument(
        "--memory",
        action="store_true",
        help="use an in-memory database (times the engine, not the disk)",
    )
    opts = ap.parse_args(argv)
    for lib in ("langgraph", "stategraph"):  # warm up: imports, caches
        for use_delta in (False, True):
            run(lib, use_delta, 3, True)
    rows = []
    for lib in ("langgraph", "stategraph"):
        for use_delta in (False, True):
            # The machine is shared: keep the fastest of a few runs.
            runs = [
                run(lib, use_delta, opts.turns, opts.memory) for _ in range(opts.repeat)
            ]
            rows.append(min(runs, key=lambda r: r["ms_per_turn"]))
    print(f"{'library':<11} {'channel':<13} {'stored':>12} {'file':>12} {'ms/turn':>8}")
    for r in rows:
        print(
            f"{r['lib']:<11} {r['channel']:<13} {r['stored_bytes']:>12,} "
            f"{r['file_bytes']:>12,} {r['ms_per_turn']:>8.2f}"
        )
    by = {(r["lib"], r["channel"]): r for r in rows}
    for lib in ("langgraph", "stategraph"):
        full = by[lib, "add_messages"]["stored_bytes"]
        delta = by[lib, "DeltaChannel"]["stored_bytes"]
        print(f"{lib}: add_messages / DeltaChannel stored bytes = {full / delta:.1f}x")
    ours = by["stategraph", "DeltaChannel"]["ms_per_turn"]
    theirs = by["langgraph", "DeltaChannel"]["ms_per_turn"]
    print(f"DeltaChannel time per turn: langgraph / stategraph = {theirs / ours:.1f}x")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
