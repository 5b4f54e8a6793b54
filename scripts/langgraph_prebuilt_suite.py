#!/usr/bin/env python3
"""Run LangGraph's own prebuilt test suite against stategraph.

Extracts ``libs/prebuilt/tests`` from a LangGraph git repository (a checkout or
a bare git dir) into a temporary directory, points its imports of the modules
stategraph mirrors at ``stategraph`` (stores and the v3 stream modules stay
LangGraph's; ``test_tool_call_transformer.py`` is left out, it needs the v3
stream protocol), and runs pytest there with the in-memory checkpointer
(LangGraph's ``LANGGRAPH_TEST_FAST`` mode). With ``--postgres URI`` it runs every
checkpointer parametrisation instead, on stategraph's SQLite and PostgreSQL
savers (stores stay LangGraph's). Nothing is copied into this repository.

Usage:

    python scripts/langgraph_prebuilt_suite.py --repo /path/to/langgraph [-- -x]
    python scripts/langgraph_prebuilt_suite.py --repo ... \
        --postgres postgresql://postgres@127.0.0.1:5432/
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRRORED = r"prebuilt|graph|types|runtime|config|warnings|errors|constants|managed"
_IMPORT_RE = re.compile(
    rf"\blanggraph\.({MIRRORED}|pregel\._checkpoint|checkpoint\.memory)\b"
)
_SAVER_RE = re.compile(r"from langgraph\.checkpoint\.(postgres|sqlite)")
_THEIR_POSTGRES = "postgres://postgres:postgres@localhost:5442/"
SKIPPED = ("test_tool_call_transformer.py",)
PYTEST_INI = """[pytest]
asyncio_mode = auto
filterwarnings =
    ignore::DeprecationWarning
"""


def extract(repo: str, dest: Path, subdir: str = "libs/prebuilt/tests") -> Path:
    """Write ``subdir`` of ``repo``'s HEAD under ``dest/tests``."""
    git_dir = ["--git-dir", repo] if not (Path(repo) / ".git").exists() else []
    archive = subprocess.run(
        ["git", *git_dir, "-C", repo, "archive", "HEAD", subdir],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    tests = dest / "tests"
    (dest / subdir).rename(tests)
    return tests


def rewrite(tests: Path, postgres: str | None) -> None:
    """Point the mirrored imports at stategraph; drop what needs v3 streams."""
    for name in SKIPPED:
        (tests / name).unlink(missing_ok=True)
    for nested in tests.glob("libs"):
        subprocess.run(["rm", "-rf", str(nested)], check=True)
    for path in tests.glob("*.py"):
        text = _IMPORT_RE.sub(r"stategraph.\1", path.read_text())
        if postgres is not None:
            text = _SAVER_RE.sub(r"from stategraph.checkpoint.\1", text)
            text = text.replace(_THEIR_POSTGRES, postgres)
        path.write_text(text)
    (tests.parent / "pytest.ini").write_text(PYTEST_INI)


def main() -> int:
    """Extract, rewrite and run the suite; return pytest's exit status."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repo", required=True, help="LangGraph git checkout or git dir")
    ap.add_argument("--postgres", help="server URI (ending in /): run all savers")
    args, extra = ap.parse_known_args()
    extra = [a for a in extra if a != "--"]
    with tempfile.TemporaryDirectory() as tmp:
        tests = extract(os.path.abspath(args.repo), Path(tmp))
        rewrite(tests, args.postgres)
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{tmp}"}
        env["LANGGRAPH_TEST_FAST"] = "false" if args.postgres else "true"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "-q",
            "-p",
            "no:cacheprovider",
        ]
        return subprocess.run([*command, *extra], cwd=tmp, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
