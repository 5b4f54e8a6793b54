"""Per-run event streams and cancel signals: the interface and the in-memory broker.

Every run gets a ``RunStream`` before it is queued, so no frame is lost to a
client that subscribes right after creating the run. Frames are kept until the
stream expires (a while after the run ends), which makes joining with
``Last-Event-ID`` work. ``InMemoryBroker`` serves one process (``stategraph
dev``); ``_redis_broker.RedisBroker`` carries the same calls across processes.
Neither decides scheduling: a cancel signal is handed to whoever runs the run.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from stategraph.server._queue import CancelAction

#: Seconds a finished run's frames stay available to late joiners.
RETAIN_SECONDS = 120.0

#: A thread event: ``("run", run_id)`` or ``("state", state_json)``.
ThreadEvent = tuple[str, Any]

#: Awaited with ``(run_id, action)`` when some process asks to cancel a run.
CancelHandler = Callable[[str, CancelAction], Awaitable[None]]

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

    def wanted(self, modes: Collection[str] | None) -> bool:
        """Whether a reader of ``modes`` (``None``: all) gets this frame."""
        if modes is None:
            return True
        mode = self.mode
        return mode in modes or mode in _ALWAYS


class RunStream(ABC):
    """The frames of one run: published by its worker, read by any client."""

    def __init__(self, run_id: str, *, resumable: bool) -> None:
        self.run_id = run_id
        self.resumable = resumable

    @abstractmethod
    def publish(self, event: str, data: bytes) -> None:
        """Append a frame; never waits, so the graph loop is not slowed."""

    @abstractmethod
    async def result(self) -> bytes | None:
        """The JSON body ``/wait`` answers with, or ``None`` while running."""

    @abstractmethod
    def subscribe(
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

        Returns:
            An iterator of frames in order, or ``None`` as a heartbeat tick.
        """

    async def wait_done(self, heartbeat: float) -> AsyncIterator[None]:
        """Yield once per ``heartbeat`` seconds of waiting, until the run is over."""
        async for frame in self.subscribe(after=None, modes=(), heartbeat=heartbeat):
            if frame is None:
                yield None

    def event_id(self, frame: Frame) -> str | None:
        """The id sent with ``frame``: its sequence number for resumable runs."""
        return str(frame.seq) if self.resumable else None


class ThreadWatch(ABC):
    """A thread's events (new runs, state updates) from the moment it was made."""

    @abstractmethod
    def put(self, event: ThreadEvent) -> None:
        """Add an event known locally (a run already in flight)."""

    @abstractmethod
    async def next(self, timeout: float) -> ThreadEvent | None:
        """The next event, or ``None`` after ``timeout`` seconds without one."""

    @abstractmethod
    def close(self) -> None:
        """Stop watching; safe to call from a ``finally`` of a cancelled task."""


class Broker(ABC):
    """Run streams by run id, thread events and cancel signals."""

    @abstractmethod
    async def open(
        self, run_id: str, *, resumable: bool, thread_id: str | None = None
    ) -> RunStream:
        """Create the stream of a new run (and tell the thread's watchers)."""

    @abstractmethod
    async def get(self, run_id: str) -> RunStream | None:
        """The run's stream, or ``None`` once it expired or never existed."""

    @abstractmethod
    async def close(self, run_id: str, result: bytes) -> None:
        """Finish the run's stream with ``result``; it expires a while later."""

    @abstractmethod
    async def discard(self, run_id: str) -> None:
        """Forget a stream now (its run was deleted), ending its readers."""

    @abstractmethod
    async def watch(self, thread_id: str) -> ThreadWatch:
        """Watch the thread's events from now on."""

    @abstractmethod
    async def watched(self, thread_id: str) -> bool:
        """Whether anyone watches the thread."""

    @abstractmethod
    async def notify(self, thread_id: str, event: ThreadEvent) -> None:
        """Give ``event`` to every watcher of the thread."""

    @abstractmethod
    async def request_cancel(self, run_id: str, action: CancelAction) -> None:
        """Ask the process running ``run_id`` to cancel it with ``action``."""

    @abstractmethod
    async def cancel_requested(self, run_id: str) -> CancelAction | None:
        """The cancel asked for ``run_id`` lately (a worker checks on start)."""

    @abstractmethod
    async def serve_cancels(self, handler: CancelHandler) -> None:
        """Deliver every cancel request to ``handler`` from now until ``aclose``."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release connections and background tasks."""


class InMemoryRunStream(RunStream):
    """A run's frames in a list, for readers in the same process."""

    def __init__(self, run_id: str, *, resumable: bool) -> None:
        super().__init__(run_id, resumable=resumable)
        self.frames: list[Frame] = []
        self.done = False
        self._result: bytes | None = None
        self._wake = asyncio.Event()

    def publish(self, event: str, data: bytes) -> None:
        """Append a frame and wake every subscriber."""
        self.frames.append(Frame(len(self.frames), event, data))
        self._notify()

    def finish(self, result: bytes) -> None:
        """Mark the run over; subscribers drain the buffer and stop."""
        self._result = result
        self.done = True
        self._notify()

    async def result(self) -> bytes | None:
        """The final JSON body, once the run is over."""
        return self._result

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
        """Frames after sequence ``after``, then live ones (see ``RunStream``)."""
        # Ids below -1 (a client's Last-Event-ID) mean "from the start" too.
        index = len(self.frames) if after is None else max(after, -1) + 1
        while True:
            while index < len(self.frames):
                frame = self.frames[index]
                index += 1
                if frame.wanted(modes):
                    yield frame
            if self.done:
                return
            wake = self._wake
            try:
                await asyncio.wait_for(wake.wait(), heartbeat)
            except asyncio.TimeoutError:
                yield None


class _InMemoryThreadWatch(ThreadWatch):
    def __init__(self, broker: InMemoryBroker, thread_id: str) -> None:
        self._broker = broker
        self._thread_id = thread_id
        self.queue: asyncio.Queue[ThreadEvent] = asyncio.Queue()

    def put(self, event: ThreadEvent) -> None:
        self.queue.put_nowait(event)

    async def next(self, timeout: float) -> ThreadEvent | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return None

    def close(self) -> None:
        self._broker._unwatch(self._thread_id, self)


class InMemoryBroker(Broker):
    """The broker of one process: streams, watchers and cancels in memory.

    Args:
        retain_seconds: How long a finished run's frames stay joinable.
    """

    def __init__(self, *, retain_seconds: float = RETAIN_SECONDS) -> None:
        self._streams: dict[str, InMemoryRunStream] = {}
        self._retain = retain_seconds
        self._watchers: dict[str, set[_InMemoryThreadWatch]] = {}
        self._cancels: dict[str, tuple[CancelAction, asyncio.TimerHandle]] = {}
        self._handler: CancelHandler | None = None

    async def open(
        self, run_id: str, *, resumable: bool, thread_id: str | None = None
    ) -> InMemoryRunStream:
        """Create the stream of a new run (and tell the thread's watchers)."""
        stream = InMemoryRunStream(run_id, resumable=resumable)
        self._streams[run_id] = stream
        if thread_id is not None:
            await self.notify(thread_id, ("run", run_id))
        return stream

    async def get(self, run_id: str) -> InMemoryRunStream | None:
        """The run's stream, or ``None`` once it expired or never existed."""
        return self._streams.get(run_id)

    async def close(self, run_id: str, result: bytes) -> None:
        """Finish the run's stream and schedule its removal."""
        stream = self._streams.get(run_id)
        if stream is None:
            return
        stream.finish(result)
        loop = asyncio.get_running_loop()
        loop.call_later(self._retain, self._expire, run_id, stream)

    async def discard(self, run_id: str) -> None:
        """Forget a stream now (its run was deleted), ending its readers."""
        stream = self._streams.pop(run_id, None)
        if stream is not None and not stream.done:
            stream.finish(b"null")

    def _expire(self, run_id: str, stream: InMemoryRunStream) -> None:
        # A newer stream may reuse the id (a retried run); keep that one.
        if self._streams.get(run_id) is stream:
            del self._streams[run_id]

    async def watch(self, thread_id: str) -> ThreadWatch:
        """A queue of the thread's events (new runs, state updates) from now on."""
        watch = _InMemoryThreadWatch(self, thread_id)
        self._watchers.setdefault(thread_id, set()).add(watch)
        return watch

    def _unwatch(self, thread_id: str, watch: _InMemoryThreadWatch) -> None:
        watchers = self._watchers.get(thread_id, set())
        watchers.discard(watch)
        if not watchers:
            self._watchers.pop(thread_id, None)

    async def watched(self, thread_id: str) -> bool:
        """Whether anyone watches the thread."""
        return thread_id in self._watchers

    async def notify(self, thread_id: str, event: ThreadEvent) -> None:
        """Give ``event`` to every watcher of the thread."""
        self.deliver(thread_id, event)

    def deliver(self, thread_id: str, event: ThreadEvent) -> None:
        """Give ``event`` to this process's watchers, without awaiting.

        For subclasses that receive events from other processes in a callback.
        """
        for watch in self._watchers.get(thread_id, ()):
            watch.put(event)

    async def request_cancel(self, run_id: str, action: CancelAction) -> None:
        """Record the request and hand it to this process's handler."""
        old = self._cancels.get(run_id)
        if old is not None:
            old[1].cancel()  # the newer request's window starts now
        forget = asyncio.get_running_loop().call_later(
            self._retain, self._cancels.pop, run_id, None
        )
        self._cancels[run_id] = (action, forget)
        if self._handler is not None:
            await self._handler(run_id, action)

    async def cancel_requested(self, run_id: str) -> CancelAction | None:
        """The cancel asked for ``run_id`` in the retention window, if any."""
        found = self._cancels.get(run_id)
        return None if found is None else found[0]

    async def serve_cancels(self, handler: CancelHandler) -> None:
        """Call ``handler`` for every later ``request_cancel``."""
        if self._handler is not None:
            raise RuntimeError("serve_cancels() was already called on this broker")
        self._handler = handler

    async def aclose(self) -> None:
        """Stop delivering cancels."""
        self._handler = None
