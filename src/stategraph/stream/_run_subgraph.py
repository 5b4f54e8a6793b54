"""Handles of subgraphs discovered during a v3 run (``run.subgraphs``).

A handle is a run stream over a child mini-mux; it never pulls from a graph
itself but forwards reads to the root run's pump.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from stategraph.stream._run_async import AsyncGraphRunStream
from stategraph.stream._run_sync import GraphRunStream

if TYPE_CHECKING:
    from stategraph.stream._mux import StreamMux

__all__ = ("AsyncSubgraphRunStream", "SubgraphRunStream", "SubgraphStatus")

SubgraphStatus = Literal["started", "completed", "failed", "interrupted", "drained"]


class _SubgraphFields:
    """Where the subgraph runs and how it ended (set by ``SubgraphTransformer``).

    Attributes:
        path: Namespace of the subgraph, one ``name:task_id`` per level.
        graph_name: Name of the node (or agent) that ran it.
        trigger_call_id: Id of the parent task that ran it.
        status: ``"started"`` until the parent task's result arrives.
        error: The error text of a failed subgraph.
    """

    path: tuple[str, ...]
    graph_name: str | None
    trigger_call_id: str | None
    status: SubgraphStatus
    error: str | None
    _seen_terminal: bool

    def _set_fields(
        self,
        path: tuple[str, ...],
        graph_name: str | None,
        trigger_call_id: str | None,
    ) -> None:
        self.path = path
        self.graph_name = graph_name
        self.trigger_call_id = trigger_call_id
        self.status = "started"
        self.error = None
        self._seen_terminal = False


class SubgraphRunStream(GraphRunStream, _SubgraphFields):
    """Sync handle of one subgraph; its projections cover that subgraph only.

    Args:
        mux: The subgraph's mini-mux (already bound to the root's pump).
        path: Namespace of the subgraph.
        graph_name: Name of the node (or agent) that ran it.
        trigger_call_id: Id of the parent task that ran it.
    """

    def __init__(
        self,
        mux: StreamMux,
        *,
        path: tuple[str, ...],
        graph_name: str | None = None,
        trigger_call_id: str | None = None,
    ) -> None:
        self._parent_pump_fn = mux._pump_fn
        super().__init__(graph_iter=None, mux=mux, wire_pump=False)
        self._set_fields(path, graph_name, trigger_call_id)

    def _pump_next(self) -> bool:
        """Advance the root run, unless this subgraph is already over."""
        if (
            self._exhausted
            or self._seen_terminal
            or self._mux._events._closed
            or self._parent_pump_fn is None
        ):
            return False
        return self._parent_pump_fn()


class AsyncSubgraphRunStream(AsyncGraphRunStream, _SubgraphFields):
    """Async handle of one subgraph; see ``SubgraphRunStream``.

    Args:
        mux: The subgraph's mini-mux (already bound to the root's pump).
        path: Namespace of the subgraph.
        graph_name: Name of the node (or agent) that ran it.
        trigger_call_id: Id of the parent task that ran it.
    """

    def __init__(
        self,
        mux: StreamMux,
        *,
        path: tuple[str, ...],
        graph_name: str | None = None,
        trigger_call_id: str | None = None,
    ) -> None:
        self._parent_apump_fn = mux._apump_fn
        super().__init__(graph_aiter=None, mux=mux, wire_pump=False)
        self._set_fields(path, graph_name, trigger_call_id)

    async def _apump_next(self) -> bool:
        """Advance the root run, unless this subgraph is already over."""
        if (
            self._exhausted
            or self._seen_terminal
            or self._mux._events._closed
            or self._parent_apump_fn is None
        ):
            return False
        return await self._parent_apump_fn()
