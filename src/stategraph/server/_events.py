"""A run's engine chunks: from ``astream``, or ``astream_events`` for ``events``.

A run asking for the ``events`` stream mode is driven by the graph's
LangChain ``astream_events(version="v2")``, as LangGraph's server does: the
root run's own ``on_chain_stream`` events carry the other modes' chunks,
every other event is passed on whole as an ``events`` chunk. This module
only sources chunks; naming and encoding frames is ``_frames``'s job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from uuid import UUID

#: Chunks are ``(namespace, mode, payload)`` whether or not subgraphs stream.
Chunk = tuple[tuple[str, ...], str, Any]

#: Runs tagged so are LangSmith-internal; LangGraph's server never streams them.
_HIDDEN_TAG = "langsmith:hidden"


async def graph_chunks(
    graph: Any,
    graph_input: Any,
    config: Mapping[str, Any],
    stream_kwargs: dict[str, Any],
    *,
    events: bool,
) -> AsyncIterator[Chunk]:
    """The run's chunks, with ``events`` ones when ``events`` is set.

    Args:
        graph: The compiled graph.
        graph_input: Its input (or ``Command``).
        config: The run's config; ``configurable.run_id`` names the run.
        stream_kwargs: ``astream`` keyword arguments (``stream_mode`` etc.).
        events: Whether the client asked for the ``events`` mode.

    Yields:
        ``(namespace, mode, payload)``; ``events`` chunks have an empty
        namespace and the LangChain event dict as payload.
    """
    subgraphs = bool(stream_kwargs.get("subgraphs"))
    if not events:
        async for chunk in graph.astream(graph_input, dict(config), **stream_kwargs):
            yield chunk if subgraphs else ((), *chunk)
        return
    run_id = str(config["configurable"]["run_id"])
    # The root run gets the API run's id, so its stream events can be told
    # apart from those of nodes and subgraphs (which are "events" themselves).
    traced = {**config, "run_id": UUID(run_id)}
    stream = graph.astream_events(graph_input, traced, version="v2", **stream_kwargs)
    async for event in stream:
        if _HIDDEN_TAG in (event.get("tags") or ()):
            continue
        if event["event"] == "on_chain_stream" and event["run_id"] == run_id:
            chunk = event["data"]["chunk"]
            yield chunk if subgraphs else ((), *chunk)
        else:
            yield (), "events", event


async def protocol_chunks(
    graph: Any,
    graph_input: Any,
    config: Mapping[str, Any],
    stream_kwargs: dict[str, Any],
) -> AsyncIterator[Chunk]:
    """The chunks of a run started by a v3 protocol command.

    As LangGraph's server runs such a run through the v3 stream, chat models
    report content-block events (``message-start``, ``content-block-delta``
    ...) instead of token chunks; each ``messages`` chunk is that event, and
    messages nodes merely return are left out (the protocol carries model
    output only). Interrupts go back into ``values`` as ``__interrupt__``.
    """
    from stategraph._config import patch_configurable
    from stategraph._constants import CONFIG_KEY_STREAM_MESSAGES_V2

    patched = patch_configurable(dict(config), {CONFIG_KEY_STREAM_MESSAGES_V2: True})
    kwargs = {**stream_kwargs, "subgraphs": True, "version": "v2"}
    messages = _MessageIds()
    async for part in graph.astream(graph_input, patched, **kwargs):
        mode, data = part["type"], part["data"]
        if mode == "values" and part.get("interrupts") and isinstance(data, dict):
            data = {**data, "__interrupt__": list(part["interrupts"])}
        elif mode == "messages":
            data = messages.event(data)
            if data is None:
                continue
        yield tuple(part["ns"]), mode, data


class _MessageIds:
    """Stamps each chat model's events with its message's id.

    Only ``message-start`` names the message; the SDK routes the events that
    follow by id when several models stream at once, so each event gets the
    id of its model run's message.
    """

    def __init__(self) -> None:
        self._by_run: dict[str, Any] = {}

    def event(self, data: Any) -> dict[str, Any] | None:
        """The wire event of one ``(payload, metadata)`` chunk, or ``None``."""
        payload, metadata = data
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            return None  # a whole message a node returned
        run = str(metadata.get("run_id", ""))
        if payload["event"] == "message-start":
            message_id = payload.get("id") or payload.get("message_id") or run
            self._by_run[run] = message_id
            node = metadata.get("langgraph_node")
            return {**payload, "id": message_id, "metadata": {"langgraph_node": node}}
        message_id = self._by_run.get(run)
        if payload["event"] in ("message-finish", "error"):
            self._by_run.pop(run, None)
        if message_id is None or "id" in payload:
            return payload
        return {**payload, "id": message_id}
