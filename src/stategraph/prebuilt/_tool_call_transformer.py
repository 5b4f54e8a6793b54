"""``ToolCallTransformer``: ``run.tool_calls`` from the ``tools`` stream channel.

Opt-in: ``compile(transformers=[ToolCallTransformer])`` (or per call with
``stream_events(..., transformers=[...])``) asks the run for the ``tools``
stream mode and yields a ``ToolCallStream`` per tool call made at the run's
own level. The raw ``tools`` events stay in the event log for wire clients.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from stategraph.prebuilt._tool_call_stream import ToolCallStream
from stategraph.stream import ProtocolEvent, StreamChannel, StreamTransformer


def tool_output(output: Any) -> Any:
    """A tool's result as ``ToolCallStream.output`` holds it.

    A ``ToolMessage`` (or its serialized form, as a remote run sends it)
    gives its content; anything else stays as it is.
    """
    content = getattr(output, "content", None)
    if content is not None and type(output).__name__ == "ToolMessage":
        return content
    if (
        isinstance(output, dict)
        and output.get("type") == "constructor"
        and isinstance(output.get("id"), list)
        and output["id"][-1:] == ["ToolMessage"]
    ):
        kwargs = output.get("kwargs")
        return kwargs.get("content") if isinstance(kwargs, dict) else output
    return output


class ToolCallTransformer(StreamTransformer):
    """Publish ``run.tool_calls``: a ``ToolCallStream`` per tool call.

    ``tool-started`` opens a stream, ``tool-output-delta`` feeds its
    ``output_deltas``, ``tool-finished`` and ``tool-error`` close it; calls
    still open when the run ends are closed (finished with ``None``, or
    failed with the run's error). Only tool calls of the transformer's own
    scope are projected: a subgraph's calls belong to that subgraph's
    ``tool_calls``.
    """

    _native = True
    required_stream_modes = ("tools",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        # Unnamed: the live handles are not events; the raw ones stay logged.
        self._log: StreamChannel[ToolCallStream] = StreamChannel()
        self._active: dict[str, ToolCallStream] = {}
        self._is_async = False
        self._pump_fn: Callable[[], bool] | None = None
        self._apump_fn: Callable[[], Awaitable[bool]] | None = None

    def init(self) -> dict[str, Any]:
        """Publish ``tool_calls``."""
        return {"tool_calls": self._log}

    def _bind_pump(self, fn: Callable[[], bool]) -> None:
        self._pump_fn = fn
        self._is_async = False

    def _bind_apump(self, fn: Callable[[], Awaitable[bool]]) -> None:
        self._apump_fn = fn
        self._is_async = True

    def _open(self, data: dict[str, Any]) -> ToolCallStream:
        stream = ToolCallStream(
            data["tool_call_id"], data.get("tool_name", ""), data.get("input")
        )
        # Reading a call's deltas drives the run, as reading any projection does.
        stream._bind(is_async=self._is_async)
        stream._output_deltas._request_more = self._pump_fn
        stream._output_deltas._arequest_more = self._apump_fn
        return stream

    def process(self, event: ProtocolEvent) -> bool:
        """Route a ``tools`` event of this scope to its call's stream."""
        if event["method"] != "tools":
            return True
        params = event["params"]
        data = params["data"]
        if tuple(params["namespace"]) != self.scope or not isinstance(data, dict):
            return True
        call_id = data.get("tool_call_id")
        if call_id is None:
            return True
        kind = data.get("event")
        if kind == "tool-started":
            stream = self._active[call_id] = self._open(data)
            self._log.push(stream)
        elif kind == "tool-output-delta":
            if call_id in self._active:
                self._active[call_id]._push_delta(data.get("delta"))
        elif kind == "tool-finished":
            if (done := self._active.pop(call_id, None)) is not None:
                done._finish(tool_output(data.get("output")))
        elif (
            kind == "tool-error"
            and (failed := self._active.pop(call_id, None)) is not None
        ):
            failed._fail(data.get("message", ""))
        return True

    def finalize(self) -> None:
        """Close the calls still open when the run ended."""
        for stream in self._active.values():
            if not stream.completed:
                stream._finish(None)
        self._active.clear()

    def fail(self, err: BaseException) -> None:
        """Fail the calls still open when the run failed."""
        for stream in self._active.values():
            if not stream.completed:
                stream._fail(str(err))
        self._active.clear()
