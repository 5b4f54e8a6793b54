"""Transformers that copy one stream mode of the run's own scope to a channel.

``values``, ``updates``, ``custom``, ``checkpoints``, ``debug`` and ``tasks``
each become ``run.<mode>``; events of deeper subgraphs are left to the
subgraph handles' own projections.
"""

from __future__ import annotations

from typing import Any, ClassVar

from stategraph.stream._channel import StreamChannel
from stategraph.stream._types import ProtocolEvent, StreamTransformer

__all__ = (
    "CheckpointsTransformer",
    "CustomTransformer",
    "DebugTransformer",
    "TasksTransformer",
    "UpdatesTransformer",
    "ValuesTransformer",
)


class _ModeProjection(StreamTransformer):
    """Pushes the data of ``mode`` events at ``scope`` to ``run.<mode>``."""

    _native = True
    mode: ClassVar[str]

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[Any] = StreamChannel()
        # A list, to compare with the event's namespace without converting it.
        self._scope_list: list[str] = list(scope)

    def init(self) -> dict[str, Any]:
        """Publish the channel under the mode's name."""
        return {self.mode: self._log}

    def process(self, event: ProtocolEvent) -> bool:
        """Copy the event's data when it is this mode at this scope."""
        if event["method"] == self.mode:
            params = event["params"]
            if params["namespace"] == self._scope_list:
                self._accept(params)
                self._log.push(params["data"])
        return True

    def _accept(self, params: Any) -> None:
        """Hook run before an accepted event's data is pushed."""


class ValuesTransformer(_ModeProjection):
    """``run.values``: the state after each step of this run.

    Also remembers the last state and the interrupts seen, although the run
    stream tracks those itself, so ``run.output`` works without it.
    """

    mode = "values"
    required_stream_modes = ("values",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._latest: dict[str, Any] | None = None
        self._interrupted = False
        self._interrupts: list[Any] = []

    @property
    def error(self) -> BaseException | None:
        """The error the run ended with, or ``None``."""
        return self._log._error

    def _accept(self, params: Any) -> None:
        self._latest = params["data"]
        interrupts = params.get("interrupts", ())
        if interrupts:
            self._interrupted = True
            self._interrupts.extend(interrupts)


class CustomTransformer(_ModeProjection):
    """``run.custom``: what this run's nodes wrote with ``get_stream_writer()``."""

    mode = "custom"
    required_stream_modes = ("custom",)


class UpdatesTransformer(_ModeProjection):
    """``run.updates``: ``{node: update}`` after each node of this run."""

    mode = "updates"
    required_stream_modes = ("updates",)


class CheckpointsTransformer(_ModeProjection):
    """``run.checkpoints``: each saved checkpoint, shaped like ``get_state()``.

    Empty when the graph has no checkpointer.
    """

    mode = "checkpoints"
    required_stream_modes = ("checkpoints",)


class DebugTransformer(_ModeProjection):
    """``run.debug``: the ``debug`` stream mode's step-level events."""

    mode = "debug"
    required_stream_modes = ("debug",)


class TasksTransformer(_ModeProjection):
    """``run.tasks``: task start and result payloads of this run."""

    mode = "tasks"
    required_stream_modes = ("tasks",)
