#!/usr/bin/env python3
r"""Run LangGraph's own test suite (``libs/langgraph/tests``) against stategraph.

Extracts the tests from a LangGraph git repository (a checkout or a bare git
dir, ``git archive HEAD``) into a temporary directory and points their imports
of every module stategraph mirrors (``langgraph.graph``, ``.types``,
``.pregel``, ``.checkpoint.*``, ``.store.*``, ``.cache.*``, ``._internal`` ...)
at ``stategraph``, including dotted-path strings such as ``mocker.patch``
targets; prose strings (``pytest.warns(match=...)``, docstrings) and the
snapshots stay as they are. LangGraph's fixtures are pointed at local services:
PostgreSQL at ``--postgres`` (trust auth; every database a run creates is named
``lgsuite_<run id>...`` and dropped at the end) and Redis at ``--redis`` (cache
keys under a per-run prefix, deleted at the end). pytest then runs there with
``--python``; arguments after ``--`` go to pytest. Nothing is copied into this
repository.

By default only the in-memory checkpointer, store and cache parametrisations
run (the ``LANGGRAPH_TEST_FAST`` idea of LangGraph's prebuilt suite; this
suite's conftest has no such switch, so the others are deselected); ``--full``
runs every parametrisation (stategraph's SQLite, PostgreSQL and Redis backends
included). Each test gets ``--timeout`` seconds (pytest-timeout), as a few
tests hang on stock LangGraph too. The two ``test_remote_graph`` tests that
talk to a LangGraph dev server on port 2024 fail without one.

LangGraph's test dependencies must not go into the project's venv; make a
scratch one (``--make-venv`` does exactly this, into ``--python``'s venv)::

    python3 -m venv /tmp/lgsuite-venv
    /tmp/lgsuite-venv/bin/pip install -e '.[all]' pytest pytest-mock syrupy \
        pytest-repeat pytest-dotenv pytest-timeout anyio httpx redis \
        'psycopg[binary]' psycopg-pool pycryptodome uvloop langgraph-sdk \
        langchain-core==1.8.3 langgraph==1.2.24 langgraph-checkpoint==4.3.2 \
        langgraph-prebuilt==1.1.3 langgraph-checkpoint-sqlite==3.1.2 \
        langgraph-checkpoint-postgres==3.2.0

(LangGraph's test group also lists langgraph-cli, pyperf and py-spy, for the
dev server and benchmarks; no test imports them.)

Usage::

    python scripts/langgraph_suite.py [--repo DIR] [--python PY] [-- -x -k foo]
    python scripts/langgraph_suite.py --full -- tests/test_pregel.py
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import tokenize
import uuid
from pathlib import Path

from langgraph_prebuilt_suite import ROOT, extract

DEFAULT_REPO = "/work/.mirror/langchain-ai+langgraph/repo"
DEFAULT_PYTHON = "/tmp/lgsuite-venv/bin/python"
REQUIREMENTS = (
    "pytest",
    "pytest-mock",
    "pytest-repeat",
    "pytest-dotenv",
    "pytest-timeout",
    "syrupy",
    "anyio",
    "httpx",
    "redis",
    "psycopg[binary]",
    "psycopg-pool",
    "pycryptodome",
    "uvloop",
    "langgraph-sdk",
    "langchain-core==1.8.3",
    "langgraph==1.2.24",
    "langgraph-checkpoint==4.3.2",
    "langgraph-prebuilt==1.1.3",
    "langgraph-checkpoint-sqlite==3.1.2",
    "langgraph-checkpoint-postgres==3.2.0",
)
THEIR_POSTGRES = "postgres://postgres:postgres@localhost:5442/"
THEIR_DATABASE = 'f"test_{uuid4().hex[:16]}"'
THEIR_REDIS = 'host="localhost", port=6379'
THEIR_CACHE_PREFIX = "test:cache:{worker_id}:"
# Pytest ini of the extracted suite: LangGraph's own options, less --full-trace
# (pages of frames per failure) and --durations; unused snapshots only warn,
# as the fast mode leaves some snapshots unused.
PYTEST_INI = """[pytest]
addopts = --strict-markers --strict-config --snapshot-warn-unused
"""
# Loaded with -p in the fast mode: keeps LangGraph's in-memory backends only.
FAST_PLUGIN = """
IN_MEMORY = {
    "sync_checkpointer": "memory",
    "async_checkpointer": "memory",
    "sync_store": "in_memory",
    "async_store": "in_memory",
    "cache": "memory",
}


def pytest_collection_modifyitems(config, items):
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        fast = all(params.get(name, v) == v for name, v in IN_MEMORY.items())
        (keep if fast else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
"""
# Run by the target Python, which has psycopg and redis (this script needs only
# the standard library): "setup" checks both services and creates the run's own
# database, "cleanup" drops every database of the run and its cache keys.
SERVICES = """
import sys, psycopg, redis
action, pg, host, port, run = sys.argv[1:6]
client = redis.Redis(host=host, port=int(port))
with psycopg.connect(pg, autocommit=True) as conn:
    if action == "setup":
        client.ping()
        conn.execute(f'CREATE DATABASE "{run}"')
        sys.exit()
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (run,)
    ).fetchall()
    for (name,) in rows:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
keys = list(client.scan_iter(f"test:cache:{run}:*"))
if keys:
    client.delete(*keys)
print(f"cleanup: dropped {len(rows)} databases, {len(keys)} cache keys")
"""


def mirrored_modules() -> frozenset[str]:
    """Top-level names of stategraph's packages and modules (``graph``, ...)."""
    package = ROOT / "src" / "stategraph"
    names = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    names |= {p.parent.name for p in package.glob("*/__init__.py")}
    return frozenset(names)


def _dotted_string(token: str, mirrored: frozenset[str]) -> str | None:
    """``token`` with ``langgraph`` renamed if it is a quoted mirrored path."""
    quote = token[-1]
    body = token.strip(quote)
    parts = body.split(".")
    if (
        token[0] == quote
        and parts[0] == "langgraph"
        and len(parts) > 1
        and parts[1] in mirrored
        and all(part.isidentifier() for part in parts)
    ):
        return token.replace("langgraph", "stategraph", 1)
    return None


def rewrite_source(text: str, mirrored: frozenset[str]) -> str:
    """Rename ``langgraph`` to ``stategraph`` in mirrored imports and paths.

    Works on tokens, so only code (``from langgraph.graph import ...``,
    ``langgraph.types.interrupt``) and strings that are a dotted path and
    nothing else (``mocker.patch`` targets) change; messages that mention a
    module in prose stay LangGraph's.
    """
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []  # row, start, end, new text
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.NAME and tok.string == "langgraph":
            nxt = tokens[i + 1 : i + 3]
            prev = tokens[i - 1].string if i else ""
            if (
                prev != "."
                and len(nxt) == 2
                and nxt[0].string == "."
                and nxt[1].string in mirrored
            ):
                edits.append((tok.start[0], tok.start[1], tok.end[1], "stategraph"))
        elif tok.type == tokenize.STRING and tok.start[0] == tok.end[0]:
            new = _dotted_string(tok.string, mirrored)
            if new is not None:
                edits.append((tok.start[0], tok.start[1], tok.end[1], new))
    for row, start, end, new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return "".join(lines)


def point_services(text: str, postgres: str, redis: str, run: str) -> str:
    """Aim LangGraph's fixtures at the local services, under run-unique names."""
    host, _, port = redis.rpartition(":")
    return (
        text.replace(THEIR_POSTGRES, postgres)
        .replace(THEIR_DATABASE, f'f"{run}_{{uuid4().hex[:16]}}"')
        .replace(THEIR_REDIS, f'host="{host}", port={port}')
        .replace(THEIR_CACHE_PREFIX, f"test:cache:{run}:{{worker_id}}:")
    )


def prepare(tests: Path, args: argparse.Namespace, run: str) -> None:
    """Rewrite the extracted suite in place; fail if a fixture changed shape."""
    mirrored = mirrored_modules()
    for path in tests.rglob("*.py"):
        text = rewrite_source(path.read_text(), mirrored)
        path.write_text(point_services(text, args.postgres, args.redis, run))
    for name in ("conftest_checkpointer.py", "conftest_store.py", "conftest.py"):
        text = (tests / name).read_text()
        if THEIR_POSTGRES in text or THEIR_DATABASE in text or THEIR_REDIS in text:
            sys.exit(f"{name}: a service fixture was not rewritten")
    (tests.parent / "pytest.ini").write_text(PYTEST_INI)
    (tests.parent / "lgsuite_fast.py").write_text(FAST_PLUGIN)


def make_venv(python: str) -> None:
    """Create the scratch venv of ``python`` with stategraph and LangGraph's deps."""
    venv = Path(python).parent.parent
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [python, "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[all]", *REQUIREMENTS], check=True)


def pytest_command(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """The pytest invocation: one process, no cache, a timeout if available."""
    command = [args.python, "-m", "pytest", "-p", "no:cacheprovider", "-rfE"]
    if not args.full:
        command += ["-p", "lgsuite_fast"]
    has_timeout = subprocess.run(
        [args.python, "-c", "import pytest_timeout"], capture_output=True
    )
    if has_timeout.returncode == 0 and args.timeout > 0:
        command.append(f"--timeout={args.timeout}")
    if not any(arg.startswith("tests") for arg in extra):
        command.append("tests")
    return [*command, *extra]


def services(args: argparse.Namespace, action: str, run: str) -> int:
    """Set up or clean up the run's PostgreSQL databases and Redis keys."""
    host, _, port = args.redis.rpartition(":")
    command = [args.python, "-c", SERVICES, action, args.postgres, host, port, run]
    return subprocess.run(command, check=False).returncode


def run_suite(args: argparse.Namespace, extra: list[str]) -> int:
    """Extract, rewrite, run and clean up; return pytest's exit status."""
    run = f"lgsuite_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="lgsuite-") as tmp:
        tests = extract(os.path.abspath(args.repo), Path(tmp), "libs/langgraph/tests")
        prepare(tests, args, run)
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{tmp}"}
        env["NO_DOCKER"] = "false"  # the services are local, not in docker
        env["LANGGRAPH_BENCH_POSTGRES_URI"] = f"{args.postgres}{run}"
        if args.full and services(args, "setup", run) != 0:
            sys.exit("PostgreSQL or Redis is not reachable (--postgres, --redis)")
        try:
            command = pytest_command(args, extra)
            return subprocess.run(command, cwd=tmp, env=env).returncode
        finally:
            if args.full:
                services(args, "cleanup", run)


def main() -> int:
    """Parse the command line; make the venv or run the suite."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repo", default=DEFAULT_REPO, help="LangGraph checkout/git dir")
    ap.add_argument("--python", default=DEFAULT_PYTHON, help="interpreter for pytest")
    ap.add_argument("--full", action="store_true", help="every backend, not memory")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per test")
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/")
    ap.add_argument("--redis", default="127.0.0.1:6379", help="HOST:PORT")
    ap.add_argument("--make-venv", action="store_true", help="create --python's venv")
    args, extra = ap.parse_known_args()
    if not args.postgres.endswith("/"):
        ap.error("--postgres must end in / (database names are appended)")
    if args.make_venv:
        make_venv(args.python)
        return 0
    return run_suite(args, [a for a in extra if a != "--"])


if __name__ == "__main__":
    sys.exit(main())
