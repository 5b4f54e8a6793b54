"""Per-run event streams: the frames a run publishes, buffered for its readers.

Every run gets a ``RunStream`` before it is queued, so no frame is lost to a
client that subscribes right after creating the run. Frames are kept until the
stream expires (a while after the run ends), which makes joining with
``Last-Event-ID`` work. This module holds frames in memory for one process; a
Redis-backed broker can replace it behind the same methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any

#: Seconds a finished run's frames stay available to late joiners.
RETAIN_SECONDS = 120.0

#: A thread event: ``("run", run_id)`` or ``("state", state_json)``.
ThreadEvent = tuple[str, Any]

#: Frames sent whatever stream modes a joiner asked for.
_ALWAYS = frozenset({"metadata", "error"})


@dataclass(frozen=True, slots=True)
class Frame:
    """One published event: its sequence number, event name and JSON data."""

    seq: int
    event: str
    data: bytes

    @property
    def mode(self) -> str:
        """The frame's stream mode (``messages/partial`` -> ``messages``)."""
        return self.event.split("|", 1)[0].split("/", 1)[0]


class RunStream:
    """The frames of one run, readable by any number of subscribers."""

    def __init__(self, run_id: str, *, resumable: bool) -> None:
        self.run_id = run_id
        self.resumable = resumable
        self.frames: list[Frame] = []
        self.done = False
        #: The JSON body that ``/wait`` and ``/join`` answer with.
        self.result: bytes | None = None
        self._wake = asyncio.Event()

    def publish(self, event: str, data: bytes) -> None:
        """Append a frame and wake every subscriber."""
        self.frames.append(Frame(len(self.frames), event, data))
        self._notify()

    def finish(self, result: bytes) -> None:
        """Mark the run over; subscribers drain the buffer and stop."""
        self.result = result
        self.done = True
        self._notify()

    def _notify(self) -> None:
        # Waiters hold the old event; a fresh one is armed for the next frame.
        self._wake.set()
        self._wake = asyncio.Event()

    async def wait_done(self, heartbeat: float) -> AsyncIterator[None]:
        """Yield once per ``heartbeat`` seconds of waiting, until the run is over."""
        while not self.done:
            wake = self._wake
            try:
                await asyncio.wait_for(wake.wait(), heartbeat)
            except asyncio.TimeoutError:
                yield None

    async def subscribe(
        self,
        *,
        after: int | None = -1,
        modes: Collection[str] | None = None,
        heartbeat: float,
    ) -> AsyncIterator[Frame | None]:
        """Frames after sequence ``after``, then live ones until the run ends.

        Args:
            after: Last sequence number already seen (``-1``: replay all;
                ``None``: only frames published from now on).
            modes: Stream modes to keep (``None``: all).
            heartbeat: Seconds of silence after which ``None`` is yielded.

        Yields:
            Frames in order, or ``None`` as a heartbeat tick.
        """
        index = len(self.frames) if after is None else after + 1
        while True:
            while index < len(self.frames):
                frame = self.frames[index]
                index += 1
                if modes is None or frame.mode in modes or frame.mode in _ALWAYS:
                    yield frame
            if self.done:
                return
            wake = self._wake
            try:
                await asyncio.wait_for(wake.wait(), heartbeat)
            except asyncio.TimeoutError:
                yield None

    def event_id(self, frame: Frame) -> str | None:
        """The id sent with ``frame``: its sequence number for resumable runs."""
        return str(frame.seq) if self.resumable else None


class Broker:
    """Run id to ``RunStream``, with expiry of finished streams."""

    def __init__(self, *, retain_seconds: float = RETAIN_SECONDS) -> None:
        self._streams: dict[str, RunStream] = {}
        self._retain = retain_seconds
        self._watchers: dict[str, set[asyncio.Queue[ThreadEvent]]] = {}

    def open(
        self, run_id: str, *, resumable: bool, thread_id: str | None = None
    ) -> RunStream:
        """Create the stream of a new run (and tell the thread's watchers)."""
        stream = RunStream(run_id, resumable=resumable)
        self._streams[run_id] = stream
        if thread_id is not None:
            self.notify(thread_id, ("run", run_id))
        return stream

    def watch(self, thread_id: str) -> asyncio.Queue[ThreadEvent]:
        """A queue of the thread's events (new runs, state updates) from now on."""
        queue: asyncio.Queue[ThreadEvent] = asyncio.Queue()
        self._watchers.setdefault(thread_id, set()).add(queue)
        return queue

    def unwatch(self, thread_id: str, queue: asyncio.Queue[ThreadEvent]) -> None:
        """Stop feeding ``queue``."""
        watchers = self._watchers.get(thread_id, set())
        watchers.discard(queue)
        if not watchers:
            self._watchers.pop(thread_id, None)

    def watched(self, thread_id: str) -> bool:
        """Whether anyone watches the thread."""
        return thread_id in self._watchers

    def notify(self, thread_id: str, event: ThreadEvent) -> None:
        """Give ``event`` to every watcher of the thread."""
        for queue in self._watchers.get(thread_id, ()):
            queue.put_nowait(event)

    def get(self, run_id: str) -> RunStream | None:
        """The run's stream, or ``None`` once it expired or never existed."""
        return self._streams.get(run_id)

    def close(self, run_id: str, result: bytes) -> None:
        """Finish the run's stream and schedule its removal."""
        stream = self._streams.get(run_id)
        if stream is None:
            return
        stream.finish(result)
        loop = asyncio.get_running_loop()
        loop.call_later(self._retain, self._expire, run_id, stream)

    def discard(self, run_id: str) -> None:
        """Forget a stream now (its run was deleted), ending its readers."""
        stream = self._streams.pop(run_id, None)
        if stream is not None and not stream.done:
            stream.finish(b"null")

    def _expire(self, run_id: str, stream: RunStream) -> None:
        # A newer stream may reuse the id (a retried run); keep that one.
        if self._streams.get(run_id) is stream:
            del self._streams[run_id]
