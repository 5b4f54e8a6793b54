"""``ToolCallStream``: one tool call's progress, as ``run.tool_calls`` yields it.

Filled by ``ToolCallTransformer`` from the ``tools`` stream channel: the
start event fixes its identity, output deltas queue up on ``output_deltas``,
and the finish or error event closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from stategraph.stream import StreamChannel


class ToolCallStream:
    """One tool call of a v3 run, filled in as its events arrive.

    Not built by users: ``ToolCallTransformer`` yields one per
    ``tool-started`` event on ``run.tool_calls``.

    Attributes:
        tool_call_id: The call's id (from the model's tool call).
        tool_name: The tool's name.
        input: The tool's arguments as the tool reported them, or ``None``.
        output: The finished call's output (a ``ToolMessage``'s content), or
            ``None`` while running or after an error.
        error: The failed call's error message, or ``None``.
        completed: Whether the call finished or failed.
    """

    def __init__(
        self, tool_call_id: str, tool_name: str, input: dict[str, Any] | None = None
    ) -> None:
        self.tool_call_id = tool_call_id
        self.tool_name = tool_name
        self.input = input
        self.output: Any = None
        self.error: str | None = None
        self.completed = False
        self._output_deltas: StreamChannel[Any] = StreamChannel()

    @property
    def output_deltas(self) -> StreamChannel[Any]:
        """The call's partial outputs, in order; closed when the call ends.

        Iterate it as the run is iterated (sync or async).
        """
        return self._output_deltas

    def _bind(self, *, is_async: bool) -> None:
        self._output_deltas._bind(is_async=is_async)

    def _push_delta(self, delta: Any) -> None:
        self._output_deltas.push(delta)

    def _finish(self, output: Any) -> None:
        self.output = output
        self.completed = True
        self._output_deltas.close()

    def _fail(self, message: str) -> None:
        self.error = message
        self.completed = True
        self._output_deltas.close()

    def __iter__(self) -> Iterator[Any]:
        """Iterate the partial outputs (sync runs)."""
        return iter(self._output_deltas)

    def __aiter__(self) -> AsyncIterator[Any]:
        """Iterate the partial outputs (async runs)."""
        return self._output_deltas.__aiter__()

    def __repr__(self) -> str:
        if not self.completed:
            status = "running"
        else:
            status = "completed" if self.error is None else "failed"
        return (
            f"ToolCallStream(tool_call_id={self.tool_call_id!r}, "
            f"tool_name={self.tool_name!r}, status={status})"
        )
