"""``Pregel``'s thread-state and structure methods.

``get_state``/``get_state_history``/``update_state`` (and their async and
bulk forms) hand the engine's state generators (``_state``) to a driver;
``get_subgraphs`` walks subgraph nodes; ``clear_cache`` drops cached writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from stategraph._constants import NS_SEP
from stategraph._engine import _async, _sync
from stategraph.pregel import _state


class StateMethods:
    """Mixin of ``Pregel``: reads and updates of a thread's state."""

    nodes: dict[str, Any]
    cache: Any

    def get_state(self, config: Any, *, subgraphs: bool = False) -> Any:
        """The ``StateSnapshot`` of a thread (latest, or at ``checkpoint_id``)."""
        gen, saver = _state.get_state(self, config, subgraphs=subgraphs)
        return _sync.run_to_end(gen, saver)

    async def aget_state(self, config: Any, *, subgraphs: bool = False) -> Any:
        """Async version of ``get_state``."""
        gen, saver = _state.get_state(self, config, subgraphs=subgraphs)
        return await _async.run_to_end(gen, saver)

    def get_state_history(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> Iterator[Any]:
        """The thread's snapshots, newest first."""
        gen, saver = _state.get_history(self, config, filter, before, limit)
        yield from _sync.run_to_end(gen, saver)

    async def aget_state_history(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> AsyncIterator[Any]:
        """Async version of ``get_state_history``."""
        gen, saver = _state.get_history(self, config, filter, before, limit)
        for snapshot in await _async.run_to_end(gen, saver):
            yield snapshot

    def update_state(
        self,
        config: Any,
        values: Any,
        as_node: str | None = None,
        task_id: str | None = None,
    ) -> Any:
        """Apply ``values`` as if node ``as_node`` wrote them; return the new config."""
        from stategraph._types import StateUpdate

        return self.bulk_update_state(config, [[StateUpdate(values, as_node, task_id)]])

    async def aupdate_state(
        self,
        config: Any,
        values: Any,
        as_node: str | None = None,
        task_id: str | None = None,
    ) -> Any:
        """Async version of ``update_state``."""
        from stategraph._types import StateUpdate

        return await self.abulk_update_state(
            config, [[StateUpdate(values, as_node, task_id)]]
        )

    def bulk_update_state(
        self, config: Any, supersteps: Sequence[Sequence[Any]]
    ) -> Any:
        """Apply several supersteps of updates; return the config of the last."""
        gen, saver = _state.bulk_update(self, config, supersteps, is_async=False)
        return _sync.run_to_end(gen, saver)

    async def abulk_update_state(
        self, config: Any, supersteps: Sequence[Sequence[Any]]
    ) -> Any:
        """Async version of ``bulk_update_state``."""
        gen, saver = _state.bulk_update(self, config, supersteps, is_async=True)
        return await _async.run_to_end(gen, saver)

    # -- structure --------------------------------------------------------------

    def get_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> Iterator[tuple[str, Any]]:
        """Yield ``(namespace, graph)`` for subgraphs used as nodes."""
        for name, node in self.nodes.items():
            if namespace is not None and not namespace.startswith(name):
                continue
            for graph in node.subgraphs:
                if namespace is not None and namespace == name:
                    yield name, graph
                    return
                if namespace is None:
                    yield name, graph
                if recurse and isinstance(graph, StateMethods):
                    rest = None
                    if namespace is not None:
                        rest = namespace[len(name) + 1 :]
                    for sub_ns, sub in graph.get_subgraphs(
                        namespace=rest, recurse=True
                    ):
                        yield f"{name}{NS_SEP}{sub_ns}", sub

    async def aget_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> AsyncIterator[tuple[str, Any]]:
        """Async version of ``get_subgraphs``."""
        for item in self.get_subgraphs(namespace=namespace, recurse=recurse):
            yield item

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Drop cached node results (of ``nodes``, or all)."""
        if self.cache is None:
            raise ValueError("No cache is set for this graph. Cannot clear cache.")
        self.cache.clear(_cache_namespaces(self, nodes))

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Async version of ``clear_cache``."""
        if self.cache is None:
            raise ValueError("No cache is set for this graph. Cannot clear cache.")
        await self.cache.aclear(_cache_namespaces(self, nodes))


def _cache_namespaces(graph: Any, nodes: Sequence[str] | None) -> list[tuple[str, ...]]:
    from stategraph._constants import CACHE_NS_WRITES

    names = nodes if nodes is not None else list(graph.nodes)
    return [
        (CACHE_NS_WRITES, graph.nodes[n].cache_identity, n)
        for n in names
        if n in graph.nodes and graph.nodes[n].cache_policy is not None
    ]
