"""Load one LangGraph-compatible library by its top-level package name.

The differential tests build the same program twice, once with the reference
(``langgraph``) and once with the library under test (``stategraph``), by going
through a ``Lib`` object instead of importing names directly.  Names resolve
lazily so that a module the library does not have yet only fails the tests that
use it.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

REFERENCE = "langgraph"

# public name -> submodule (relative to the top-level package) that exports it
_WHERE: dict[str, str] = {
    "StateGraph": "graph",
    "START": "graph",
    "END": "graph",
    "add_messages": "graph.message",
    "MessagesState": "graph.message",
    "Send": "types",
    "Command": "types",
    "interrupt": "types",
    "Interrupt": "types",
    "RetryPolicy": "types",
    "CachePolicy": "types",
    "StateSnapshot": "types",
    "StateUpdate": "types",
    "PregelTask": "types",
    "Overwrite": "types",
    "GraphOutput": "types",
    "InMemorySaver": "checkpoint.memory",
    "entrypoint": "func",
    "task": "func",
    "InMemoryCache": "cache.memory",
    "InMemoryStore": "store.memory",
    "GraphRecursionError": "errors",
    "InvalidUpdateError": "errors",
    "EmptyInputError": "errors",
    "GraphInterrupt": "errors",
    "ParentCommand": "errors",
    "get_stream_writer": "config",
    "get_config": "config",
    "get_store": "config",
    "Runtime": "runtime",
    "RemainingSteps": "managed",
    "IsLastStep": "managed",
}


class Lib:
    """Namespace of one library's public names, resolved on first use.

    Args:
        name: top-level package, ``"langgraph"`` or ``"stategraph"``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._cache: dict[str, Any] = {}

    def module(self, sub: str) -> Any:
        """Import ``<name>.<sub>``."""
        return importlib.import_module(f"{self.name}.{sub}")

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        cache = self.__dict__["_cache"]
        if attr not in cache:
            where = _WHERE.get(attr)
            if where is None:
                raise AttributeError(f"Lib has no mapping for {attr!r}")
            cache[attr] = getattr(self.module(where), attr)
        return cache[attr]

    def __repr__(self) -> str:
        return f"Lib({self.name!r})"


def sut_name() -> str:
    """Top-level package of the library under test (env ``SG_DIFF_LIB``)."""
    return os.environ.get("SG_DIFF_LIB", "stategraph")


def is_self_check() -> bool:
    """Whether the library under test is the reference itself."""
    return sut_name() == REFERENCE
