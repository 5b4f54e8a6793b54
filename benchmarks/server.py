#!/usr/bin/env python3
"""Our server against ``langgraph dev``: runs per second and time to first event.

One run starts both servers as subprocesses on free ports, serving the same
trivial graph (one node) from one ``langgraph.json`` in a scratch directory:
ours with ``stategraph dev`` from this interpreter (the sources next to this
script win), LangGraph's with ``langgraph dev`` from a virtualenv that has
``langgraph-cli[inmem]`` (``make bench-server`` makes one under ``.bench/``).
The same async ``langgraph_sdk`` code drives both servers and the script
prints, for each and as a ratio (above 1: ours is better):

- runs/s of sequential stateless ``runs.wait`` calls;
- runs/s of N concurrent clients (one SDK client, so one connection, each):
  every client creates a background run on a thread of its own at the same
  time, then all join them; the best of ``--rounds`` rounds, the servers
  taking turns; and the median CPU time the server's processes spent per
  run (read from ``/proc``, so Linux only), which the client's own CPU use
  does not blur: on a small machine the Python client, not our server,
  limits our runs/s;
- time to the first event of ``runs.stream`` on a thread, and to its end
  (median and p90 milliseconds).

Both servers are stopped at the end, on an error and on Ctrl-C or SIGTERM.

Usage:

    python benchmarks/server.py --langgraph-venv /tmp/lgdev
    python benchmarks/server.py --only stategraph --concurrency 200 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from langgraph_sdk import get_client
from server_latency import median_p90, time_calls

ROOT = Path(__file__).resolve().parents[1]
GRAPH_ID = "trivial"
INPUT = {"n": 1}
DONE = {"n": 2}

# The library is chosen by the server that imports the file, so each serves
# a graph built by its own library.
GRAPH = textwrap.dedent(
    """
    import importlib
    import os

    from typing_extensions import TypedDict

    graph_module = importlib.import_module(os.environ["BENCH_LIBRARY"] + ".graph")


    class State(TypedDict, total=False):
        n: int


    def bump(state):
        return {"n": state.get("n", 0) + 1}


    builder = graph_module.StateGraph(State).add_node("bump", bump)
    builder.add_edge(graph_module.START, "bump").add_edge("bump", graph_module.END)
    graph = builder.compile()
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """A server subprocess in a process group of its own, logging to a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.cwd / f"{self.name.replace(' ', '-')}.log"

    def start(self, timeout: float = 120.0) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its children are stopped with it
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} exited:\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/ok", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)  # polling a process that is starting
        raise RuntimeError(f"{self.name} did not answer /ok in {timeout} s")

    def cpu_seconds(self) -> float:
        """CPU time the server's processes used so far."""
        assert self.proc is not None
        return group_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _servers(args: argparse.Namespace, scratch: Path) -> list[Server]:
    (scratch / "graph.py").write_text(GRAPH)
    config = {"dependencies": ["."], "graphs": {GRAPH_ID: "./graph.py:graph"}}
    (scratch / "langgraph.json").write_text(json.dumps(config))
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    pythonpath = os.environ.get("PYTHONPATH", "")
    base |= {"LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1"}
    made = []
    if args.only in ("both", "stategraph"):
        port = _free_port()
        argv = [sys.executable, "-m", "stategraph.cli", "dev", "--no-reload"]
        # Our sources first; the caller's PYTHONPATH after them (not for
        # LangGraph's server, whose virtualenv has all it needs).
        path = os.pathsep.join(filter(None, [str(ROOT / "src"), pythonpath]))
        env = base | {"BENCH_LIBRARY": "stategraph", "PYTHONPATH": path}
        made.append(
            Server("stategraph", [*argv, "--port", str(port)], env, scratch, port)
        )
    if args.only in ("both", "langgraph"):
        port = _free_port()
        cli = Path(args.langgraph_venv) / "bin" / "langgraph"
        if not cli.exists():
            raise SystemExit(f"no {cli}: make bench-server creates that virtualenv")
        argv = [str(cli), "dev", "--no-browser", "--no-reload", "--port", str(port)]
        argv += ["--n-jobs-per-worker", str(args.langgraph_jobs)]
        env = base | {"BENCH_LIBRARY": "langgraph"}
        made.append(Server("langgraph dev", argv, env, scratch, port))
    return made


async def _sequential(url: str, args: argparse.Namespace) -> dict[str, float]:
    client = get_client(url=url, api_key=None)

    async def wait() -> None:
        assert await client.runs.wait(None, GRAPH_ID, input=INPUT) == DONE

    try:
        samples = await time_calls(args.n, wait, warmup=3, budget=args.budget)
    finally:
        await client.http.client.aclose()
    return {"wait_runs_s": 1000 * len(samples) / sum(samples)}


def group_cpu_seconds(pgid: int) -> float:
    """CPU time used so far by the live processes of a process group (Linux)."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            # After the command name: state, ppid, pgrp, ..., utime, stime.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def _concurrent_round(server: Server, n: int) -> tuple[float, float]:
    """Runs per second, and server CPU milliseconds per run, of one round.

    Each round has new clients: a connection left idle while the other
    server had its turn may be closed by its server just as it is reused.
    """
    clients = [get_client(url=server.url, api_key=None) for _ in range(n)]
    try:
        threads = await asyncio.gather(*(c.threads.create() for c in clients))
        ids = [t["thread_id"] for t in threads]
        start, used = time.perf_counter(), server.cpu_seconds()
        runs = await asyncio.gather(
            *(
                c.runs.create(t, GRAPH_ID, input=INPUT)
                for c, t in zip(clients, ids, strict=True)
            )
        )
        done = await asyncio.gather(
            *(
                c.runs.join(t, r["run_id"])
                for c, t, r in zip(clients, ids, runs, strict=True)
            )
        )
        elapsed = time.perf_counter() - start
        used = server.cpu_seconds() - used
    finally:
        await asyncio.gather(*(c.http.client.aclose() for c in clients))
    assert done == [DONE] * n, done[:3]
    return n / elapsed, 1000 * used / n


async def _concurrent(
    servers: list[Server], n: int, args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """One level of concurrency, the servers' rounds alternating.

    Alternating spreads the load other programs put on the machine over
    both servers; the best round counts (others' load only slows a round).
    """
    rounds: dict[str, list[tuple[float, float]]] = {s.name: [] for s in servers}
    for _ in range(args.rounds):
        for server in servers:
            rounds[server.name].append(await _concurrent_round(server, n))
    return {
        name: {
            f"concurrent_{n}_runs_s": max(r for r, _ in done),
            f"concurrent_{n}_cpu_ms": statistics.median(c for _, c in done),
        }
        for name, done in rounds.items()
    }


async def _first_event(url: str, args: argparse.Namespace) -> dict[str, float]:
    client = get_client(url=url, api_key=None)
    firsts: list[float] = []

    async def stream() -> None:
        start = time.perf_counter()
        last = None
        async for part in client.runs.stream(tid, GRAPH_ID, input=INPUT):
            if last is None:
                firsts.append((time.perf_counter() - start) * 1000)
            last = part
        assert last is not None
        assert last.event == "values"
        assert last.data == DONE

    try:
        tid = (await client.threads.create())["thread_id"]
        whole = await time_calls(args.n, stream, warmup=3, budget=args.budget)
    finally:
        await client.http.client.aclose()
    first_median, first_p90 = median_p90(firsts[3:])
    whole_median, _ = median_p90(whole)
    return {
        "ttfe_median_ms": first_median,
        "ttfe_p90_ms": first_p90,
        "stream_median_ms": whole_median,
    }


async def measure(
    servers: list[Server], args: argparse.Namespace
) -> dict[str, dict[str, float]]:
    """Every figure of each server, by server name."""
    results = {}
    for server in servers:
        print(f"measuring {server.name}: runs.wait ...", flush=True)
        results[server.name] = await _sequential(server.url, args)
    for n in args.concurrency:
        print(f"measuring {n} concurrent clients ...", flush=True)
        for name, figures in (await _concurrent(servers, n, args)).items():
            results[name] |= figures
    for server in servers:
        print(f"measuring {server.name}: runs.stream ...", flush=True)
        results[server.name] |= await _first_event(server.url, args)
    return results


def _rows(args: argparse.Namespace) -> list[tuple[str, str, bool]]:
    """``(key, label, higher is better)`` of each printed row."""
    rows = [("wait_runs_s", "runs.wait, sequential (runs/s)", True)]
    for n in args.concurrency:
        label = f"{n} concurrent clients (runs/s)"
        rows.append((f"concurrent_{n}_runs_s", label, True))
        label = f"  server CPU per run at {n} (ms)"
        rows.append((f"concurrent_{n}_cpu_ms", label, False))
    rows += [
        ("ttfe_median_ms", "runs.stream first event, median (ms)", False),
        ("ttfe_p90_ms", "runs.stream first event, p90 (ms)", False),
        ("stream_median_ms", "runs.stream to its end, median (ms)", False),
    ]
    return rows


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    """Print one row per figure, a column per server and their ratio."""
    names = list(results)
    header = "".join(f"{name:>15s}" for name in names)
    print(f"\n{'':40s}{header}" + ("      ratio" if len(names) == 2 else ""))
    for key, label, higher in _rows(args):
        values = [results[name][key] for name in names]
        line = f"{label:40s}" + "".join(f"{v:15.1f}" for v in values)
        if len(values) == 2 and min(values) > 0:
            ratio = values[0] / values[1] if higher else values[1] / values[0]
            line += f"  {ratio:8.1f}x"
        print(line)


@contextlib.contextmanager
def _running(servers: list[Server]) -> Iterator[None]:
    try:
        for server in servers:
            print(f"starting {server.name} on {server.url} ...", flush=True)
            server.start()
        yield
    finally:
        for server in servers:
            server.stop()


def main(args: argparse.Namespace) -> None:
    # SIGTERM unwinds like Ctrl-C, through the ``finally`` that stops servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-server-") as scratch:
        servers = _servers(args, Path(scratch))
        with _running(servers):
            results = asyncio.run(measure(servers, args))  # noqa: TID251
        report(results, args)


def _parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_venv = os.environ.get("LANGGRAPH_VENV", str(ROOT / ".bench" / "lgdev"))
    parser.add_argument(
        "--langgraph-venv",
        default=default_venv,
        help="virtualenv with langgraph-cli[inmem] (default: $LANGGRAPH_VENV or"
        " %(default)s)",
    )
    parser.add_argument(
        "--langgraph-jobs",
        type=int,
        default=10,
        help="langgraph dev --n-jobs-per-worker (its API's default is 10, its"
        " dev command's 1; default %(default)s)",
    )
    parser.add_argument(
        "--only", choices=("both", "stategraph", "langgraph"), default="both"
    )
    parser.add_argument(
        "--n", type=int, default=300, help="sequential calls per figure at most"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=15.0,
        help="seconds per sequential figure at most (default %(default)s)",
    )
    parser.add_argument(
        "--concurrency",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[50, 200],
        help="concurrent clients, comma separated (default 50,200)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per level")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(_parse())
