"""Subgraph lifecycle inferred from ``tasks`` events, and its wire channel.

``_TasksLifecycleBase`` owns the inference (a namespace starts at its first
task event and ends with its parent task's result); ``LifecycleTransformer``
publishes it as ``lifecycle`` events. Subgraph handles live elsewhere.
"""

from __future__ import annotations

from typing import Any

from typing_extensions import NotRequired, TypedDict

from stategraph.errors import GraphDrained, GraphInterrupt
from stategraph.stream._channel import StreamChannel
from stategraph.stream._run_subgraph import SubgraphStatus
from stategraph.stream._types import ProtocolEvent, StreamTransformer

__all__ = ("LifecyclePayload", "LifecycleTransformer", "SubgraphStatus")

_Transition = tuple[tuple[str, ...], SubgraphStatus, "str | None"]


class LifecyclePayload(TypedDict, total=False):
    """One item of ``run.lifecycle`` (and data of a ``lifecycle`` event).

    ``cause`` is ``{"type": "toolCall", "tool_call_id": ...}`` when a named
    agent subgraph was started by a tool call.
    """

    event: SubgraphStatus
    namespace: list[str]
    graph_name: NotRequired[str]
    trigger_call_id: NotRequired[str]
    cause: NotRequired[dict[str, Any]]
    error: NotRequired[str]


def _parse_ns_segment(segment: str) -> tuple[str, str | None]:
    """Split ``node:task_id`` into its name and task id (``None`` if absent)."""
    name, sep, task_id = segment.partition(":")
    return name, task_id if sep else None


def _status_from_exception(err: BaseException) -> tuple[SubgraphStatus, str | None]:
    """Map the exception that ended a run to a terminal status and error text."""
    if isinstance(err, GraphDrained):
        return "drained", None
    if isinstance(err, GraphInterrupt):
        return "interrupted", None
    return "failed", str(err)


def _terminal_from_result(payload: dict[str, Any]) -> tuple[SubgraphStatus, str | None]:
    """Map a task result payload to a terminal status; interrupts win."""
    if payload.get("interrupts"):
        return "interrupted", None
    error = payload.get("error")
    if error:
        return "failed", str(error)
    return "completed", None


def _tool_call_id(payload: Any) -> str | None:
    """The tool call id carried by a tool task's input, in either shape."""
    if isinstance(payload, dict) and isinstance(payload.get("tool_call"), dict):
        candidate = payload["tool_call"].get("id")
        return candidate if isinstance(candidate, str) else None
    if isinstance(payload, list):
        for call in payload:
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                return str(call["id"])
    return None


class _TasksLifecycleBase(StreamTransformer):
    """Discovers subgraphs from ``tasks`` events; subclasses decide what to do.

    Hooks: ``_should_track(ns)`` picks the namespaces of interest,
    ``_on_started(ns, graph_name, trigger_call_id)`` runs once per namespace
    (the triggering ``cause``, if any, is in ``self._pending_cause``), and
    ``_on_terminal(ns, status, error)`` runs once when it ends. ``tasks``
    events are dropped from the log: the lifecycle view replaces them.
    """

    required_stream_modes = ("tasks",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._seen: set[tuple[str, ...]] = set()
        # Tracked namespace -> id of the parent task whose result ends it.
        self._open: dict[tuple[str, ...], str] = {}
        # ``lc_agent_name`` first seen at each namespace, for subclasses that
        # project named agents.
        self._lc_by_ns: dict[tuple[str, ...], str | None] = {}
        # Task id -> id of the tool call it runs: a subgraph's namespace
        # segment ``node:<task_id>`` recovers the tool call that started it.
        self._pending_tool_calls: dict[str, str] = {}
        # Passed beside the hook's arguments so that overrides written
        # against the three-argument ``_on_started`` keep working.
        self._pending_cause: dict[str, Any] | None = None

    def _should_track(self, ns: tuple[str, ...]) -> bool:
        """Whether namespace ``ns`` is in this transformer's region."""
        raise NotImplementedError

    def _on_started(
        self, ns: tuple[str, ...], graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        """Called once, at the first task event of a tracked namespace."""
        raise NotImplementedError

    def _on_terminal(
        self, ns: tuple[str, ...], status: SubgraphStatus, error: str | None
    ) -> None:
        """Called once when a tracked namespace ends (or the run does)."""
        raise NotImplementedError

    def process(self, event: ProtocolEvent) -> bool:
        """Fold ``tasks`` events into lifecycle calls and drop them."""
        if event["method"] != "tasks":
            return True
        ns = tuple(event["params"]["namespace"])
        data = event["params"]["data"]
        if "result" in data:
            for child, status, error in self._pop_terminal_transitions(ns, data):
                self._on_terminal(child, status, error)
        else:
            self._record_identity(ns, data)
            self._record_pending_tool_calls(data)
            self._handle_task_start(ns, data)
        return False

    def _record_identity(self, ns: tuple[str, ...], data: dict[str, Any]) -> None:
        """Remember the namespace's ``lc_agent_name`` (first task wins)."""
        if ns not in self._lc_by_ns:
            self._lc_by_ns[ns] = (data.get("metadata") or {}).get("lc_agent_name")

    def _record_pending_tool_calls(self, data: dict[str, Any]) -> None:
        """Map a tool task's id to the id of the tool call it runs."""
        task_id = data.get("id")
        if isinstance(task_id, str):
            tool_call_id = _tool_call_id(data.get("input"))
            if tool_call_id is not None:
                self._pending_tool_calls[task_id] = tool_call_id

    def _handle_task_start(self, ns: tuple[str, ...], data: dict[str, Any]) -> None:
        if not self._should_track(ns) or ns in self._seen:
            return
        self._seen.add(ns)
        parsed_name, trigger_call_id = _parse_ns_segment(ns[-1])
        # A named agent (``lc_agent_name``) is reported under that name and
        # with the tool call that started it; other subgraphs by node name.
        agent = (data.get("metadata") or {}).get("lc_agent_name")
        graph_name = agent if agent is not None else (parsed_name or None)
        cause: dict[str, Any] | None = None
        if agent is not None and trigger_call_id is not None:
            tool_call_id = self._pending_tool_calls.get(trigger_call_id)
            if tool_call_id:
                cause = {"type": "toolCall", "tool_call_id": str(tool_call_id)}
        self._pending_cause = cause
        self._on_started(ns, graph_name, trigger_call_id)
        if trigger_call_id is not None:
            self._open[ns] = trigger_call_id

    def _pop_terminal_transitions(
        self, ns: tuple[str, ...], data: dict[str, Any]
    ) -> list[_Transition]:
        """Remove and return the tracked children this task result ends."""
        result_id = data.get("id")
        if not result_id:
            return []
        transitions: list[_Transition] = []
        for child, parent_task_id in list(self._open.items()):
            if child[:-1] == ns and parent_task_id == result_id:
                status, error = _terminal_from_result(data)
                transitions.append((child, status, error))
                del self._open[child]
        return transitions

    def _handle_task_result(self, ns: tuple[str, ...], data: dict[str, Any]) -> None:
        for child, status, error in self._pop_terminal_transitions(ns, data):
            self._on_terminal(child, status, error)

    def finalize(self) -> None:
        """End every namespace still open as ``completed``."""
        for ns in list(self._open):
            self._on_terminal(ns, "completed", None)
        self._open.clear()

    def fail(self, err: BaseException) -> None:
        """End every namespace still open with the status ``err`` implies."""
        status, error = _status_from_exception(err)
        for ns in list(self._open):
            self._on_terminal(ns, status, error)
        self._open.clear()


class LifecycleTransformer(_TasksLifecycleBase):
    """``run.lifecycle``: start and end of every subgraph below this run.

    Covers all depths in one flat stream. The channel is named, so each
    payload is also a ``lifecycle`` event in the run's log (and on the wire).
    """

    _native = True

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._channel: StreamChannel[LifecyclePayload] = StreamChannel("lifecycle")

    def init(self) -> dict[str, Any]:
        """Publish the ``lifecycle`` channel."""
        return {"lifecycle": self._channel}

    def _should_track(self, ns: tuple[str, ...]) -> bool:
        depth = len(self.scope)
        return len(ns) > depth and ns[:depth] == self.scope

    def _on_started(
        self, ns: tuple[str, ...], graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        # Without a task id no parent result can end the namespace, so it is
        # not announced; finalize/fail close it instead.
        if trigger_call_id is None:
            return
        payload: LifecyclePayload = {"event": "started", "namespace": list(ns)}
        if graph_name:
            payload["graph_name"] = graph_name
        payload["trigger_call_id"] = trigger_call_id
        if self._pending_cause is not None:
            payload["cause"] = self._pending_cause
        self._channel.push(payload)

    def _on_terminal(
        self, ns: tuple[str, ...], status: SubgraphStatus, error: str | None
    ) -> None:
        payload: LifecyclePayload = {"event": status, "namespace": list(ns)}
        if error is not None:
            payload["error"] = error
        self._channel.push(payload)
