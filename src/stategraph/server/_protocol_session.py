"""The v3 protocol's per-thread event log, fed from the thread's runs.

A v3 client (``client.threads.stream()``, ``RemoteGraph.stream_events(
version="v3")``) starts runs with ``run.start`` commands and reads a thread's
events through filtered ``/stream/events`` connections. ``ThreadLog`` turns
each run's frames (the ordinary ``stream_mode`` frames the worker publishes)
into protocol events (``{"type": "event", "seq", "method", "params"}``),
numbers them per thread and hands them to every connection whose filter
matches. The log lives in this process: the protocol routes are for
``stategraph dev`` and single-process servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from stategraph.server import _json
from stategraph.server._broker import Frame, RunStream

__all__ = ("EventFilter", "ThreadLog", "thread_log")

#: Stream modes a protocol run publishes; together they feed every channel.
RUN_STREAM_MODES = ["values", "updates", "custom", "tasks", "checkpoints"]


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What one ``/stream/events`` connection asked for."""

    channels: frozenset[str]
    namespaces: list[list[str]] | None = None
    depth: int | None = None

    def matches(self, event: dict[str, Any]) -> bool:
        """Whether ``event`` passes the channel and namespace filters."""
        method = event["method"]
        channel = "input" if method.startswith("input.") else method
        if channel not in self.channels and not (
            channel.startswith("custom:") and "custom" in self.channels
        ):
            return False
        if not self.namespaces:
            return True
        namespace = event["params"]["namespace"]
        for prefix in self.namespaces:
            if namespace[: len(prefix)] != prefix:
                continue
            if self.depth is None or len(namespace) - len(prefix) <= self.depth:
                return True
        return False


@dataclass
class ThreadLog:
    """A thread's protocol events and the connections reading them."""

    thread_id: str
    #: The kept events: those after seq ``base`` (older runs' are dropped).
    events: list[dict[str, Any]] = field(default_factory=list)
    base: int = 0
    #: Seq before the latest run's first event: where a fresh reader starts.
    run_start: int = 0
    readers: set[asyncio.Queue[None]] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def last_seq(self) -> int:
        """The seq of the latest event (0 before any)."""
        return self.base + len(self.events)

    def emit(self, method: str, namespace: list[str], data: Any, **extra: Any) -> None:
        """Append one event and wake the readers."""
        seq = self.last_seq + 1
        params = {"namespace": namespace, "timestamp": int(time.time() * 1000)}
        params.update(extra)
        params["data"] = data
        event = {
            "type": "event",
            "event_id": str(seq),
            "seq": seq,
            "method": method,
            "params": params,
        }
        self.events.append(event)
        for reader in self.readers:
            reader.put_nowait(None)

    async def follow(
        self, wanted: EventFilter, since: int | None, heartbeat: float
    ) -> AsyncIterator[dict[str, Any] | None]:
        """Matching events after ``since``, then live ones.

        Without ``since`` a reader starts at the latest run's first event;
        ``None`` is yielded after ``heartbeat`` seconds of silence.
        """
        wake: asyncio.Queue[None] = asyncio.Queue()
        self.readers.add(wake)
        cursor = self.run_start if since is None else since
        try:
            while True:
                # ``base`` may move on while this reader is suspended in a
                # yield (a new run dropped the old events): skip to it.
                while (cursor := max(cursor, self.base)) < self.last_seq:
                    event = self.events[cursor - self.base]
                    cursor += 1
                    if wanted.matches(event):
                        yield event
                try:
                    await asyncio.wait_for(wake.get(), heartbeat)
                except TimeoutError:
                    yield None
        finally:
            self.readers.discard(wake)

    def start_run(self) -> None:
        """Mark where a new run's events begin; drop finished runs' events."""
        if not self.tasks:
            # No run is being translated: the events before are history a
            # reader can no longer need (it gets the state from the REST API).
            self.base = self.last_seq
            self.events = []
        self.run_start = self.last_seq

    def pump(self, stream: RunStream, graph_name: str) -> None:
        """Translate ``stream``'s frames into events in the background."""
        self.start_run()
        self.emit("lifecycle", [], {"event": "running", "graph_name": graph_name})
        task = asyncio.get_running_loop().create_task(
            _RunTranslator(self, stream, graph_name).run()
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class _RunTranslator:
    """One run's frames to protocol events (see the module docstring)."""

    def __init__(self, log: ThreadLog, stream: RunStream, graph_name: str) -> None:
        self.log = log
        self.stream = stream
        self.graph_name = graph_name
        self.interrupt_ids: set[str] = set()
        self.started: set[tuple[str, ...]] = set()
        self.error: str | None = None

    async def run(self) -> None:
        try:
            frames = self.stream.subscribe(after=-1, modes=None, heartbeat=30)
            async for frame in frames:
                if frame is not None:
                    self.translate(frame)
        finally:
            # Whatever stopped the translation, clients wait for the root's
            # terminal event to end their projections and ``output``.
            self._finish()

    def translate(self, frame: Frame) -> None:
        mode, _, rest = frame.event.partition("|")
        namespace = rest.split("|") if rest else []
        data = _json.loads(frame.data)
        if mode == "error":
            self.error = data.get("message") if isinstance(data, dict) else str(data)
            return
        if mode not in RUN_STREAM_MODES:
            return
        self._open_namespaces(namespace)
        if mode == "values":
            self._values(namespace, data)
        elif mode == "updates":
            self._updates(namespace, data)
        else:
            self.log.emit(mode, namespace, data)

    def _open_namespaces(self, namespace: list[str]) -> None:
        # A subgraph's first event announces it, as the local run's
        # LifecycleTransformer does with ``started``.
        for end in range(1, len(namespace) + 1):
            prefix = tuple(namespace[:end])
            if prefix in self.started:
                continue
            self.started.add(prefix)
            name = prefix[-1].partition(":")[0]
            self.log.emit(
                "lifecycle",
                list(prefix),
                {"event": "started", "graph_name": name},
            )

    def _values(self, namespace: list[str], data: Any) -> None:
        if isinstance(data, dict) and "__interrupt__" in data:
            data = dict(data)
            self._interrupts(namespace, data.pop("__interrupt__"))
            if not data:
                return
        # Only the root's snapshots: the SDK's ``values`` projection reads the
        # channel unfiltered, and the local ``run.values`` holds root states.
        if not namespace:
            self.log.emit("values", namespace, data)

    def _updates(self, namespace: list[str], data: Any) -> None:
        if isinstance(data, dict) and "__interrupt__" in data:
            self._interrupts(namespace, data["__interrupt__"])
            return
        node = next(iter(data)) if isinstance(data, dict) and len(data) == 1 else None
        extra = {} if node is None else {"node": node}
        self.log.emit("updates", namespace, data, **extra)

    def _interrupts(self, namespace: list[str], interrupts: Any) -> None:
        for item in interrupts if isinstance(interrupts, list) else ():
            interrupt_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(interrupt_id, str) or interrupt_id in self.interrupt_ids:
                continue
            self.interrupt_ids.add(interrupt_id)
            value = item.get("value")
            data = {"interrupt_id": interrupt_id, "value": value, "payload": value}
            self.log.emit("input.requested", namespace, data)

    def _finish(self) -> None:
        for prefix in sorted(self.started, key=len, reverse=True):
            if self.error is None:
                status = "interrupted" if self._paused(prefix) else "completed"
            else:
                status = "failed"
            self.log.emit("lifecycle", list(prefix), {"event": status})
        data: dict[str, Any] = {"graph_name": self.graph_name}
        if self.error is not None:
            data.update(event="failed", error=self.error)
        elif self.interrupt_ids:
            data["event"] = "interrupted"
        else:
            data["event"] = "completed"
        self.log.emit("lifecycle", [], data)

    def _paused(self, prefix: tuple[str, ...]) -> bool:
        return bool(self.interrupt_ids) and any(
            event["method"] == "input.requested"
            and tuple(event["params"]["namespace"][: len(prefix)]) == prefix
            for event in self.log.events[self.log.run_start - self.log.base :]
        )


_LOGS_KEY = "stategraph_protocol_logs"


def thread_log(app_state: Any, thread_id: str) -> ThreadLog:
    """The thread's log, made on first use and kept on the app's state."""
    logs: dict[str, ThreadLog] | None = getattr(app_state, _LOGS_KEY, None)
    if logs is None:
        logs = {}
        setattr(app_state, _LOGS_KEY, logs)
    if (log := logs.get(thread_id)) is None:
        log = logs[thread_id] = ThreadLog(thread_id)
    return log


async def close_logs(app_state: Any) -> None:
    """Stop every translation task (when the app shuts down)."""
    logs: dict[str, ThreadLog] = getattr(app_state, _LOGS_KEY, {})
    tasks = [task for log in logs.values() for task in log.tasks]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
