#!/usr/bin/env python3
"""Frames per second through the run-stream brokers: in memory and Redis.

Two measurements, each for ``InMemoryBroker`` and ``RedisBroker``:

* broker: a publisher writes N frames (one per event-loop turn, as a graph
  yields chunks) while a reader on another broker instance (for Redis: its
  own connections, as another process) follows live; reports frames/s from
  the first publish to the reader seeing the end, and the microseconds a
  ``publish`` call costs the graph loop;
* server: ``runs.stream`` of a graph whose node writes N ``custom`` chunks,
  through ``create_app`` and the SDK; reports frames/s of the whole request.

Usage:

    python benchmarks/broker.py [--frames 1000] [--repeat 5] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from typing_extensions import TypedDict

from stategraph.config import get_stream_writer
from stategraph.graph import START, StateGraph
from stategraph.server import create_app
from stategraph.server._broker import Broker, InMemoryBroker
from stategraph.server._redis_broker import RedisBroker

PAYLOAD = b'{"token": "' + b"x" * 80 + b'", "index": 0}'


class State(TypedDict, total=False):
    n: int


def _graph() -> Any:
    async def emit(state: State) -> State:
        write = get_stream_writer()
        for i in range(state["n"]):
            write({"token": "x" * 80, "index": i})
        return {}

    return StateGraph(State).add_node("emit", emit).add_edge(START, "emit").compile()


async def _broker_round(make: Callable[[], Broker], n: int) -> tuple[float, float]:
    writer, reader = make(), make()
    run_id = uuid.uuid4().hex
    try:
        stream = await writer.open(run_id, resumable=True)
        follower = await reader.get(run_id)
        assert follower is not None
        ready = asyncio.Event()
        got = 0

        async def read() -> None:
            nonlocal got
            frames = follower.subscribe(after=-1, heartbeat=0.01)
            ready.set()
            async for frame in frames:
                got += frame is not None

        task = asyncio.create_task(read())
        await ready.wait()
        start = time.perf_counter()
        in_publish = 0.0
        for _ in range(n):
            t0 = time.perf_counter()
            stream.publish("custom", PAYLOAD)
            in_publish += time.perf_counter() - t0
            await asyncio.sleep(0)  # the graph loop goes on between chunks
        await writer.close(run_id, b"null")
        await task
        elapsed = time.perf_counter() - start
        assert got == n, (got, n)
        return n / elapsed, in_publish / n * 1e6
    finally:
        await writer.aclose()
        await reader.aclose()


def _serve(app: Any) -> tuple[str, Callable[[], None]]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(30)
        sock.close()

    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop


async def _server_round(client: Any, n: int) -> float:
    start = time.perf_counter()
    parts = [
        p
        async for p in client.runs.stream(
            None, "emit", input={"n": n}, stream_mode="custom"
        )
    ]
    elapsed = time.perf_counter() - start
    assert sum(p.event == "custom" for p in parts) == n
    return n / elapsed


async def main(frames: int, repeat: int, redis_url: str) -> None:
    from langgraph_sdk import get_client

    prefix = f"sgbench:{uuid.uuid4().hex}"
    shared = InMemoryBroker()  # one process: writer and reader share the broker
    makers: dict[str, Callable[[], Broker]] = {
        "memory": lambda: shared,
        "redis": lambda: RedisBroker(redis_url, prefix=prefix),
    }
    # Rounds alternate between the brokers, so a busy machine slows both alike.
    print(f"{frames} frames per run, median of {repeat} runs")
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in makers}
    for _ in range(repeat):
        for name, make in makers.items():
            rounds[name].append(await _broker_round(make, frames))
    for name, got in rounds.items():
        rate = statistics.median(r[0] for r in got)
        cost = statistics.median(r[1] for r in got)
        print(f"broker {name:6}: {rate:10,.0f} frames/s   publish {cost:5.2f} us/frame")
    servers = {
        name: _serve(create_app({"emit": _graph()}, broker=make()))
        for name, make in makers.items()
    }
    clients = {
        name: get_client(url=url, api_key=None) for name, (url, _) in servers.items()
    }
    rates: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for i in range(repeat + 1):
            for name, client in clients.items():
                rate = await _server_round(client, frames)
                if i:  # the first round warms up
                    rates[name].append(rate)
    finally:
        for name, client in clients.items():
            await client.http.client.aclose()
            servers[name][1]()
    for name, got_rates in rates.items():
        print(f"server {name:6}: {statistics.median(got_rates):10,.0f} frames/s")
    cleaner = RedisBroker(redis_url, prefix=prefix)
    keys = [k async for k in cleaner.redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await cleaner.redis.delete(*keys)
    await cleaner.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    asyncio.run(main(args.frames, args.repeat, args.redis))  # noqa: TID251  # a script owns its loop
