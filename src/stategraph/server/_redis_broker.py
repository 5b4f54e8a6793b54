"""The broker of a scaled-out server: run streams and cancel signals in Redis.

A run's frames go to a Redis stream (see ``_redis_stream``, entry ids
``0-<seq + 1>``). The run's end is an entry of its own plus the result in
the run's hash; both keys expire a while after the end. Thread events and
cancel requests go over pub/sub. This module moves bytes between processes;
it never runs or schedules a run.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from stategraph.server import _json
from stategraph.server._broker import (
    RETAIN_SECONDS,
    Broker,
    CancelHandler,
    ThreadEvent,
    ThreadWatch,
)
from stategraph.server._queue import CancelAction
from stategraph.server._redis_stream import (
    APPEND_SCRIPT,
    OPEN_TTL_SECONDS,
    RedisRunStream,
    entry_seq,
)

__all__ = ("OPEN_TTL_SECONDS", "RedisBroker", "RedisRunStream")

logger = logging.getLogger("stategraph.server")

#: Seconds a discarded run's end entry stays for readers still blocked on it.
_DISCARD_GRACE_MS = 5000

#: Seconds between attempts of the cancel listener to reach Redis again.
_RETRY_SECONDS = 1.0

# Closing is done by a script so a run already discarded or expired is not
# brought back to life by a late close.
_CLOSE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'done', '1', 'result', ARGV[1])
redis.call('XADD', KEYS[2], '*', 'end', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""
_DISCARD = """
redis.call('DEL', KEYS[1])
redis.call('XADD', KEYS[2], '*', 'end', '1')
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""


class _RedisThreadWatch(ThreadWatch):
    def __init__(self, broker: RedisBroker, pubsub: PubSub) -> None:
        self._broker = broker
        self._pubsub = pubsub
        self._local: deque[ThreadEvent] = deque()

    def put(self, event: ThreadEvent) -> None:
        self._local.append(event)

    async def next(self, timeout: float) -> ThreadEvent | None:
        if self._local:
            return self._local.popleft()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            message = await self._pubsub.get_message(
                ignore_subscribe_messages=True, timeout=remaining
            )
            if message is not None and message["type"] == "message":
                kind, payload = _json.loads(message["data"])
                return kind, payload
        return None

    def close(self) -> None:
        # Called from a ``finally`` that may be cancelled: unsubscribe later.
        self._broker.spawn(_close(self._pubsub))


async def _close(pubsub: Any) -> None:
    # ``PubSub.aclose`` has no annotations; ``Any`` keeps mypy strict elsewhere.
    await pubsub.aclose()


async def _subscribed(pubsub: PubSub, channel: str) -> None:
    """Subscribe and wait for the confirmation, so no later message is missed."""
    await pubsub.subscribe(channel)
    while True:
        message = await pubsub.get_message(timeout=math.inf)
        if message is not None and message["type"] == "subscribe":
            return


class RedisBroker(Broker):
    """Run streams, thread events and cancel signals shared through Redis.

    Every process of a server (API and workers) makes one, with the same
    ``url`` and ``prefix``. Needs the ``redis`` extra.

    Args:
        url: A ``redis://`` URL, used when ``client`` is not given.
        prefix: Start of every key and channel name, so servers (or tests)
            sharing one Redis stay apart.
        client: An existing ``redis.asyncio.Redis`` (not closed by ``aclose``),
            made without ``decode_responses``.
        retain_seconds: How long a finished run's frames stay joinable.

    Example:
        >>> broker = RedisBroker("redis://127.0.0.1:6379/0", prefix="myapp")
        >>> app = create_app(graphs, broker=broker)  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "stategraph",
        client: Redis | None = None,
        retain_seconds: float = RETAIN_SECONDS,
    ) -> None:
        self._owns_client = client is None
        self.redis: Redis = client if client is not None else Redis.from_url(url)
        if self.redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError(
                "RedisBroker needs a client that returns bytes: frames are raw"
                " JSON. Create it without decode_responses=True."
            )
        self.prefix = prefix
        self._retain_ms = int(retain_seconds * 1000)
        #: Streams this process publishes to, flushed before they are closed.
        self.publishing: dict[str, RedisRunStream] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.append_script = self.redis.register_script(APPEND_SCRIPT)
        self._close_script = self.redis.register_script(_CLOSE)
        self._discard_script = self.redis.register_script(_DISCARD)
        self._cancel_pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None

    def run_keys(self, run_id: str) -> tuple[str, str]:
        """The run's hash and stream keys (one hash slot, for Redis Cluster)."""
        base = f"{self.prefix}:run:{{{run_id}}}"
        return base, f"{base}:frames"

    def _thread_channel(self, thread_id: str) -> str:
        return f"{self.prefix}:thread:{thread_id}"

    def spawn(self, coro: Any) -> None:
        """Run ``coro`` in the background, kept alive until ``aclose``."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def open(
        self, run_id: str, *, resumable: bool, thread_id: str | None = None
    ) -> RedisRunStream:
        """Create the run's keys (replacing a retried run's) and tell watchers."""
        meta, frames = self.run_keys(run_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(meta, frames)
        pipe.hset(meta, "resumable", int(resumable))
        pipe.pexpire(meta, int(OPEN_TTL_SECONDS * 1000))
        if thread_id is not None:
            event = _json.dumps(["run", run_id])
            pipe.publish(self._thread_channel(thread_id), event)
        await pipe.execute()
        return RedisRunStream(self, run_id, resumable=resumable, next_seq=0)

    async def get(self, run_id: str) -> RedisRunStream | None:
        """A handle on the run's stream, numbering new frames after the last."""
        meta, frames = self.run_keys(run_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(meta, "resumable")
        pipe.xrevrange(frames, count=1)
        resumable, last = await pipe.execute()
        if resumable is None:
            return None
        seq = entry_seq(last[0][0]) if last else None
        return RedisRunStream(
            self,
            run_id,
            resumable=resumable == b"1",
            next_seq=0 if seq is None else seq + 1,
        )

    async def close(self, run_id: str, result: bytes) -> None:
        """Write the frames still buffered, then the end and the result."""
        stream = self.publishing.pop(run_id, None)
        try:
            if stream is not None:
                await stream.aflush()
        finally:
            # Frames may be lost, but readers must still learn the run ended.
            await self._close_script(
                keys=list(self.run_keys(run_id)), args=[result, self._retain_ms]
            )

    async def discard(self, run_id: str) -> None:
        """Delete the run's stream; readers blocked on it see an end entry."""
        self.publishing.pop(run_id, None)
        await self._discard_script(
            keys=list(self.run_keys(run_id)), args=[_DISCARD_GRACE_MS]
        )

    async def watch(self, thread_id: str) -> ThreadWatch:
        """Subscribe to the thread's channel; returns once subscribed."""
        pubsub = self.redis.pubsub()
        await _subscribed(pubsub, self._thread_channel(thread_id))
        return _RedisThreadWatch(self, pubsub)

    async def watched(self, thread_id: str) -> bool:
        """Whether any process has a subscriber on the thread's channel."""
        channel = self._thread_channel(thread_id)
        counts = await self.redis.pubsub_numsub(channel)
        return any(count for _, count in counts)

    async def notify(self, thread_id: str, event: ThreadEvent) -> None:
        """Publish ``event`` on the thread's channel."""
        await self.redis.publish(self._thread_channel(thread_id), _json.dumps(event))

    async def request_cancel(self, run_id: str, action: CancelAction) -> None:
        """Record the request on the run and publish it to every process."""
        message = _json.dumps({"run_id": run_id, "action": action})
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(f"{self.run_keys(run_id)[0]}:cancel", action, px=self._retain_ms)
        pipe.publish(f"{self.prefix}:cancel", message)
        await pipe.execute()

    async def cancel_requested(self, run_id: str) -> CancelAction | None:
        """The cancel asked for ``run_id`` in the retention window, if any."""
        action: Any = await self.redis.get(f"{self.run_keys(run_id)[0]}:cancel")
        return None if action is None else cast("CancelAction", action.decode())

    async def serve_cancels(self, handler: CancelHandler) -> None:
        """Subscribe to cancel requests; returns once subscribed."""
        if self._cancel_pubsub is not None:
            raise RuntimeError("serve_cancels() was already called on this broker")
        self._cancel_pubsub = pubsub = self.redis.pubsub()
        await _subscribed(pubsub, f"{self.prefix}:cancel")
        loop = asyncio.get_running_loop()
        self._listener = loop.create_task(self._deliver_cancels(pubsub, handler))

    async def _deliver_cancels(self, pubsub: PubSub, handler: CancelHandler) -> None:
        while True:
            try:
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        body = _json.loads(message["data"])
                        await handler(body["run_id"], body["action"])
            except RedisError:
                # Redis was gone for longer than the client retries; a worker
                # must not stop hearing cancels, so listen again (listening
                # reconnects and subscribes again).
                logger.warning("cancel listener lost Redis; retrying", exc_info=True)
                await asyncio.sleep(_RETRY_SECONDS)

    async def aclose(self) -> None:
        """Flush streams, stop the cancel listener and close the connections."""
        for stream in list(self.publishing.values()):
            await stream.aflush()
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.wait([self._listener])
            self._listener = None
        if self._cancel_pubsub is not None:
            await _close(self._cancel_pubsub)
            self._cancel_pubsub = None
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        if self._owns_client:
            await self.redis.aclose()
