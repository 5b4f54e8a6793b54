"""Graph lifecycle callbacks (LangGraph's ``langgraph.callbacks``).

Needs langchain-core.
"""

from stategraph._graph_callbacks import (
    GraphCallbackHandler as GraphCallbackHandler,
    GraphInterruptEvent as GraphInterruptEvent,
    GraphLifecycleEvent as GraphLifecycleEvent,
    GraphLifecycleStatus as GraphLifecycleStatus,
    GraphResumeEvent as GraphResumeEvent,
    _AsyncGraphCallbackManager as _AsyncGraphCallbackManager,
    _GraphCallbackManager as _GraphCallbackManager,
    get_async_graph_callback_manager_for_config as get_async_graph_callback_manager_for_config,  # noqa: E501
    get_sync_graph_callback_manager_for_config as get_sync_graph_callback_manager_for_config,  # noqa: E501
)

__all__ = (
    "GraphCallbackHandler",
    "GraphInterruptEvent",
    "GraphLifecycleEvent",
    "GraphLifecycleStatus",
    "GraphResumeEvent",
    "get_async_graph_callback_manager_for_config",
    "get_sync_graph_callback_manager_for_config",
)
