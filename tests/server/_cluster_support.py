"""Whole ``stategraph serve`` supervisors as subprocesses, for cluster tests.

``Supervisors`` starts any number of them on one PostgreSQL schema (each on
a free port, printing its URL before its children serve) and stops every one
it started. ``poll`` waits for a condition other processes bring about, with
a deadline, instead of sleeping for a guessed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from langgraph_sdk import get_sync_client

ROOT = Path(__file__).parents[2]
DEADLINE = 60.0
T = TypeVar("T")

GRAPH = """
import operator
from typing import Annotated

from typing_extensions import TypedDict

from stategraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    log: Annotated[list, operator.add]


def step(state):
    return {"log": ["step"]}


graph = StateGraph(State).add_node("step", step)
graph = graph.add_edge(START, "step").add_edge("step", END).compile()
"""


def poll(check: Callable[[], T | None], what: str, deadline: float = DEADLINE) -> T:
    """``check()``'s first truthy result, polled until ``deadline`` seconds pass."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)  # polling state other processes change
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Supervisor:
    """One running ``stategraph serve`` and its URL."""

    proc: subprocess.Popen[str]
    url: str = ""

    def stop(self) -> None:
        """SIGTERM, then wait for it (its children stop with it)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


@dataclass
class Supervisors:
    """Supervisors serving ``config`` on the schema of ``uri``."""

    config: Path
    uri: str
    started: list[Supervisor] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)

    def start(
        self, *, apis: int = 1, workers: int = 0, extra: tuple[str, ...] = ()
    ) -> Supervisor:
        """Start one supervisor; return once its children are starting.

        ``extra`` are more ``stategraph serve`` arguments (``--redis-uri``...).
        """
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DATABASE_URI": self.uri}
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "stategraph.cli", "serve"),
                *("--config", str(self.config), "--port", "0"),
                *("--api-processes", str(apis), "--workers", str(workers)),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        made = Supervisor(proc)
        self.started.append(made)
        assert proc.stdout is not None
        for line in proc.stdout:
            if " at http://" in line:
                made.url = line.rsplit(" at ", 1)[1].strip()
            elif "ready" in line:
                return made
        raise AssertionError(f"stategraph serve did not start: {proc.wait()}")

    def client(self, url: str) -> Any:
        """A sync SDK client of ``url`` (retrying while the server starts)."""
        made = get_sync_client(url=url, api_key=None)
        self.clients.append(made)
        poll(lambda: _ok(made), f"{url} to answer")
        return made

    def close(self) -> None:
        """Close the clients and stop every supervisor."""
        for made in self.clients:
            made.http.client.close()
        for supervisor in self.started:
            supervisor.stop()


def _ok(client: Any) -> bool:
    try:
        return bool(client.http.get("/ok"))
    except httpx.HTTPError:  # not accepting connections yet
        return False
