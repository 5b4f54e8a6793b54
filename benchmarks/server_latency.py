#!/usr/bin/env python3
"""Request latency of an API server: ``runs.wait``, ``runs.stream`` and ``get_state``.

Drives a running server (ours from ``stategraph dev``, or LangGraph's
``langgraph dev``) with the async ``langgraph_sdk`` client, sequentially, on a
graph both can serve (``tests/server/_server_graphs.py:agent``, five nodes with
a subgraph), and prints the median and p90 milliseconds per call.

Usage:

    python benchmarks/server_latency.py http://127.0.0.1:2024 [--n 200]

Without a URL it starts our server in this process (uvicorn in a thread).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HI = {"messages": [{"role": "user", "content": "hi"}]}


def _start_ours() -> str:
    import uvicorn

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "server"))
    from _server_graphs import agent  # type: ignore[import-not-found]

    from stategraph.server import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(
        uvicorn.Config(create_app({"agent": agent}), log_level="error")
    )
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def median_p90(samples: list[float]) -> tuple[float, float]:
    """The median and the 90th percentile of ``samples``."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9)]


async def time_calls(
    n: int,
    call: Callable[[], Awaitable[Any]],
    *,
    warmup: int = 5,
    budget: float | None = None,
) -> list[float]:
    """Milliseconds of ``n`` sequential awaits of ``call``, after ``warmup`` more.

    With a ``budget`` (seconds) it stops early once that is spent, after at
    least three calls, so a slow server is sampled in bounded time.
    """
    for _ in range(warmup):
        await call()
    samples: list[float] = []
    began = time.perf_counter()
    for _ in range(n):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
        spent = time.perf_counter() - began
        if budget is not None and spent > budget and len(samples) >= 3:
            break
    return samples


async def main(url: str, n: int) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=url, api_key=None)
    tid = (await client.threads.create())["thread_id"]

    async def wait_stateless() -> Any:
        return await client.runs.wait(None, "agent", input=HI)

    async def stream_thread() -> Any:
        modes = ["values", "updates", "messages-tuple"]
        return [
            p
            async for p in client.runs.stream(tid, "agent", input=HI, stream_mode=modes)
        ]

    async def get_state() -> Any:
        return await client.threads.get_state(tid)

    for name, call in (
        ("runs.wait (stateless)", wait_stateless),
        ("runs.stream (thread, 3 modes)", stream_thread),
        ("threads.get_state", get_state),
    ):
        median, p90 = median_p90(await time_calls(n, call))
        print(f"{name:32s} median {median:7.2f} ms   p90 {p90:7.2f} ms")
    await client.http.client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?")
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.url or _start_ours(), args.n))  # noqa: TID251
