"""The built-in v3 stream transformers (LangGraph's ``langgraph.stream.transformers``).

``_TasksLifecycleBase`` is re-exported too: subclasses outside the package
build their own lifecycle views on it. The base class, event type, errors and
run-stream classes LangGraph's module imports are importable here as well.
"""

from __future__ import annotations

from stategraph.errors import (
    GraphDrained as GraphDrained,
    GraphInterrupt as GraphInterrupt,
)
from stategraph.stream._channel import StreamChannel as StreamChannel
from stategraph.stream._lifecycle import (
    LifecyclePayload as LifecyclePayload,
    LifecycleTransformer as LifecycleTransformer,
    _TasksLifecycleBase as _TasksLifecycleBase,
)
from stategraph.stream._messages import MessagesTransformer as MessagesTransformer
from stategraph.stream._projections import (
    CheckpointsTransformer as CheckpointsTransformer,
    CustomTransformer as CustomTransformer,
    DebugTransformer as DebugTransformer,
    TasksTransformer as TasksTransformer,
    UpdatesTransformer as UpdatesTransformer,
    ValuesTransformer as ValuesTransformer,
)
from stategraph.stream._run_subgraph import (
    AsyncSubgraphRunStream as AsyncSubgraphRunStream,
    SubgraphRunStream as SubgraphRunStream,
    SubgraphStatus as SubgraphStatus,
)
from stategraph.stream._subgraphs import SubgraphTransformer as SubgraphTransformer
from stategraph.stream._types import (
    ProtocolEvent as ProtocolEvent,
    StreamTransformer as StreamTransformer,
)

__all__ = (
    "CheckpointsTransformer",
    "CustomTransformer",
    "DebugTransformer",
    "LifecyclePayload",
    "LifecycleTransformer",
    "MessagesTransformer",
    "SubgraphStatus",
    "SubgraphTransformer",
    "TasksTransformer",
    "UpdatesTransformer",
    "ValuesTransformer",
)
