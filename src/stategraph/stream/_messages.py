"""``MessagesTransformer``: ``run.messages``, one chat-model stream per LLM call.

Owns routing ``messages`` events to langchain ``ChatModelStream`` objects.
langchain-core is imported only when such an event arrives, so runs without
chat models never load it.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from stategraph.stream._channel import StreamChannel
from stategraph.stream._types import ProtocolEvent, StreamTransformer

__all__ = ("MessagesTransformer",)


def _message_classes() -> tuple[Any, Any, Any] | None:
    """``(BaseMessage, AIMessageChunk, ToolMessage)`` if langchain is loaded."""
    # No value can be a langchain message unless langchain was imported.
    module = sys.modules.get("langchain_core.messages")
    if module is None:
        return None
    return module.BaseMessage, module.AIMessageChunk, module.ToolMessage


class MessagesTransformer(StreamTransformer):
    """``run.messages``: a ``ChatModelStream`` per chat-model call of this run.

    Two kinds of ``messages`` data are understood, each as ``(payload,
    metadata)``: content-block protocol events (a dict with an ``"event"``
    key, correlated by ``metadata["run_id"]``; ``message-start`` opens a
    stream, ``message-finish`` ends it), and a finished message a node
    returned, replayed as a complete stream. Token chunks of the older
    ``messages`` protocol are ignored, as are tool messages. Only this run's
    own namespace is projected.
    """

    _native = True
    required_stream_modes = ("messages",)

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[Any] = StreamChannel()
        self._by_run: dict[str, Any] = {}
        self._ignored_runs: set[str] = set()
        self._pump_fn: Callable[[], bool] | None = None
        self._apump_fn: Callable[[], Awaitable[bool]] | None = None
        self._scope_list: list[str] = list(scope)

    def init(self) -> dict[str, Any]:
        """Publish the ``messages`` channel."""
        return {"messages": self._log}

    def _bind_pump(self, fn: Callable[[], bool]) -> None:
        self._pump_fn = fn

    def _bind_apump(self, fn: Callable[[], Awaitable[bool]]) -> None:
        self._apump_fn = fn

    def _make_stream(
        self, *, namespace: list[str], node: str | None, message_id: str | None
    ) -> Any:
        """A chat-model stream whose reads drive the run's pump."""
        from langchain_core.language_models.chat_model_stream import (
            AsyncChatModelStream,
            ChatModelStream,
        )

        if self._apump_fn is not None:
            astream = AsyncChatModelStream(
                namespace=namespace, node=node, message_id=message_id
            )
            astream.set_arequest_more(self._apump_fn)
            return astream
        if self._pump_fn is not None:
            stream = ChatModelStream(
                namespace=namespace, node=node, message_id=message_id
            )
            stream.set_request_more(self._pump_fn)
            return stream
        # Unpumped (events dispatched by hand): buffered either way.
        return AsyncChatModelStream(
            namespace=namespace, node=node, message_id=message_id
        )

    def process(self, event: ProtocolEvent) -> bool:
        """Route a ``messages`` event of this scope to its stream."""
        if event["method"] != "messages":
            return True
        params = event["params"]
        if params["namespace"] != self._scope_list:
            return True
        payload, metadata = params["data"]
        node = metadata.get("langgraph_node")
        run_id = str(metadata.get("run_id", "")) if metadata else ""
        if isinstance(payload, dict) and "event" in payload:
            self._route_protocol_event(payload, run_id=run_id, node=node)
            return True
        classes = _message_classes()
        if classes is not None:
            base, chunk, tool = classes
            if isinstance(payload, base) and not isinstance(payload, (chunk, tool)):
                self._route_whole_message(payload, node=node)
        return True

    def _route_protocol_event(
        self, event: dict[str, Any], *, run_id: str, node: str | None
    ) -> None:
        kind = event.get("event")
        if kind == "message-start":
            # Tool results belong to tool projections, not the token stream.
            if event.get("role") == "tool":
                self._ignored_runs.add(run_id)
                return
            message_id = event.get("message_id")
            stream = self._make_stream(
                namespace=[],
                node=node,
                message_id=str(message_id) if message_id is not None else None,
            )
            self._by_run[run_id] = stream
            self._log.push(stream)
            stream.dispatch(event)
        elif run_id in self._ignored_runs:
            if kind == "message-finish":
                self._ignored_runs.discard(run_id)
        elif run_id in self._by_run:
            self._by_run[run_id].dispatch(event)
            if kind == "message-finish":
                del self._by_run[run_id]

    def _route_whole_message(self, message: Any, *, node: str | None) -> None:
        from langchain_core.language_models._compat_bridge import message_to_events

        stream = self._make_stream(namespace=[], node=node, message_id=message.id)
        for item in message_to_events(message, message_id=message.id):
            stream.dispatch(item)
        self._log.push(stream)

    def finalize(self) -> None:
        """Forget routing state; streams end with their ``message-finish``."""
        self._by_run.clear()
        self._ignored_runs.clear()

    def fail(self, err: BaseException) -> None:
        """Fail the streams still open when the run failed."""
        for stream in list(self._by_run.values()):
            stream.fail(err)
        self._by_run.clear()
        self._ignored_runs.clear()
