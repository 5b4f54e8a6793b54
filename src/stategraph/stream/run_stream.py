"""Run-stream handles returned by ``stream_events(version="v3")``."""

from __future__ import annotations

from stategraph.stream._run_async import AsyncGraphRunStream as AsyncGraphRunStream
from stategraph.stream._run_subgraph import (
    AsyncSubgraphRunStream as AsyncSubgraphRunStream,
    SubgraphRunStream as SubgraphRunStream,
)
from stategraph.stream._run_sync import GraphRunStream as GraphRunStream

__all__ = (
    "AsyncGraphRunStream",
    "AsyncSubgraphRunStream",
    "GraphRunStream",
    "SubgraphRunStream",
)
