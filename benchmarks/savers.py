#!/usr/bin/env python3
"""Durable savers against LangGraph's: Postgres cost per step, bytes per message loop.

Rows (each library, and each stategraph ``synchronous`` mode, on its own fresh
schema of the same server, in one process):

- ``postgres chain``: a graph of ``--steps`` sequential nodes invoked on a new
  thread each repeat with the Postgres saver (``durability="sync"``), minus
  the same graph without a saver, per step (median of ``--repeat``);
- ``loop bytes``: a 100-turn chat loop on plain ``add_messages`` (one human
  message in, one AI message out per turn, text that does not compress), the
  bytes its thread takes: on SQLite the length of every stored column, on
  Postgres ``pg_column_size`` of its rows (after compression).

Usage:

    python benchmarks/savers.py [--dsn URL] [--steps 100] [--repeat 7] [--turns 100]

Run with ``PYTHONPATH=src`` so ``stategraph`` is the checkout's.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import random
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from typing_extensions import TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parent))

import postgres_overhead
from delta_storage import stored_bytes

from stategraph.checkpoint.postgres._base import STORAGE_SIZE_SQL

LIBS = ("langgraph", "stategraph")


@contextmanager
def schema(dsn: str) -> Iterator[str]:
    """A fresh schema for one run; yields its conninfo, drops it after."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        try:
            yield make_conninfo(dsn, options=f"-c search_path={name}")
        finally:
            admin.execute(
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name))
            )


def text(n: int) -> str:
    return base64.b64encode(random.Random(n).randbytes(150)).decode()


def chat(lib: str, saver: Any) -> Any:
    from langchain_core.messages import AIMessage

    graph = importlib.import_module(f"{lib}.graph")
    message = importlib.import_module(f"{lib}.graph.message")
    State = TypedDict("State", {"messages": Annotated[list, message.add_messages]})  # type: ignore[misc]  # noqa: UP013

    def reply(state: Any) -> dict[str, Any]:
        n = len(state["messages"])
        return {"messages": [AIMessage(f"answer {n}: {text(n)}")]}

    builder = graph.StateGraph(State)
    builder.add_node("reply", reply)
    builder.add_edge(graph.START, "reply")
    return builder.compile(checkpointer=saver)


def loop(graph: Any, turns: int) -> None:
    from langchain_core.messages import HumanMessage

    config = {"configurable": {"thread_id": "loop"}}
    for i in range(turns):
        graph.invoke({"messages": [HumanMessage(f"question {i}: {text(-i)}")]}, config)
    assert len(graph.get_state(config).values["messages"]) == 2 * turns


def sqlite_bytes(lib: str, turns: int) -> int:
    module = importlib.import_module(f"{lib}.checkpoint.sqlite")
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    loop(chat(lib, module.SqliteSaver(conn)), turns)
    return stored_bytes(conn)


def postgres_bytes(lib: str, dsn: str, turns: int) -> int:
    module = importlib.import_module(f"{lib}.checkpoint.postgres")
    with (
        schema(dsn) as conninfo,
        psycopg.connect(
            conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn,
    ):
        saver = module.PostgresSaver(conn)
        saver.setup()
        loop(chat(lib, saver), turns)
        with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
            row = cur.execute(STORAGE_SIZE_SQL, {"thread_id": "loop"}).fetchone()
        return int(row[0]) if row else 0


def chain_cost(lib: str, dsn: str, args: argparse.Namespace, **options: Any) -> float:
    """Saver cost per step (µs) of the sequential chain."""
    graph_cls, start, saver_cls = postgres_overhead.libraries()[lib]
    with (
        schema(dsn) as conninfo,
        psycopg.connect(
            conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row
        ) as conn,
    ):
        saver = saver_cls(conn, **options)
        saver.setup()
        limit = {"recursion_limit": args.steps * 3}
        bare = postgres_overhead.chain(graph_cls, start, args.steps).compile()
        saved = postgres_overhead.chain(graph_cls, start, args.steps).compile(
            checkpointer=saver
        )

        def run_saved() -> None:
            config = {**limit, "configurable": {"thread_id": uuid.uuid4().hex}}
            saved.invoke({"count": 0}, config, durability="sync")

        cost = postgres_overhead.timed(run_saved, args.repeat)
        cost -= postgres_overhead.timed(
            lambda: bare.invoke({"count": 0}, limit), args.repeat
        )
        return cost / args.steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--turns", type=int, default=100)
    args = parser.parse_args()
    lg = chain_cost("langgraph", args.dsn, args)
    rows = []
    for mode in ("NORMAL", "FULL", "EXTRA"):
        ours = chain_cost("stategraph", args.dsn, args, synchronous=mode)
        rows.append((f"postgres chain, saver µs/step ({mode})", lg, ours))
    for name, measure in (
        ("sqlite", lambda lib: sqlite_bytes(lib, args.turns)),
        ("postgres", lambda lib: postgres_bytes(lib, args.dsn, args.turns)),
    ):
        theirs, ours = (measure(lib) for lib in LIBS)
        rows.append((f"{args.turns}-turn add_messages, {name} bytes", theirs, ours))
    print(f"{'measure':48} {'langgraph':>12} {'stategraph':>12} {'lg/sg':>7}")
    for label, theirs, ours in rows:
        print(f"{label:48} {theirs:12.0f} {ours:12.0f} {theirs / ours:7.2f}")


if __name__ == "__main__":
    main()
