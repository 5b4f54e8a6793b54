"""``stategraph dev --database-uri``: one process, everything kept in PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from stategraph.cli import _main

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "server" / "langgraph.json"


@contextmanager
def _dev(uri: str) -> Iterator[httpx.Client]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "stategraph.cli", "dev", "--no-reload"),
            *("--config", str(EXAMPLE), "--port", "0", "--database-uri", uri),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the socket listens
        assert line.startswith("stategraph dev: serving"), line
        url = line.rsplit(" at ", 1)[1].strip()
        with httpx.Client(base_url=url, timeout=60) as http:
            yield http
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode is not None


def test_dev_on_postgres_keeps_threads_runs_and_checkpoints_across_restarts(
    schemas: Callable[[], str],
) -> None:
    uri = schemas()
    with _dev(uri) as http:
        thread = http.post("/threads", json={"metadata": {"who": "ann"}}).json()
        tid = thread["thread_id"]
        paused = http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "approval", "input": {"amount": 7}},
        ).json()
        assert paused["__interrupt__"][0]["value"]["amount"] == 7
    with _dev(uri) as http:  # a new process: nothing was kept in memory
        found = http.post("/threads/search", json={"metadata": {"who": "ann"}})
        assert [t["thread_id"] for t in found.json()] == [tid]
        assert http.get(f"/threads/{tid}").json()["status"] == "interrupted"
        done = http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "approval", "command": {"resume": "yes"}},
        ).json()
        assert done["status"] == "paid 7"
        runs = http.get(f"/threads/{tid}/runs").json()
        assert [r["status"] for r in runs] == ["success", "success"]


def test_serve_reports_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URI", raising=False)
    assert _main.main(["serve", "--config", str(tmp_path / "nope.json")]) == 2
    assert "no config file" in capsys.readouterr().err
    assert _main.main(["serve", "--config", str(EXAMPLE)]) == 2
    assert "give --database-uri or set DATABASE_URI" in capsys.readouterr().err
    args = ["serve", "--config", str(EXAMPLE), "--workers", "-1"]
    assert _main.main([*args, "--database-uri", "postgresql://x@127.0.0.1/x"]) == 2
    assert "--workers at least 0" in capsys.readouterr().err
    # Nothing listens on port 1: the database cannot be set up.
    refused = "postgresql://postgres@127.0.0.1:1/test?connect_timeout=2"
    args = ["serve", "--config", str(EXAMPLE), "--database-uri", refused]
    assert _main.main(args) == 1
    assert "cannot use the database" in capsys.readouterr().err
