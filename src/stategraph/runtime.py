"""The ``Runtime`` injected into nodes, and ``get_runtime``."""

from stategraph._runtime import (
    ExecutionInfo as ExecutionInfo,
    Runtime as Runtime,
    ServerInfo as ServerInfo,
    get_runtime as get_runtime,
)

__all__ = ("Runtime", "get_runtime", "ExecutionInfo", "ServerInfo")
