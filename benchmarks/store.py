#!/usr/bin/env python3
"""Compare the long-term memory stores of langgraph and stategraph.

Runs the same workloads on both libraries' stores in one process, each
backend and operation measured back to back, and prints one table: backend,
operation, µs per operation for each library and the ratio langgraph /
stategraph (above 1: stategraph is faster).

Workloads (``--items N`` items spread over 20 namespaces):

- ``put``: store N new items (sync ``put``, one item per call);
- ``get``: read N items back by key;
- ``search``: ``search(("users", "uX"))`` (default limit 10), namespaces in turn;
- ``search_filter``: the same with ``filter={"kind": "a", "n": {"$gt": 10}}``.

Each round runs every operation on both stores, langgraph's first; the
best round of each counts.

Backends: ``memory``, ``sqlite`` (a file in a temporary directory, as
``from_conn_string`` opens it) and, with ``--postgres DSN``, ``postgres``
(each library in its own fresh schema).

Usage:

    python benchmarks/store.py
    python benchmarks/store.py --items 5000 --postgres postgresql://postgres@127.0.0.1/test
    python benchmarks/store.py --json out.json
    python benchmarks/store.py --backend sqlite --clock cpu
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

OPS = ("put", "get", "search", "search_filter")


def items(n: int) -> list[tuple[tuple[str, ...], str, dict[str, Any]]]:
    """The benchmark's items: namespaces ("users", "u0".."u19")."""
    return [
        (
            ("users", f"u{i % 20}"),
            f"k{i}",
            {"kind": "ab"[i % 2], "n": i % 50, "t": "x" * 40},
        )
        for i in range(n)
    ]


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def timed(fn: Callable[[], Any], count: int) -> float:
    """Run ``fn`` once; return µs per operation for ``count`` operations."""
    start = clock()
    fn()
    return (clock() - start) / count * 1e6


def operations(
    store: Any, data: list[Any], searches: int, rnd: int
) -> dict[str, Callable[[], Any]]:
    """One round of each operation (``put`` stores fresh keys each round)."""
    flt = {"kind": "a", "n": {"$gt": 10}}

    def put() -> None:
        for ns, key, value in data:
            store.put(ns, f"{key}-r{rnd}", value)

    def get() -> None:
        for ns, key, _ in data:
            store.get(ns, key)

    def search(with_filter: bool) -> Callable[[], None]:
        def run() -> None:
            for i in range(searches):
                store.search(
                    ("users", f"u{i % 20}"), filter=flt if with_filter else None
                )

        return run

    return {
        "put": put,
        "get": get,
        "search": search(False),
        "search_filter": search(True),
    }


@contextmanager
def open_store(lib: str, backend: str, tmp: Path, dsn: str | None) -> Iterator[Any]:
    """Yield a fresh store of ``lib`` for ``backend``."""
    pkg = "langgraph" if lib == "langgraph" else "stategraph"
    if backend == "memory":
        module = __import__(f"{pkg}.store.memory", fromlist=["InMemoryStore"])
        yield module.InMemoryStore()
        return
    if backend == "sqlite":
        module = __import__(f"{pkg}.store.sqlite", fromlist=["SqliteStore"])
        path = tmp / f"{lib}-{uuid.uuid4().hex}.db"
        with module.SqliteStore.from_conn_string(str(path)) as store:
            store.setup()
            yield store
        return
    import psycopg
    from psycopg.conninfo import make_conninfo

    assert dsn is not None
    schema = f"bench_{uuid.uuid4().hex}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        module = __import__(f"{pkg}.store.postgres", fromlist=["PostgresStore"])
        conninfo = make_conninfo(dsn, options=f"-c search_path={schema}")
        with module.PostgresStore.from_conn_string(conninfo) as store:
            store.setup()
            yield store
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def run(opts: argparse.Namespace) -> list[dict[str, Any]]:
    """Measure every backend: rounds alternate the libraries, best round counts.

    Both stores of a backend are open at once and filled with the same
    items; then each round times every operation on langgraph's store and
    then on stategraph's, so load changes on the machine hit both alike.
    """
    backends = opts.backends or ["memory", "sqlite"]
    if opts.postgres and "postgres" not in backends:
        backends.append("postgres")
    data = items(opts.items)
    counts = {"put": len(data), "get": len(data)}
    rows = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for backend in backends:
            stores = {
                lib: stack.enter_context(open_store(lib, backend, tmp, opts.postgres))
                for lib in ("langgraph", "stategraph")
            }
            for store in stores.values():
                for ns, key, value in data:
                    store.put(ns, key, value)
            best: dict[tuple[str, str], float] = {}
            for rnd in range(opts.repeat):
                for lib, store in stores.items():
                    for op, fn in operations(store, data, opts.searches, rnd).items():
                        us = timed(fn, counts.get(op, opts.searches))
                        best[lib, op] = min(us, best.get((lib, op), float("inf")))
            for op in OPS:
                lg, sg = best["langgraph", op], best["stategraph", op]
                rows.append(
                    {
                        "backend": backend,
                        "op": op,
                        "langgraph_us": lg,
                        "stategraph_us": sg,
                        "ratio": lg / sg,
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the table (and write JSON when asked)."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--items", type=int, default=2000, help="items (default %(default)s)"
    )
    ap.add_argument("--searches", type=int, default=400, help="searches per workload")
    ap.add_argument("--repeat", type=int, default=5, help="rounds; the best counts")
    ap.add_argument("--postgres", default=None, help="DSN: also measure PostgreSQL")
    ap.add_argument(
        "--backend",
        dest="backends",
        action="append",
        choices=("memory", "sqlite", "postgres"),
        help="measure only this backend (repeatable; default memory and sqlite)",
    )
    ap.add_argument("--json", default=None, help="also write the rows here")
    ap.add_argument(
        "--clock",
        choices=tuple(CLOCKS),
        default="wall",
        help="wall time, or this process's CPU time (steadier on a busy machine;"
        " PostgreSQL's server time is then not counted)",
    )
    opts = ap.parse_args(argv)
    global clock
    clock = CLOCKS[opts.clock]
    rows = run(opts)
    head = ("backend", "op", "langgraph µs", "stategraph µs", "ratio")
    print(f"{head[0]:<9} {head[1]:<14} {head[2]:>13} {head[3]:>14} {head[4]:>7}")
    for r in rows:
        print(
            f"{r['backend']:<9} {r['op']:<14} {r['langgraph_us']:>13.1f}"
            f" {r['stategraph_us']:>14.1f} {r['ratio']:>6.1f}x"
        )
    if opts.json:
        Path(opts.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
