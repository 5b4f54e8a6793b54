#!/usr/bin/env python3
"""Compare the long-term memory stores of langgraph and stategraph.

Runs the same workloads on both libraries' stores in one process, each
backend and operation measured back to back, and prints one table: backend,
operation, µs per operation for each library and the ratio langgraph /
stategraph (above 1: stategraph is faster).

Workloads (``--items N`` items spread over 20 namespaces):

- ``put``: store N items (sync ``put``, one item per call);
- ``get``: read every item back by key;
- ``search``: ``search(("users", "uX"), limit=10)`` per namespace, repeated;
- ``search_filter``: the same with ``filter={"kind": "a", "n": {"$gt": 10}}``.

Backends: ``memory``, ``sqlite`` (a file in a temporary directory, as
``from_conn_string`` opens it) and, with ``--postgres DSN``, ``postgres``
(each library in its own fresh schema).

Usage:

    python benchmarks/store.py
    python benchmarks/store.py --items 5000 --postgres postgresql://postgres@127.0.0.1/test
    python benchmarks/store.py --json out.json
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


def timed(fn: Callable[[], Any], count: int) -> float:
    """Run ``fn`` once; return µs per operation for ``count`` operations."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / count * 1e6


def workload(store: Any, data: list[Any], searches: int) -> dict[str, float]:
    """Measure every operation on one (empty, set up) store."""
    out: dict[str, float] = {}

    def put() -> None:
        for ns, key, value in data:
            store.put(ns, key, value)

    def get() -> None:
        for ns, key, _ in data:
            store.get(ns, key)

    def search(flt: dict[str, Any] | None) -> Callable[[], None]:
        def run() -> None:
            for i in range(searches):
                store.search(("users", f"u{i % 20}"), filter=flt, limit=10)

        return run

    out["put"] = timed(put, len(data))
    out["get"] = timed(get, len(data))
    out["search"] = timed(search(None), searches)
    out["search_filter"] = timed(search({"kind": "a", "n": {"$gt": 10}}), searches)
    return out


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
    """Measure every backend with both libraries; best of ``--repeat`` runs."""
    backends = ["memory", "sqlite"] + (["postgres"] if opts.postgres else [])
    data = items(opts.items)
    rows = []
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for backend in backends:
            best: dict[str, dict[str, float]] = {}
            for _ in range(opts.repeat):
                for lib in ("langgraph", "stategraph"):
                    with open_store(lib, backend, tmp, opts.postgres) as store:
                        got = workload(store, data, opts.searches)
                    mine = best.setdefault(lib, {})
                    for op, us in got.items():
                        mine[op] = min(us, mine.get(op, float("inf")))
            for op in OPS:
                lg, sg = best["langgraph"][op], best["stategraph"][op]
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
    ap.add_argument("--repeat", type=int, default=3, help="runs; the best counts")
    ap.add_argument("--postgres", default=None, help="DSN: also measure PostgreSQL")
    ap.add_argument("--json", default=None, help="also write the rows here")
    opts = ap.parse_args(argv)
    rows = run(opts)
    print(
        f"{'backend':<9} {'op':<14} {'langgraph µs':>13} {'stategraph µs':>14} {'ratio':>7}"
    )
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
