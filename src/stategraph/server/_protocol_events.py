"""One run's frames as v3 protocol events, and the filters readers apply.

A protocol run publishes ordinary frames (``values``, ``updates|ns``,
``messages``, ``tools``...) to its run stream. ``RunTranslator`` turns them
into protocol events (``{"type": "event", "event_id", "seq", "method",
"params"}``) the way LangGraph's server does: ``__interrupt__`` becomes
``input.requested``, a namespace's first event announces it with a
``lifecycle`` ``started``, a finished tool also appears on the ``messages``
channel as a ``tool`` message, and the run ends with terminal ``lifecycle``
events. The translation is a pure function of the frames, so every reader of
every API process numbers a run's events alike.

Sequence numbers must order events across a thread's runs for every reader
(the SDK resumes with ``since=<seq>``) without a shared counter: a run's
events are numbered from a base taken from its time-ordered id, the
milliseconds from 2025 to the run's creation times ``2**SEQ_SPAN_BITS``.
Two runs' ranges meet only if the first emits more than 8,192 events per
millisecond between their creations (and seqs stay below JavaScript's
``2**53`` until the 2060s).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from stategraph.server import _json
from stategraph.server._broker import Frame

__all__ = (
    "CHANNELS",
    "PROTOCOL_CONFIG_KEY",
    "RUN_STREAM_MODES",
    "SEQ_SPAN_BITS",
    "EventFilter",
    "RunTranslator",
    "seq_base",
    "supported_channel",
)

#: Stream modes a protocol run publishes; together they feed every channel.
RUN_STREAM_MODES = [
    "values",
    "updates",
    "messages",
    "tools",
    "custom",
    "tasks",
    "checkpoints",
]

#: ``configurable`` key marking a run started by a protocol command (the name
#: LangGraph's server uses); the worker then streams chat-model events.
PROTOCOL_CONFIG_KEY = "__event_streaming_v2"

#: The channels a reader may name, besides ``custom:<name>``.
CHANNELS = frozenset(
    {
        "values",
        "updates",
        "checkpoints",
        "messages",
        "tools",
        "custom",
        "lifecycle",
        "input",
        "tasks",
    }
)

#: Bits of a seq numbering events within one run.
SEQ_SPAN_BITS = 13

#: 2025-01-01 in UUIDv6 time (100 ns ticks since 1582-10-15) and Unix ms.
_EPOCH_TICKS = 0x1EFC7D357FD0000
_EPOCH_MS = 1_735_689_600_000


def supported_channel(name: str) -> bool:
    """Whether ``name`` is a protocol channel (``custom:<name>`` included)."""
    return name in CHANNELS or (name.startswith("custom:") and len(name) > 7)


def seq_base(run_id: str) -> int:
    """The seq before a run's first event (see the module docstring).

    Run ids are UUIDv6 (v7 is read too); another id numbers from 0.
    """
    value = UUID(run_id).int
    version = (value >> 76) & 0xF
    if version == 6:
        ticks = (value >> 96) << 28 | ((value >> 80) & 0xFFFF) << 12
        ticks |= (value >> 64) & 0xFFF
        millis = (ticks - _EPOCH_TICKS) // 10_000
    elif version == 7:
        millis = (value >> 80) - _EPOCH_MS
    else:
        return 0
    return max(0, millis) << SEQ_SPAN_BITS


def _content_event(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("event"), str)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What one event stream (or WebSocket subscription) asked for."""

    channels: frozenset[str]
    namespaces: list[list[str]] | None = None
    depth: int | None = None

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` passes the channel and namespace filters."""
        method = event["method"]
        params = event["params"]
        channel = "input" if method.startswith("input.") else method
        if channel not in self.channels:
            if channel != "custom":
                return False
            name = (
                params["data"].get("name") if isinstance(params["data"], dict) else None
            )
            if f"custom:{name}" not in self.channels:
                return False
        if not self.namespaces:
            return True
        namespace = params["namespace"]
        for prefix in self.namespaces:
            if namespace[: len(prefix)] != prefix:
                continue
            if self.depth is None or len(namespace) - len(prefix) <= self.depth:
                return True
        return False


class RunTranslator:
    """One run's frames to protocol events, numbered from ``base``.

    Args:
        run_id: The run; event ids are ``<run_id>.<n>``.
        base: The seq before the run's first event.
        graph_name: The root graph's name, for ``lifecycle`` events.
    """

    def __init__(self, run_id: str, base: int, graph_name: str) -> None:
        self.run_id = run_id
        self.base = base
        self.graph_name = graph_name
        self.count = 0
        self.error: str | None = None
        self._asked: dict[str, tuple[str, ...]] = {}
        self._started: set[tuple[str, ...]] = set()

    def _event(
        self, method: str, namespace: list[str], data: Any, **extra: Any
    ) -> dict[str, Any]:
        self.count += 1
        params = {"namespace": namespace, "timestamp": int(time.time() * 1000)}
        params.update(extra)
        params["data"] = data
        return {
            "type": "event",
            "event_id": f"{self.run_id}.{self.count}",
            "seq": self.base + self.count,
            "method": method,
            "params": params,
        }

    def start(self) -> Iterator[dict[str, Any]]:
        """The root's ``running`` event, before any frame."""
        data = {"event": "running", "graph_name": self.graph_name}
        yield self._event("lifecycle", [], data)

    def translate(self, frame: Frame) -> Iterator[dict[str, Any]]:
        """The events one frame becomes (none for frames no channel carries)."""
        mode, _, rest = frame.event.partition("|")
        namespace = rest.split("|") if rest else []
        data = _json.loads(frame.data)
        if mode == "error":
            self.error = data.get("message") if isinstance(data, dict) else str(data)
            return
        if mode not in RUN_STREAM_MODES:
            return
        if mode == "messages" and not _content_event(data):
            return  # a REST run's message tuples: the protocol has no place for them
        yield from self._open_namespaces(namespace)
        if mode == "values":
            yield from self._values(namespace, data)
        elif mode == "updates":
            yield from self._updates(namespace, data)
        elif mode == "tools":
            yield from self._tools(namespace, data)
        else:
            yield self._event(mode, namespace, data)

    def _open_namespaces(self, namespace: list[str]) -> Iterator[dict[str, Any]]:
        # A subgraph's first event announces it, as the local run's
        # LifecycleTransformer does with ``started``.
        for end in range(1, len(namespace) + 1):
            prefix = tuple(namespace[:end])
            if prefix in self._started:
                continue
            self._started.add(prefix)
            name = prefix[-1].partition(":")[0]
            data = {"event": "started", "graph_name": name}
            yield self._event("lifecycle", list(prefix), data)

    def _values(self, namespace: list[str], data: Any) -> Iterator[dict[str, Any]]:
        if isinstance(data, dict) and "__interrupt__" in data:
            data = dict(data)
            yield from self._interrupts(namespace, data.pop("__interrupt__"))
        # Every namespace's snapshots, as the local run's raw v3 events (and
        # so LangGraph's server) carry them; an empty state is not one.
        if not isinstance(data, dict) or data:
            yield self._event("values", namespace, data)

    def _updates(self, namespace: list[str], data: Any) -> Iterator[dict[str, Any]]:
        if isinstance(data, dict) and "__interrupt__" in data:
            yield from self._interrupts(namespace, data["__interrupt__"])
            return
        node = next(iter(data)) if isinstance(data, dict) and len(data) == 1 else None
        extra = {} if node is None else {"node": node}
        yield self._event("updates", namespace, data, **extra)

    def _tools(self, namespace: list[str], data: Any) -> Iterator[dict[str, Any]]:
        yield self._event("tools", namespace, data)
        if isinstance(data, dict) and data.get("event") == "tool-finished":
            yield from self._tool_message(namespace, data)

    def _tool_message(
        self, namespace: list[str], data: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """A finished tool's message on ``messages``, under ``tools:<call id>``.

        LangGraph's server mirrors it there so that scoped message readers
        see tool results too; the root's ``messages`` readers do not.
        """
        output = data.get("output")
        call_id = data.get("tool_call_id")
        if not isinstance(output, dict) or not isinstance(call_id, str):
            return
        message_id = output.get("id") or f"tool-{call_id}"
        content = output.get("content")
        text = content if isinstance(content, str) else _json.dumps(content).decode()
        block = {"type": "text", "text": text}
        start = {
            "event": "message-start",
            "role": "tool",
            "id": message_id,
            "tool_call_id": call_id,
        }
        events: list[dict[str, Any]] = [
            start,
            {
                "event": "content-block-start",
                "index": 0,
                "content": {**block, "text": ""},
            },
            {"event": "content-block-delta", "index": 0, "content": block},
            {"event": "content-block-finish", "index": 0, "content": block},
            {"event": "message-finish", "metadata": {}},
        ]
        scope = [*namespace, f"tools:{call_id}"]
        for item in events:
            yield self._event("messages", scope, item)

    def _interrupts(
        self, namespace: list[str], interrupts: Any
    ) -> Iterator[dict[str, Any]]:
        for item in interrupts if isinstance(interrupts, list) else ():
            interrupt_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(interrupt_id, str) or interrupt_id in self._asked:
                continue
            self._asked[interrupt_id] = tuple(namespace)
            value = item.get("value")
            data = {"interrupt_id": interrupt_id, "value": value, "payload": value}
            yield self._event("input.requested", namespace, data)

    def finish(self, failed: str | None = None) -> Iterator[dict[str, Any]]:
        """The terminal ``lifecycle`` events: subgraphs deepest first, then root.

        Args:
            failed: Why the run failed when no ``error`` frame said so.
        """
        error = self.error if self.error is not None else failed
        for prefix in sorted(self._started, key=len, reverse=True):
            if error is not None:
                status = "failed"
            else:
                status = "interrupted" if self._paused(prefix) else "completed"
            yield self._event("lifecycle", list(prefix), {"event": status})
        data: dict[str, Any] = {"graph_name": self.graph_name}
        if error is not None:
            data.update(event="failed", error=error)
        else:
            data["event"] = "interrupted" if self._asked else "completed"
        yield self._event("lifecycle", [], data)

    def _paused(self, prefix: tuple[str, ...]) -> bool:
        return any(ns[: len(prefix)] == prefix for ns in self._asked.values())
