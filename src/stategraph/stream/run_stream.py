"""Run-stream handles returned by ``stream_events(version="v3")``."""

from __future__ import annotations

from stategraph.stream._convert import (
    convert_to_protocol_event as convert_to_protocol_event,
)
from stategraph.stream._mux import StreamMux as StreamMux
from stategraph.stream._run_async import AsyncGraphRunStream as AsyncGraphRunStream
from stategraph.stream._run_subgraph import (
    AsyncSubgraphRunStream as AsyncSubgraphRunStream,
    SubgraphRunStream as SubgraphRunStream,
)
from stategraph.stream._run_sync import GraphRunStream as GraphRunStream
from stategraph.stream._types import ProtocolEvent as ProtocolEvent

__all__ = (
    "AsyncGraphRunStream",
    "AsyncSubgraphRunStream",
    "GraphRunStream",
    "SubgraphRunStream",
)
