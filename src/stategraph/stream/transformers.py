"""The built-in v3 stream transformers (LangGraph's ``langgraph.stream.transformers``).

``_TasksLifecycleBase`` is re-exported too: subclasses outside the package
build their own lifecycle views on it.
"""

from __future__ import annotations

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
from stategraph.stream._run_subgraph import SubgraphStatus as SubgraphStatus
from stategraph.stream._subgraphs import SubgraphTransformer as SubgraphTransformer

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
