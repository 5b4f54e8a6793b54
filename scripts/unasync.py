"""Generate the sync twins of hand-written async modules.

Each job names an async source module, its generated sync module, the sync
module's docstring and the token rewrites that turn one into the other. The
rewrite works on whole words (``await x`` -> ``x``, ``AsyncSqliteStore`` ->
``SqliteStore``), then ``ruff format`` and ``ruff check --fix`` (import
order) tidy the result, which starts with a "generated, do not edit" banner.

Usage::

    python scripts/unasync.py           # rewrite the generated modules
    python scripts/unasync.py --check   # fail if one is stale or a rule is unused
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Rewrites every job uses: async syntax and the store base classes.
COMMON = {
    "async def": "def",
    "async with": "with",
    "await ": "",
    "asynccontextmanager": "contextmanager",
    "AsyncIterator": "Iterator",
    "asyncio.Lock": "threading.Lock",
    "asyncio.Task": "concurrent.futures.Future",
    "import asyncio": "import concurrent.futures\nimport threading",
    "TaskSweeper": "ThreadSweeper",
    "AsyncBatchedBaseStore": "SyncOnlyStore",
    "stategraph.store.base._batch": "stategraph.store.base._store",
    "aembed_query": "embed_query",
    "aembed_documents": "embed_documents",
    "abatch": "batch",
    "aget": "get",
    "asearch": "search",
    "open_async": "open_sync",
}


@dataclass(frozen=True)
class Job:
    """One async module and the sync module generated from it."""

    source: str
    target: str
    docstring: str
    rules: dict[str, str] = field(default_factory=dict)


JOBS = [
    Job(
        source="src/stategraph/store/sqlite/_async.py",
        target="src/stategraph/store/sqlite/_sync.py",
        docstring='"""``SqliteStore``: the store plan over a sqlite3 connection."""',
        rules={
            "import aiosqlite": "import sqlite3",
            "aiosqlite.Connection": "sqlite3.Connection",
            "AsyncSqliteStore": "SqliteStore",
        },
    ),
    Job(
        source="src/stategraph/store/postgres/_async.py",
        target="src/stategraph/store/postgres/_sync.py",
        docstring='"""``PostgresStore``: the store plan over a psycopg connection."""',
        rules={
            "AsyncPostgresStore": "PostgresStore",
            # LangGraph's PostgresStore has an async API: batch in a thread.
            "AsyncBatchedBaseStore": "ThreadedStore",
            "AsyncConnectionPool": "ConnectionPool",
            "AsyncConnection": "Connection",
            "AsyncPipeline": "Pipeline",
            "AsyncCursor": "Cursor",
            "AsyncExitStack": "ExitStack",
            "async_pool": "sync_pool",
            "enter_async_context": "enter_context",
        },
    ),
]

# The checkpoint savers' async method names and their sync counterparts.
SAVER_METHODS = {
    f"a{name}": name
    for name in (
        "get_tuple",
        "get_delta_channel_history",
        "list",
        "put",
        "put_writes",
        "put_step",
        "delete_thread",
        "delete_for_runs",
        "copy_thread",
        "prune",
        "storage_size",
        "run_lock",
        "hold",
    )
}

JOBS += [
    Job(
        source="src/stategraph/checkpoint/postgres/_async_io.py",
        target="src/stategraph/checkpoint/postgres/_sync_io.py",
        docstring='"""``PostgresIO``: how ``PostgresSaver`` talks to the server."""',
        rules={
            **{
                a: SAVER_METHODS[a]
                for a in (
                    "astorage_size",
                    "adelete_thread",
                    "adelete_for_runs",
                    "acopy_thread",
                    "aprune",
                    "arun_lock",
                    "ahold",
                )
            },
            "AsyncPostgresIO": "PostgresIO",
            "AsyncPostgresSaver": "PostgresSaver",
            "AsyncBridge": "BasePostgresSaver",
            "stategraph.checkpoint.postgres._bridge": (
                "stategraph.checkpoint.postgres._saver"
            ),
            "start_task": "start_thread",
            "join_task": "join_thread",
            "AsyncConnectionPool": "ConnectionPool",
            "AsyncConnection": "Connection",
            "AsyncPipeline": "Pipeline",
            "AsyncRawCursor": "RawCursor",
            "AbstractAsyncContextManager": "AbstractContextManager",
        },
    ),
    Job(
        source="src/stategraph/checkpoint/postgres/_async.py",
        target="src/stategraph/checkpoint/postgres/_sync.py",
        docstring='"""``PostgresSaver``: runs the statements of ``_base`` over a '
        'psycopg connection."""',
        rules={
            **{
                a: SAVER_METHODS[a]
                for a in (
                    "aget_tuple",
                    "aget_delta_channel_history",
                    "alist",
                    "aput",
                    "aput_writes",
                    "aput_step",
                )
            },
            "aflush_steps": "flush_steps",
            "AsyncPostgresSaver": "PostgresSaver",
            "AsyncPostgresIO": "PostgresIO",
            "stategraph.checkpoint.postgres._async_io": (
                "stategraph.checkpoint.postgres._sync_io"
            ),
            "AsyncConnectionPool": "ConnectionPool",
            "AsyncConnection": "Connection",
            "AsyncPipeline": "Pipeline",
        },
    ),
]

JOBS += [
    Job(
        source="src/stategraph/checkpoint/sqlite/_async.py",
        target="src/stategraph/checkpoint/sqlite/_sync.py",
        docstring='"""``SqliteSaver``: the synchronous SQLite checkpoint saver."""',
        rules={
            **{
                a: SAVER_METHODS[a]
                for a in (
                    "aget_tuple",
                    "aget_delta_channel_history",
                    "alist",
                    "aput",
                    "aput_writes",
                    "aput_step",
                )
            },
            "AsyncSqliteSaver": "SqliteSaver",
            "AsyncSqliteMaintenance": "SqliteMaintenance",
            "stategraph.checkpoint.sqlite._async_maintenance": (
                "stategraph.checkpoint.sqlite._sync_maintenance"
            ),
            "AsyncBridge": "SyncSaver",
            "import aiosqlite": "import sqlite3",
            "aiosqlite.Connection": "sqlite3.Connection",
            "_aio": "_io",
        },
    ),
    Job(
        source="src/stategraph/checkpoint/sqlite/_async_maintenance.py",
        target="src/stategraph/checkpoint/sqlite/_sync_maintenance.py",
        docstring='"""Setup and maintenance half of ``SqliteSaver``: tables, deletes, '
        'leases, locks."""',
        rules={
            **{
                a: SAVER_METHODS[a]
                for a in (
                    "adelete_thread",
                    "adelete_for_runs",
                    "acopy_thread",
                    "aprune",
                    "astorage_size",
                    "arun_lock",
                    "ahold",
                )
            },
            "AsyncSqliteMaintenance": "SqliteMaintenance",
            "AsyncSqliteSaver": "SqliteSaver",
            "import aiosqlite": "import sqlite3",
            "aiosqlite.Connection": "sqlite3.Connection",
            "asyncio.sleep": "time.sleep",
            "_aio": "_io",
        },
    ),
]

_DOCSTRING = re.compile(r'\A"""(?:.|\n)*?"""', re.MULTILINE)


def _pattern(token: str) -> re.Pattern[str]:
    start = r"\b" if token[0].isalnum() or token[0] == "_" else ""
    end = r"\b" if token[-1].isalnum() or token[-1] == "_" else ""
    return re.compile(start + re.escape(token) + end)


def rewrite(job: Job) -> tuple[str, set[str]]:
    """Return the generated text of ``job`` and the rules it used."""
    text = (ROOT / job.source).read_text()
    rules = {**COMMON, **job.rules}  # a job rule overrides a common one
    used = set()
    for token, replacement in rules.items():
        text, count = _pattern(token).subn(replacement, text)
        if count:
            used.add(token)
    text = _DOCSTRING.sub(lambda _: job.docstring, text, count=1)
    name = Path(job.source).name
    banner = f"# Generated by scripts/unasync.py from {name}: do not edit.\n"
    return banner + _tidy(text, job.target), used


def _tidy(text: str, target: str) -> str:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    name = str(ROOT / target)
    fixed = subprocess.run(
        [
            ruff,
            "check",
            "--fix-only",
            "--select",
            "I,F401,UP028",  # UP028: ``async for ...: yield`` -> ``yield from``
            "--unsafe-fixes",
            "--stdin-filename",
            name,
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return subprocess.run(
        [ruff, "format", "--stdin-filename", name, "-"],
        input=fixed,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def main(argv: list[str] | None = None) -> int:
    """Generate (or with ``--check`` verify) every job; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args(argv)
    failed = False
    used_common: set[str] = set()
    for job in JOBS:
        text, used = rewrite(job)
        used_common |= used
        unused = set(job.rules) - used
        if unused:
            print(f"{job.source}: unused rules {sorted(unused)}", file=sys.stderr)
            failed = True
        target = ROOT / job.target
        if args.check:
            if not target.exists() or target.read_text() != text:
                print(f"{job.target} is stale: run scripts/unasync.py", file=sys.stderr)
                failed = True
        else:
            target.write_text(text)
    if set(COMMON) - used_common:
        print(
            f"unused common rules {sorted(set(COMMON) - used_common)}", file=sys.stderr
        )
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
