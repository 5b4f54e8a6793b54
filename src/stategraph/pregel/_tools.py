"""``stream_mode="tools"``: tool-call lifecycle events, as a LangChain callback handler.

A tool run inside a node (a ``ToolNode``, or any LangChain tool invoked with
the node's config) reports ``on_tool_start`` / ``on_tool_end`` /
``on_tool_error``; this handler turns them into ``tools`` chunks, each a dict
keyed by ``tool_call_id``: ``tool-started`` (``tool_name``, ``input``),
``tool-output-delta`` (``delta``, from ``ToolRuntime.emit_output_delta``),
``tool-finished`` (``output``) and ``tool-error`` (``message``). An
interrupted tool is paused, not failed: it reports nothing until it runs
again. Imported only when langchain-core is in use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from contextvars import ContextVar, Token
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from stategraph._constants import TAG_NOSTREAM
from stategraph.errors import GraphDrained, GraphInterrupt
from stategraph.pregel._messages import graph_namespace

try:
    from langchain_core.tracers._streaming import _StreamingCallbackHandler
except ImportError:  # pragma: no cover - older langchain-core
    _StreamingCallbackHandler = object  # type: ignore[assignment,misc]  # shim

T = TypeVar("T")
Writer = Callable[[Any], None]

tool_call_writer: ContextVar[Writer | None] = ContextVar(
    "stategraph_tool_call_writer", default=None
)
"""The running tool call's ``tool-output-delta`` writer (``None``: not streamed).

Set by ``StreamToolCallHandler`` while a tool runs; read by
``ToolRuntime.emit_output_delta``.
"""


class StreamToolCallHandler(BaseCallbackHandler, _StreamingCallbackHandler):  # type: ignore[type-arg]  # generic marker base
    """Streams the tool calls of the graph's nodes into ``tools`` mode.

    While a tool runs, ``ToolRuntime.emit_output_delta`` finds this call's
    writer in a context variable, so tool code streams partial output without
    being handed a writer.

    Args:
        stream: Puts one ``(namespace, "tools", payload)`` chunk.
        subgraphs: Also stream tools called inside subgraphs.
        parent_ns: Namespace of the graph that created the handler; its own
            tools stream even without ``subgraphs``.
    """

    run_inline = True
    """Run in the caller's thread, so chunks keep their order."""

    def __init__(
        self,
        stream: Callable[[Any], None],
        subgraphs: bool,
        *,
        parent_ns: tuple[str, ...] | None = None,
    ) -> None:
        self.stream = stream
        self.subgraphs = subgraphs
        self.parent_ns = parent_ns
        # on_tool_end/on_tool_error carry no tool_call_id: find it by run id.
        self._calls: dict[UUID, tuple[tuple[str, ...], str, Token[Writer | None]]] = {}

    def _namespace(
        self, metadata: dict[str, Any] | None, tags: list[str] | None
    ) -> tuple[str, ...] | None:
        """Namespace to report a call at, or ``None`` when it is not streamed."""
        if not metadata or (tags and TAG_NOSTREAM in tags):
            return None
        ns = (
            graph_namespace(metadata) if metadata.get("langgraph_checkpoint_ns") else ()
        )
        if ns and not self.subgraphs and ns != self.parent_ns:
            return None
        return ns

    def _put(self, ns: tuple[str, ...], payload: dict[str, Any]) -> None:
        self.stream((ns, "tools", payload))

    def on_tool_start(
        self,
        serialized: dict[str, Any],
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Report ``tool-started`` and install the call's delta writer."""
        ns = self._namespace(metadata, tags)
        if ns is None:
            return
        call_id = str(kwargs.get("tool_call_id") or run_id)
        name = (serialized or {}).get("name") or kwargs.get("name") or ""

        def write(delta: Any) -> None:
            self._put(
                ns,
                {"event": "tool-output-delta", "tool_call_id": call_id, "delta": delta},
            )

        self._calls[run_id] = (ns, call_id, tool_call_writer.set(write))
        payload: dict[str, Any] = {
            "event": "tool-started",
            "tool_call_id": call_id,
            "tool_name": name,
        }
        if inputs is not None:
            payload["input"] = inputs
        self._put(ns, payload)

    def _close(self, run_id: UUID) -> tuple[tuple[str, ...], str] | None:
        call = self._calls.pop(run_id, None)
        if call is None:
            return None
        ns, call_id, token = call
        # ValueError: ended in another context than it started in (a worker
        # thread without a copied context); the variable dies with that one.
        with suppress(ValueError):
            tool_call_writer.reset(token)
        return ns, call_id

    def on_tool_end(
        self,
        output: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """Report ``tool-finished`` with the tool's output."""
        call = self._close(run_id)
        if call is not None:
            ns, call_id = call
            self._put(
                ns,
                {"event": "tool-finished", "tool_call_id": call_id, "output": output},
            )

    def on_tool_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """Report ``tool-error``, unless the tool was interrupted (it will rerun)."""
        call = self._close(run_id)
        if call is None or isinstance(error, (GraphInterrupt, GraphDrained)):
            return
        ns, call_id = call
        self._put(
            ns, {"event": "tool-error", "tool_call_id": call_id, "message": str(error)}
        )

    def tap_output_aiter(
        self, run_id: UUID, output: AsyncIterator[T]
    ) -> AsyncIterator[T]:
        """Pass the output through (the streaming-handler protocol asks for it)."""
        return output

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        """Pass the output through (the streaming-handler protocol asks for it)."""
        return output


_tool_call_writer = tool_call_writer  # LangGraph's name for it
