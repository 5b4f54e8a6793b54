"""The ``Runtime`` injected into nodes, and ``get_runtime``."""

from stategraph._runtime import (
    BaseUser as BaseUser,
    ExecutionInfo as ExecutionInfo,
    RunControl as RunControl,
    Runtime as Runtime,
    ServerInfo as ServerInfo,
    get_runtime as get_runtime,
)

DEFAULT_RUNTIME: Runtime[None] = Runtime()
"""A runtime with nothing attached: no context, store, execution info or control;
writes and heartbeats go nowhere."""

__all__ = (
    "DEFAULT_RUNTIME",
    "BaseUser",
    "ExecutionInfo",
    "RunControl",
    "Runtime",
    "ServerInfo",
    "get_runtime",
)
