"""The v3 event-stream protocol: ``graph.stream_events(input, version="v3")``.

A run's stream parts become ``ProtocolEvent``s that flow through a pipeline of
``StreamTransformer``s; each transformer publishes projections
(``run.values``, ``run.subgraphs``, ``run.lifecycle``...) that the caller reads
to drive the run. Add transformers at ``compile(transformers=[...])`` or per
call with ``stream_events(..., transformers=[...])``.
"""

from __future__ import annotations

from stategraph.stream._channel import StreamChannel as StreamChannel
from stategraph.stream._lifecycle import (
    LifecyclePayload as LifecyclePayload,
    LifecycleTransformer as LifecycleTransformer,
)
from stategraph.stream._projections import (
    CheckpointsTransformer as CheckpointsTransformer,
    CustomTransformer as CustomTransformer,
    DebugTransformer as DebugTransformer,
    TasksTransformer as TasksTransformer,
    UpdatesTransformer as UpdatesTransformer,
)
from stategraph.stream._run_async import AsyncGraphRunStream as AsyncGraphRunStream
from stategraph.stream._run_subgraph import (
    AsyncSubgraphRunStream as AsyncSubgraphRunStream,
    SubgraphRunStream as SubgraphRunStream,
    SubgraphStatus as SubgraphStatus,
)
from stategraph.stream._run_sync import GraphRunStream as GraphRunStream
from stategraph.stream._subgraphs import SubgraphTransformer as SubgraphTransformer
from stategraph.stream._types import (
    ProtocolEvent as ProtocolEvent,
    StreamTransformer as StreamTransformer,
)

__all__ = (
    "AsyncGraphRunStream",
    "AsyncSubgraphRunStream",
    "CheckpointsTransformer",
    "CustomTransformer",
    "DebugTransformer",
    "GraphRunStream",
    "LifecyclePayload",
    "LifecycleTransformer",
    "ProtocolEvent",
    "StreamChannel",
    "StreamTransformer",
    "SubgraphRunStream",
    "SubgraphStatus",
    "SubgraphTransformer",
    "TasksTransformer",
    "UpdatesTransformer",
)
