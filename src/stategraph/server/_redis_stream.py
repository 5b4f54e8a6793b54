"""A run's stream in Redis (see ``_redis_broker``, which makes them).

A run's frames go to a Redis stream whose entry ids are ``0-<seq + 1>``, so
the SSE id of a frame maps to its entry and ``Last-Event-ID`` replay is one
``XREAD`` from it; live readers block in ``XREAD`` too. Frames published in
a burst are written by one script call.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from typing import TYPE_CHECKING, Any, cast

from redis.exceptions import RedisError

from stategraph.server._broker import RETAIN_SECONDS, Frame, RunStream

if TYPE_CHECKING:
    from stategraph.server._redis_broker import RedisBroker

__all__ = ("APPEND_SCRIPT", "OPEN_TTL_SECONDS", "RedisRunStream", "entry_seq")

#: Seconds an unfinished run's keys live: a run may take a day (the run
#: timeout); a run whose worker died without closing it must not stay forever.
OPEN_TTL_SECONDS = 86400.0 + RETAIN_SECONDS

#: Entries read per ``XREAD``: a catching-up reader gets them in a few trips.
_READ_COUNT = 512

# One call appends a whole batch: one command to send and one reply to parse
# instead of one per frame. A frame is one field, ``<event>\n<data>``.
APPEND_SCRIPT = """
local seq = tonumber(ARGV[2])
for i = 3, #ARGV do
  redis.call('XADD', KEYS[1], '0-' .. (seq + i - 2), 'f', ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV - 2
"""


def entry_seq(entry_id: bytes) -> int | None:
    """The frame sequence number of a frame entry (``None``: not a frame)."""
    high, _, low = entry_id.partition(b"-")
    return int(low) - 1 if high == b"0" else None


class RedisRunStream(RunStream):
    """A run's stream in Redis: a local publish buffer and blocking readers."""

    def __init__(
        self, broker: RedisBroker, run_id: str, *, resumable: bool, next_seq: int
    ) -> None:
        super().__init__(run_id, resumable=resumable)
        self._broker = broker
        self._meta, self._frames = broker.run_keys(run_id)
        self.next_seq = next_seq
        self._pending: list[bytes] = []
        self._flushing: asyncio.Task[None] | None = None
        self._error: RedisError | None = None

    def publish(self, event: str, data: bytes) -> None:
        """Buffer a frame; a background task writes buffers in pipelines."""
        self._pending.append(event.encode() + b"\n" + data)
        self.next_seq += 1
        if self._flushing is None:
            self._broker.publishing[self.run_id] = self
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        # Frames published while a pipeline is in flight go in the next one,
        # so a fast graph pays one round trip per batch, not per frame.
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                first = self.next_seq - len(batch)
                ttl = int(OPEN_TTL_SECONDS * 1000)
                await self._broker.append_script(
                    keys=[self._frames], args=[ttl, first, *batch]
                )
        except RedisError as exc:
            # Kept for ``aflush``: the run goes on, its close reports the loss.
            self._error = exc
        finally:
            self._flushing = None

    async def aflush(self) -> None:
        """Wait until every published frame is in Redis.

        Raises:
            redis.RedisError: A write failed (its frames are lost).
        """
        if self._flushing is not None:
            await self._flushing
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    async def result(self) -> bytes | None:
        """The final JSON body, once the run is over."""
        done, result = await self._broker.redis.hmget(self._meta, ["done", "result"])
        return cast("bytes | None", result) if done else None

    async def wait_done(self, heartbeat: float) -> AsyncIterator[None]:
        """Yield once per ``heartbeat`` seconds of waiting, until the run is over.

        Reads no frame: on each new entry it looks at the stream's last one.
        """
        redis = self._broker.redis
        block = max(1, int(heartbeat * 1000))
        while True:
            last = await self._start_id(None)
            if last is None:
                return
            reply: Any = await redis.xread({self._frames: last}, count=1, block=block)
            if not reply:
                if not await redis.exists(self._meta):
                    return
                yield None

    async def _start_id(self, after: int | None) -> bytes | None:
        """The entry to read after (``None``: the run is already over)."""
        if after is not None:
            # Ids below -1 (a client's Last-Event-ID) mean "from the start" too.
            return f"0-{max(after, -1) + 1}".encode()
        local = self._broker.publishing.get(self.run_id)
        if local is not None:
            # Published here but maybe not written yet: "now" is the buffer's end.
            return f"0-{local.next_seq}".encode()
        last: Any = await self._broker.redis.xrevrange(self._frames, count=1)
        if not last:
            return b"0-0"
        entry_id, fields = last[0]
        return None if b"end" in fields else cast("bytes", entry_id)

    async def subscribe(
        self,
        *,
        after: int | None = -1,
        modes: Collection[str] | None = None,
        heartbeat: float,
    ) -> AsyncIterator[Frame | None]:
        """Frames after sequence ``after``, then live ones (see ``RunStream``)."""
        redis = self._broker.redis
        last = await self._start_id(after)
        block = max(1, int(heartbeat * 1000))
        while last is not None:
            reply: Any = await redis.xread(
                {self._frames: last}, count=_READ_COUNT, block=block
            )
            if not reply:
                # No end entry will come if the keys vanished (a dead worker's
                # run expired): stop rather than beat forever.
                if not await redis.exists(self._meta):
                    return
                yield None
                continue
            for entry_id, fields in reply[0][1]:
                last = entry_id
                seq = entry_seq(entry_id)
                if seq is None or b"end" in fields:
                    return
                event, _, data = fields[b"f"].partition(b"\n")
                frame = Frame(seq, event.decode(), data)
                if frame.wanted(modes):
                    yield frame
