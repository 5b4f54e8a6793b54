"""The ``Runtime`` injected into nodes, and ``get_runtime``."""

from stategraph._runtime import (
    BaseUser as BaseUser,
    ExecutionInfo as ExecutionInfo,
    RunControl as RunControl,
    Runtime as Runtime,
    ServerInfo as ServerInfo,
    get_runtime as get_runtime,
)

__all__ = (
    "BaseUser",
    "ExecutionInfo",
    "RunControl",
    "Runtime",
    "ServerInfo",
    "get_runtime",
)
