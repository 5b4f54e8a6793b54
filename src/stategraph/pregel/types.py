"""Deprecated location of ``stategraph.types`` names (LangGraph's ``pregel.types``)."""

from warnings import warn

from stategraph.types import (
    All as All,
    CachePolicy as CachePolicy,
    PregelExecutableTask as PregelExecutableTask,
    PregelTask as PregelTask,
    RetryPolicy as RetryPolicy,
    StateSnapshot as StateSnapshot,
    StateUpdate as StateUpdate,
    StreamMode as StreamMode,
    StreamWriter as StreamWriter,
    default_retry_on as default_retry_on,
)
from stategraph.warnings import LangGraphDeprecatedSinceV10

__all__ = [
    "All",
    "StateUpdate",
    "CachePolicy",
    "PregelExecutableTask",
    "PregelTask",
    "RetryPolicy",
    "StateSnapshot",
    "StreamMode",
    "StreamWriter",
    "default_retry_on",
]

warn(
    "Importing from stategraph.pregel.types is deprecated. "
    "Please use 'from stategraph.types import ...' instead.",
    LangGraphDeprecatedSinceV10,
    stacklevel=2,
)
