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
