"""``stream_mode="messages"``: chat-model tokens, as a LangChain callback handler.

Messages that nodes return are emitted by the engine (``_engine/_messages``);
this handler adds what chat models called inside nodes produce: each token
chunk as it arrives, or the whole message when the model did not stream.
Both share one set of seen message ids, so a streamed message is not emitted
again when the node returns it. Imported only when langchain-core is in use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar, cast
from uuid import UUID, uuid4

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, LLMResult

from stategraph._constants import NS_SEP, PUSH, TAG_NOSTREAM
from stategraph.pregel.debug import filter_to_user_tags

try:
    from langchain_core.tracers._streaming import _StreamingCallbackHandler
except ImportError:  # pragma: no cover - older langchain-core
    _StreamingCallbackHandler = object  # type: ignore[assignment,misc]  # shim

try:
    from langchain_core.tracers._streaming import _V2StreamingCallbackHandler
except ImportError:  # pragma: no cover - older langchain-core
    _V2StreamingCallbackHandler = object  # type: ignore[assignment,misc]  # shim

T = TypeVar("T")
Meta = tuple[tuple[str, ...], dict[str, Any]]


def graph_namespace(metadata: Mapping[str, Any]) -> tuple[str, ...]:
    """Namespace of the graph a task runs in, from the task's run metadata.

    Drops the task's own segment, and one more per enclosing task call: a call
    runs in its caller's graph but nests its segment under the caller's.
    """
    ns = tuple(cast(str, metadata["langgraph_checkpoint_ns"]).split(NS_SEP))
    path = metadata.get("langgraph_path", ())
    drop = 1
    while len(path) == 4 and path[0] == PUSH and path[-1] is True:
        drop += 1
        path = path[1]
    return ns[:-drop]


class StreamMessagesHandler(BaseCallbackHandler, _StreamingCallbackHandler):  # type: ignore[type-arg]  # generic marker base
    """Streams chat-model output of the graph's nodes into ``messages`` mode.

    Args:
        stream: Puts one ``(namespace, "messages", (message, metadata))`` chunk.
        subgraphs: Also stream models called inside subgraphs.
        parent_ns: Namespace of the graph that created the handler.
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
        self.metadata: dict[UUID, Meta] = {}
        self.seen: set[int | str] = set()

    def _emit(self, meta: Meta, message: BaseMessage, *, dedupe: bool = False) -> None:
        if dedupe and message.id in self.seen:
            return
        if message.id is None:
            message.id = str(uuid4())
        self.seen.add(message.id)
        self.stream((meta[0], "messages", (message, meta[1])))

    def tap_output_aiter(self, run_id: UUID, output: Any) -> Any:
        """Pass streamed output through unchanged (streaming handler protocol)."""
        return output

    def tap_output_iter(self, run_id: UUID, output: Iterator[T]) -> Iterator[T]:
        """Pass streamed output through unchanged (streaming handler protocol)."""
        return output

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Remember which node (and graph) a chat model runs in."""
        if not metadata or "langgraph_checkpoint_ns" not in metadata:
            return
        if tags and TAG_NOSTREAM in tags:
            return
        ns = graph_namespace(metadata)
        if not self.subgraphs and len(ns) > 0 and ns != self.parent_ns:
            return
        if (user_tags := filter_to_user_tags(tags)) is not None:
            metadata["tags"] = user_tags
        self.metadata[run_id] = (ns, metadata)

    def on_llm_new_token(
        self,
        token: Any,
        *,
        chunk: Any = None,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Emit one token chunk of a streaming chat model."""
        if not isinstance(chunk, ChatGenerationChunk):
            return
        if meta := self.metadata.get(run_id):
            self._emit(meta, chunk.message)

    def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """Emit the whole message of a model that did not stream it."""
        meta = self.metadata.get(run_id)
        if meta and response.generations and response.generations[0]:
            gen = response.generations[0][0]
            if isinstance(gen, ChatGeneration):
                self._emit(meta, gen.message, dedupe=True)
        self.metadata.pop(run_id, None)

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """Forget a model run that failed."""
        self.metadata.pop(run_id, None)


class StreamMessagesHandlerV2(StreamMessagesHandler, _V2StreamingCallbackHandler):
    """The handler ``stream_events(version="v3")`` uses: protocol events, no chunks.

    Its ``_V2StreamingCallbackHandler`` base makes chat models report content
    block events (``on_stream_event``) instead of token chunks.
    """

    def __init__(
        self,
        stream: Callable[[Any], None],
        subgraphs: bool,
        *,
        parent_ns: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(stream, subgraphs, parent_ns=parent_ns)
        self._streamed_run_ids: set[UUID] = set()

    def on_llm_new_token(self, token: Any, *, chunk: Any = None, **kwargs: Any) -> Any:
        """Token chunks are not part of the v2 messages protocol."""

    def on_llm_end(
        self,
        response: LLMResult,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """Emit a model's message unless its events were streamed already."""
        meta = self.metadata.get(run_id)
        if meta and response.generations and response.generations[0]:
            gen = response.generations[0][0]
            if isinstance(gen, ChatGeneration):
                if run_id in self._streamed_run_ids:
                    if gen.message.id is None:
                        gen.message.id = str(uuid4())
                    self.seen.add(gen.message.id)
                else:
                    self._emit(meta, gen.message, dedupe=True)
        self._streamed_run_ids.discard(run_id)
        self.metadata.pop(run_id, None)

    def on_llm_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> Any:
        """Forget a model run that failed."""
        self._streamed_run_ids.discard(run_id)
        self.metadata.pop(run_id, None)

    def on_stream_event(
        self,
        event: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Forward one protocol event of a chat model as a ``messages`` part."""
        if meta := self.metadata.get(run_id):
            if event.get("event") == "message-start":
                self._streamed_run_ids.add(run_id)
                if msg_id := event.get("message_id"):
                    self.seen.add(msg_id)
            self.stream(
                (meta[0], "messages", (event, {**meta[1], "run_id": str(run_id)}))
            )
