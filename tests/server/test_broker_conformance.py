"""One behaviour for every broker: in memory (dev) and Redis (scaled out).

Each test runs against both brokers. The ``two_process`` tests use two
``RedisBroker`` instances with their own connections, as an API process and a
worker process do: what one publishes, the other reads.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
import redis
from _redis_support import delete_prefix, new_prefix, require_redis
from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from stategraph.server._broker import (
    Broker,
    CancelHandler,
    Frame,
    InMemoryBroker,
    RunStream,
)
from stategraph.server._redis_broker import RedisBroker, RedisRunStream

pytestmark = pytest.mark.asyncio

MakeBroker = Callable[..., Broker]
TICK = 0.05  # heartbeat of the tests that wait for one


@pytest_asyncio.fixture(params=["memory", "redis"])
async def make_broker(request: pytest.FixtureRequest) -> AsyncIterator[MakeBroker]:
    """Makes brokers of one kind; Redis ones share one fresh key prefix."""
    made: list[Broker] = []
    prefix = new_prefix()
    url = require_redis() if request.param == "redis" else ""

    def make(**kwargs: Any) -> Broker:
        if request.param == "memory":
            broker: Broker = InMemoryBroker(**kwargs)
        else:
            broker = RedisBroker(url, prefix=prefix, **kwargs)
        made.append(broker)
        return broker

    try:
        yield make
    finally:
        for broker in made:
            await broker.aclose()
        if request.param == "redis":
            delete_prefix(prefix)


@pytest.fixture
def broker(make_broker: MakeBroker) -> Broker:
    return make_broker()


async def frames_of(stream: RunStream, **kwargs: Any) -> list[Frame]:
    """Every frame ``subscribe`` yields until the run ends."""
    kwargs.setdefault("heartbeat", 5.0)
    async with asyncio.timeout(10):
        return [f async for f in stream.subscribe(**kwargs) if f is not None]


def received_by(queue: asyncio.Queue[tuple[str, str]]) -> CancelHandler:
    """A cancel handler putting what it gets in ``queue``."""

    async def handler(run_id: str, action: str) -> None:
        await queue.put((run_id, action))

    return handler


async def until(check: Callable[[], Awaitable[Any]], wanted: Any) -> bool:
    """Poll ``check`` until it gives ``wanted`` (``False`` after 10 s)."""
    deadline = asyncio.get_running_loop().time() + 10
    while asyncio.get_running_loop().time() < deadline:
        if await check() == wanted:
            return True
        await asyncio.sleep(0.02)
    return False


async def publish_all(broker: Broker, stream: RunStream, n: int) -> None:
    for i in range(n):
        stream.publish("values", f'{{"i": {i}}}'.encode())
    await broker.close(stream.run_id, b'{"done": true}')


async def test_replay_from_start_and_from_an_id(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=True)
    await publish_all(broker, stream, 5)
    joined = await broker.get("r1")
    assert joined is not None
    frames = await frames_of(joined)
    assert [(f.seq, f.event, f.data) for f in frames] == [
        (i, "values", f'{{"i": {i}}}'.encode()) for i in range(5)
    ]
    assert [joined.event_id(f) for f in frames] == ["0", "1", "2", "3", "4"]
    tail = await frames_of(joined, after=2)
    assert [f.seq for f in tail] == [3, 4]
    assert await frames_of(joined, after=4) == []
    assert len(await frames_of(joined, after=-7)) == 5
    assert await joined.result() == b'{"done": true}'


async def test_ids_only_for_resumable_runs(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=False)
    await publish_all(broker, stream, 1)
    joined = await broker.get("r1")
    assert joined is not None
    assert not joined.resumable
    assert [joined.event_id(f) for f in await frames_of(joined)] == [None]


async def test_live_frames_reach_a_reader_one_by_one(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=True)
    reader = await broker.get("r1")
    assert reader is not None
    got: asyncio.Queue[Frame | None] = asyncio.Queue()

    async def read() -> None:
        async for frame in reader.subscribe(heartbeat=5.0):
            await got.put(frame)
        await got.put(None)

    task = asyncio.create_task(read())
    async with asyncio.timeout(10):
        for i in range(3):
            stream.publish("updates", str(i).encode())
            frame = await got.get()  # arrives before the next one is sent
            assert frame is not None
            assert (frame.seq, frame.data) == (i, str(i).encode())
        await broker.close("r1", b"null")
        assert await got.get() is None  # the end ends the reader
        await task


async def test_new_frames_only_and_heartbeats(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=True)
    stream.publish("values", b"0")
    stream.publish("values", b"1")
    reader = await broker.get("r1")
    assert reader is not None
    frames = reader.subscribe(after=None, heartbeat=TICK)
    async with asyncio.timeout(10):
        assert await anext(frames) is None  # a heartbeat: nothing new yet
        stream.publish("values", b"2")
        frame = await anext(frames)
        while frame is None:
            frame = await anext(frames)
        assert (frame.seq, frame.data) == (2, b"2")
        await broker.close("r1", b"null")
        assert [f async for f in frames if f is not None] == []


async def test_modes_filter_keeps_metadata_and_errors(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=True)
    for event in ("metadata", "values", "messages/partial", "updates|sub:1", "error"):
        stream.publish(event, b"{}")
    await broker.close("r1", b"null")
    events = [f.event for f in await frames_of(stream, modes=["messages", "updates"])]
    assert events == ["metadata", "messages/partial", "updates|sub:1", "error"]
    assert [f.event for f in await frames_of(stream, modes=())] == [
        "metadata",
        "error",
    ]


async def test_wait_done_and_result(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=False)
    assert await stream.result() is None
    ticks = stream.wait_done(TICK)
    async with asyncio.timeout(10):
        assert await anext(ticks) is None  # still running after a heartbeat
        stream.publish("values", b"1")
        await broker.close("r1", b'{"a": 1}')
        assert [t async for t in ticks] == []
    assert await stream.result() == b'{"a": 1}'


async def test_a_handle_from_get_numbers_after_the_last_frame(broker: Broker) -> None:
    first = await broker.open("r1", resumable=True)
    first.publish("metadata", b"{}")
    first.publish("values", b"1")
    if isinstance(first, RedisRunStream):
        await first.aflush()  # a new worker takes over after the old one wrote
    second = await broker.get("r1")
    assert second is not None
    second.publish("values", b"2")
    await broker.close("r1", b"null")
    assert [f.seq for f in await frames_of(second)] == [0, 1, 2]


async def test_unknown_discarded_and_expired_streams(make_broker: MakeBroker) -> None:
    broker = make_broker(retain_seconds=0.2)
    assert await broker.get("nope") is None
    await broker.close("nope", b"null")  # no stream: nothing is brought back
    assert await broker.get("nope") is None
    stream = await broker.open("gone", resumable=True)
    reader = asyncio.create_task(frames_of(stream))
    stream.publish("values", b"1")
    await broker.discard("gone")
    assert await broker.get("gone") is None
    async with asyncio.timeout(10):
        await reader  # a reader of a discarded run ends
    await broker.open("old", resumable=True)
    await broker.close("old", b"1")
    assert await until(lambda: broker.get("old"), None)


async def test_reopening_a_run_starts_a_fresh_stream(broker: Broker) -> None:
    stream = await broker.open("r1", resumable=True)
    await publish_all(broker, stream, 3)
    again = await broker.open("r1", resumable=True)
    assert await again.result() is None
    await publish_all(broker, again, 1)
    assert [f.data for f in await frames_of(again)] == [b'{"i": 0}']


async def test_thread_events_reach_watchers(broker: Broker) -> None:
    assert not await broker.watched("t1")
    watch = await broker.watch("t1")
    assert await broker.watched("t1")
    assert await watch.next(TICK) is None
    watch.put(("run", "local"))  # a run in flight when the watch began
    await broker.open("r1", resumable=False, thread_id="t1")
    await broker.notify("t1", ("state", {"values": {"a": 1}}))
    await broker.notify("t2", ("state", {"other": True}))
    got = [await watch.next(5.0) for _ in range(3)]
    assert got == [
        ("run", "local"),
        ("run", "r1"),
        ("state", {"values": {"a": 1}}),
    ]
    watch.close()
    # Unsubscribing is done in the background.
    assert await until(lambda: broker.watched("t1"), False)


async def test_cancel_requests_reach_the_handler(broker: Broker) -> None:
    received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    await broker.serve_cancels(received_by(received))
    assert await broker.cancel_requested("r1") is None
    await broker.request_cancel("r1", "rollback")
    async with asyncio.timeout(10):
        assert await received.get() == ("r1", "rollback")
    assert await broker.cancel_requested("r1") == "rollback"
    await broker.request_cancel("r1", "interrupt")  # the latest request counts
    async with asyncio.timeout(10):
        assert await received.get() == ("r1", "interrupt")
    assert await broker.cancel_requested("r1") == "interrupt"
    with pytest.raises(RuntimeError, match=r"^serve_cancels\(\) was already called"):
        await broker.serve_cancels(received_by(asyncio.Queue()))


@pytest_asyncio.fixture
async def two_process() -> AsyncIterator[tuple[RedisBroker, RedisBroker]]:
    """A worker's broker and an API process's broker on one Redis prefix."""
    url = require_redis()
    prefix = new_prefix()
    worker = RedisBroker(url, prefix=prefix)
    api = RedisBroker(url, prefix=prefix)
    try:
        yield worker, api
    finally:
        await worker.aclose()
        await api.aclose()
        delete_prefix(prefix)


async def test_two_process_live_and_replay(
    two_process: tuple[RedisBroker, RedisBroker],
) -> None:
    worker, api = two_process
    assert worker.redis is not api.redis
    await api.open("r1", resumable=True, thread_id="t1")
    published = await worker.get("r1")
    followed = await api.get("r1")
    assert published is not None
    assert followed is not None
    got: asyncio.Queue[Frame | None] = asyncio.Queue()

    async def read() -> None:
        async for frame in followed.subscribe(heartbeat=5.0):
            await got.put(frame)
        await got.put(None)

    task = asyncio.create_task(read())
    async with asyncio.timeout(10):
        for i in range(3):
            published.publish("values", str(i).encode())
            frame = await got.get()
            assert frame is not None
            assert frame.data == str(i).encode()
        await worker.close("r1", b'{"final": 1}')
        assert await got.get() is None
        await task
    replay = await frames_of(followed, after=0)
    assert [(f.seq, f.data) for f in replay] == [(1, b"1"), (2, b"2")]
    assert await followed.result() == b'{"final": 1}'


async def test_two_process_cancel_and_thread_events(
    two_process: tuple[RedisBroker, RedisBroker],
) -> None:
    worker, api = two_process
    received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    await worker.serve_cancels(received_by(received))
    watch = await api.watch("t1")
    assert await worker.watched("t1")
    await api.request_cancel("r9", "interrupt")
    await worker.notify("t1", ("state", {"n": 1}))
    async with asyncio.timeout(10):
        assert await received.get() == ("r9", "interrupt")
        assert await watch.next(5.0) == ("state", {"n": 1})
    assert await worker.cancel_requested("r9") == "interrupt"
    watch.close()


async def test_a_lost_write_is_reported_by_the_flush() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Redis.from_url(f"redis://127.0.0.1:{port}/0", retry=Retry(NoBackoff(), 0))
    broker = RedisBroker(client=client, prefix=new_prefix())
    stream = RedisRunStream(broker, "r1", resumable=True, next_seq=0)
    try:
        stream.publish("values", b"1")
        with pytest.raises(redis.ConnectionError):
            await stream.aflush()
        await stream.aflush()  # reported once
        assert stream.next_seq == 1
    finally:
        await broker.aclose()
        await client.aclose()


CHILD = """
import asyncio, sys
from stategraph.server._redis_broker import RedisBroker

async def main(url, prefix):
    broker = RedisBroker(url, prefix=prefix)
    asked = asyncio.Queue()

    async def on_cancel(run_id, action):
        asked.put_nowait(action)

    await broker.serve_cancels(on_cancel)
    stream = await broker.get("r1")
    for i in range(100):
        stream.publish("values", str(i).encode())
        await asyncio.sleep(0)
    action = await asyncio.wait_for(asked.get(), 30)
    await broker.close("r1", f'"{action}"'.encode())
    await broker.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_a_worker_process_streams_and_is_cancelled(
    two_process: tuple[RedisBroker, RedisBroker],
) -> None:
    _, api = two_process
    await api.open("r1", resumable=True)
    stream = await api.get("r1")
    assert stream is not None
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        require_redis(),
        api.prefix,
    )
    try:
        seen = []
        async with asyncio.timeout(60):
            async for frame in stream.subscribe(heartbeat=5.0):
                if frame is None:  # the worker process is still starting
                    continue
                seen.append(frame.data)
                if len(seen) == 100:  # all there: the worker now waits
                    await api.request_cancel("r1", "rollback")
            assert await child.wait() == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert seen == [str(i).encode() for i in range(100)]
    assert await stream.result() == b'"rollback"'


async def test_a_decoding_client_is_refused() -> None:
    client = Redis.from_url(require_redis(), decode_responses=True)
    with pytest.raises(ValueError, match=r"^RedisBroker needs a client that returns"):
        RedisBroker(client=client)
    await client.aclose()


async def test_public_import_paths() -> None:
    from stategraph.server.broker import Broker as PublicBroker, InMemoryBroker as Mem
    from stategraph.server.redis import RedisBroker as PublicRedisBroker

    assert PublicRedisBroker is RedisBroker
    assert issubclass(Mem, PublicBroker)
    assert issubclass(PublicRedisBroker, PublicBroker)


async def test_cancels_are_heard_again_after_the_connection_drops() -> None:
    url, prefix = require_redis(), new_prefix()
    name = prefix.replace(":", "-")
    worker_client = Redis.from_url(url, client_name=name)
    worker = RedisBroker(client=worker_client, prefix=prefix)
    api = RedisBroker(url, prefix=prefix)
    received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    try:
        await worker.serve_cancels(received_by(received))
        listeners = [
            c["id"]
            for c in await api.redis.client_list(_type="pubsub")
            if c["name"] == name
        ]
        assert len(listeners) == 1
        await api.redis.client_kill_filter(_id=listeners[0])
        channel = f"{prefix}:cancel"
        assert await until(lambda: subscribers(api, channel), 1)  # back again
        again = [
            c["id"]
            for c in await api.redis.client_list(_type="pubsub")
            if c["name"] == name
        ]
        assert len(again) == 1
        assert again != listeners  # a new connection
        await api.request_cancel("r1", "interrupt")
        async with asyncio.timeout(10):
            assert await received.get() == ("r1", "interrupt")
    finally:
        await worker.aclose()
        await api.aclose()
        await worker_client.aclose()
        delete_prefix(prefix)


async def subscribers(broker: RedisBroker, channel: str) -> int:
    counts: Any = await broker.redis.pubsub_numsub(channel)
    return int(counts[0][1])
