"""``SubgraphTransformer``: ``run.subgraphs``, one navigable handle per child.

Owns building a mini-mux per direct child subgraph and forwarding the
child's events into it; grandchildren are found by the child's own copy.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from stategraph.stream._channel import StreamChannel
from stategraph.stream._lifecycle import (
    _status_from_exception,
    _TasksLifecycleBase,
)
from stategraph.stream._run_subgraph import (
    AsyncSubgraphRunStream,
    SubgraphRunStream,
    SubgraphStatus,
)
from stategraph.stream._types import ProtocolEvent

if TYPE_CHECKING:
    from stategraph.stream._mux import StreamMux

__all__ = ("SubgraphTransformer",)

_logger = logging.getLogger(__name__)

_Handle = SubgraphRunStream | AsyncSubgraphRunStream


class SubgraphTransformer(_TasksLifecycleBase):
    """``run.subgraphs``: a run-stream handle for each direct child subgraph.

    Read ``handle.values``, ``handle.messages``, ``handle.subgraphs`` ... in
    the loop body that received the handle, before reading on: projections
    buffer only once subscribed.
    """

    _native = True
    supports_sync = True

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        super().__init__(scope)
        self._log: StreamChannel[_Handle] = StreamChannel()
        self._handles: dict[tuple[str, ...], _Handle] = {}
        self._mux: StreamMux | None = None

    def init(self) -> dict[str, Any]:
        """Publish the ``subgraphs`` channel."""
        return {"subgraphs": self._log}

    def _on_register(self, mux: Any) -> None:
        self._mux = mux

    def _should_track(self, ns: tuple[str, ...]) -> bool:
        depth = len(self.scope)
        return len(ns) == depth + 1 and ns[:depth] == self.scope

    def _on_started(
        self, ns: tuple[str, ...], graph_name: str | None, trigger_call_id: str | None
    ) -> None:
        if self._mux is None:
            return
        try:
            child_mux = self._mux._make_child(ns)
        except RuntimeError:
            return
        handle_cls = AsyncSubgraphRunStream if child_mux.is_async else SubgraphRunStream
        handle = handle_cls(
            child_mux, path=ns, graph_name=graph_name, trigger_call_id=trigger_call_id
        )
        self._handles[ns] = handle
        self._log.push(handle)

    def _on_terminal(
        self, ns: tuple[str, ...], status: SubgraphStatus, error: str | None
    ) -> None:
        handle = self._handles.get(ns)
        if handle is not None and self._mark_terminal(handle, status, error):
            self._close_or_fail_handle(handle, status, error)

    async def _aon_terminal(
        self, ns: tuple[str, ...], status: SubgraphStatus, error: str | None
    ) -> None:
        handle = self._handles.get(ns)
        if handle is not None and self._mark_terminal(handle, status, error):
            await self._aclose_or_fail_handle(handle, status, error)

    def _mark_terminal(
        self, handle: _Handle, status: SubgraphStatus, error: str | None
    ) -> bool:
        """Set the handle's final status once; ``True`` on that first time."""
        if handle._seen_terminal:
            return False
        handle.status = status
        if error is not None and handle.error is None:
            handle.error = error
        handle._seen_terminal = True
        return True

    def _close_or_fail_handle(
        self, handle: _Handle, status: SubgraphStatus, error: str | None
    ) -> None:
        if handle._mux._events._closed:
            return
        if status == "failed":
            handle._mux.fail(RuntimeError(error or "Subgraph failed"))
        else:
            handle._mux.close()

    async def _aclose_or_fail_handle(
        self, handle: _Handle, status: SubgraphStatus, error: str | None
    ) -> None:
        if handle._mux._events._closed:
            return
        if status == "failed":
            await handle._mux.afail(RuntimeError(error or "Subgraph failed"))
        else:
            await handle._mux.aclose()

    def _handle_for_event(self, event: ProtocolEvent) -> _Handle | None:
        """The open handle of the child whose namespace the event is under."""
        ns = event["params"]["namespace"]
        depth = len(self.scope)
        if len(ns) < depth + 1:
            return None
        handle = self._handles.get(tuple(ns[: depth + 1]))
        if handle is None or handle._mux._events._closed:
            return None
        return handle

    def process(self, event: ProtocolEvent) -> bool:
        """Track lifecycle, then forward the event into its child's mini-mux."""
        # Bookkeeping first: the event that starts a child must reach it.
        keep = super().process(event)
        handle = self._handle_for_event(event)
        if handle is not None:
            handle._observe_event(event)
            handle._mux.push(event)
        return keep

    async def aprocess(self, event: ProtocolEvent) -> bool:
        """Async ``process``: child mini-muxes are fed on their async lane."""
        keep = True
        if event["method"] == "tasks":
            keep = False
            ns = tuple(event["params"]["namespace"])
            data = event["params"]["data"]
            if "result" in data:
                for child, status, error in self._pop_terminal_transitions(ns, data):
                    await self._aon_terminal(child, status, error)
            else:
                self._record_identity(ns, data)
                self._record_pending_tool_calls(data)
                self._handle_task_start(ns, data)
        handle = self._handle_for_event(event)
        if handle is not None:
            handle._observe_event(event)
            await handle._mux.apush(event)
        return keep

    def finalize(self) -> None:
        """Complete every handle still open; raise the first close error."""
        first_error: BaseException | None = None
        for ns in list(self._open):
            try:
                self._on_terminal(ns, "completed", None)
            except BaseException as exc:
                first_error = first_error or exc
        self._open.clear()
        for handle in self._handles.values():
            if self._mark_terminal(handle, "completed", None):
                try:
                    self._close_or_fail_handle(handle, "completed", None)
                except BaseException as exc:
                    first_error = first_error or exc
        if first_error is not None:
            raise first_error

    async def afinalize(self) -> None:
        """Async ``finalize``."""
        first_error: BaseException | None = None
        for ns in list(self._open):
            try:
                await self._aon_terminal(ns, "completed", None)
            except BaseException as exc:
                first_error = first_error or exc
        self._open.clear()
        for handle in self._handles.values():
            if self._mark_terminal(handle, "completed", None):
                try:
                    await self._aclose_or_fail_handle(handle, "completed", None)
                except BaseException as exc:
                    first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def fail(self, err: BaseException) -> None:
        """End every handle with the status ``err`` implies and fail it."""
        status, error = _status_from_exception(err)
        self._open.clear()
        for handle in self._handles.values():
            self._mark_terminal(handle, status, error)
            if not handle._mux._events._closed:
                try:
                    handle._mux.fail(err)
                except Exception:
                    _logger.warning(
                        "Error failing subgraph mini-mux at %s",
                        handle.path,
                        exc_info=True,
                    )

    async def afail(self, err: BaseException) -> None:
        """Async ``fail``."""
        status, error = _status_from_exception(err)
        self._open.clear()
        for handle in self._handles.values():
            self._mark_terminal(handle, status, error)
            if not handle._mux._events._closed:
                try:
                    await handle._mux.afail(err)
                except Exception:
                    _logger.warning(
                        "Error failing subgraph mini-mux at %s",
                        handle.path,
                        exc_info=True,
                    )
