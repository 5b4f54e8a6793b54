"""Engine stream chunks to API frames: event names and payload shapes.

``messages-tuple`` goes out as event ``messages`` with ``[chunk, metadata]``;
the legacy ``messages`` mode as ``messages/metadata``, ``messages/partial``
(the message accumulated so far) and ``messages/complete``; subgraph events
get ``|ns`` suffixes. Encoding to bytes is left to the caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from stategraph.server._thread_state import checkpoint_json


def _message_id(message: Any) -> Any:
    if isinstance(message, dict):
        return message.get("id")
    return getattr(message, "id", None)


class FrameTranslator:
    """Turns one run's engine chunks into ``(event, data)`` pairs.

    Args:
        requested: The stream modes the client asked for (API names).
        subgraphs: Whether subgraph chunks are streamed.
    """

    def __init__(self, requested: Sequence[str], *, subgraphs: bool) -> None:
        self.requested = frozenset(requested)
        self.subgraphs = subgraphs
        # ``values`` is always streamed: /wait answers with the last one.
        engine = ["values"]
        for mode in requested:
            if mode == "events":  # LangChain callbacks, not an engine mode
                continue
            name = "messages" if mode in ("messages", "messages-tuple") else mode
            if name not in engine:
                engine.append(name)
        self.engine_modes = engine
        self._messages: dict[Any, Any] = {}

    def translate(
        self, ns: Sequence[str], mode: str, payload: Any
    ) -> Iterator[tuple[str, Any]]:
        """The frames one engine chunk becomes (none if it was not asked for)."""
        suffix = "".join(f"|{part}" for part in ns)
        if mode == "messages" and isinstance(payload, dict):
            # A protocol run's content-block event goes out as it is.
            yield f"messages{suffix}", payload
            return
        if mode == "messages":
            message, metadata = payload
            # Asked for both, LangGraph's server sends the tuple form only.
            if "messages-tuple" in self.requested:
                yield f"messages{suffix}", [message, metadata]
            else:
                yield from self._legacy(message, metadata, suffix)
            return
        if mode not in self.requested:
            return
        if mode == "debug":
            payload = _debug_payload(payload)
        yield f"{mode}{suffix}", payload

    def _legacy(
        self, message: Any, metadata: Any, suffix: str
    ) -> Iterator[tuple[str, Any]]:
        msg_id = _message_id(message)
        if msg_id not in self._messages:
            yield f"messages/metadata{suffix}", {msg_id: {"metadata": metadata}}
        if not type(message).__name__.endswith("Chunk"):
            self._messages[msg_id] = message
            yield f"messages/complete{suffix}", [message]
            return
        # A chunk is a langchain object, so langchain is already imported.
        from langchain_core.messages import message_chunk_to_message

        seen = self._messages.get(msg_id)
        merged = message if seen is None else seen + message
        self._messages[msg_id] = merged
        # The partial message is the whole message so far, as a plain message.
        yield f"messages/partial{suffix}", [message_chunk_to_message(merged)]


def _debug_payload(event: Any) -> Any:
    """Checkpoint debug events also carry wire-form checkpoints, as the API adds."""
    if not isinstance(event, dict) or event.get("type") != "checkpoint":
        return event
    payload = dict(event.get("payload") or {})
    payload["checkpoint"] = checkpoint_json(payload.get("config"))
    payload["parent_checkpoint"] = checkpoint_json(payload.get("parent_config"))
    return {**event, "payload": payload}
