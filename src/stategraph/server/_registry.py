"""The graphs a server serves, by graph id, and their system assistants' ids.

A graph id names either a compiled graph, a ``StateGraph`` builder (compiled
once here), or a factory called per use with the run's config. The registry
hands out graphs bound to the server's checkpointer; it stores nothing else.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid5

#: Namespace of LangGraph's system assistant ids: ``uuid5(NS, graph_id)``.
ASSISTANT_NAMESPACE = UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def system_assistant_id(graph_id: str) -> str:
    """The id LangGraph gives the assistant it creates for ``graph_id``."""
    return str(uuid5(ASSISTANT_NAMESPACE, graph_id))


def _is_graph(value: Any) -> bool:
    return hasattr(value, "astream") and hasattr(value, "aget_state")


class GraphRegistry:
    """Graph id to graph (or factory), bound to one checkpointer.

    Args:
        graphs: Graph id to a compiled graph, builder or factory.
        checkpointer: The saver every served graph persists to.
        store: The store every served graph gets as ``runtime.store``.
    """

    def __init__(
        self, graphs: Mapping[str, Any], *, checkpointer: Any, store: Any = None
    ) -> None:
        self.checkpointer = checkpointer
        self.store = store
        self._graphs: dict[str, Any] = {}
        for graph_id, value in graphs.items():
            if not _is_graph(value) and hasattr(value, "compile"):
                value = value.compile()
            if not _is_graph(value) and not callable(value):
                raise TypeError(
                    f"graph {graph_id!r}: {value!r} is neither a compiled graph,"
                    " a StateGraph nor a factory function"
                )
            self._graphs[graph_id] = value

    def __contains__(self, graph_id: object) -> bool:
        return graph_id in self._graphs

    def ids(self) -> list[str]:
        """Graph ids in registration order."""
        return list(self._graphs)

    async def get(self, graph_id: str, config: Mapping[str, Any] | None = None) -> Any:
        """The graph, bound to the server's checkpointer and store.

        Raises:
            KeyError: When no graph has that id.
        """
        value = self._graphs[graph_id]
        if not _is_graph(value):
            value = await _call_factory(value, config or {})
        # The server's store replaces the graph's own, as in LangGraph's server:
        # nodes and /store must see the same items.
        return value.copy({"checkpointer": self.checkpointer, "store": self.store})

    def display_name(self, graph_id: str) -> str:
        """The system assistant's name: the graph's own name if it set one."""
        value = self._graphs[graph_id]
        name = getattr(value, "name", None) if _is_graph(value) else None
        return name if isinstance(name, str) and name != "LangGraph" else graph_id


async def _call_factory(factory: Any, config: Mapping[str, Any]) -> Any:
    params = inspect.signature(factory).parameters
    result = factory(dict(config)) if params else factory()
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "compile") and not _is_graph(result):
        result = result.compile()
    if not _is_graph(result):
        raise TypeError(f"graph factory {factory!r} returned {result!r}, not a graph")
    return result
