"""``AsyncGraphRunStream``: the async v3 run, pumped by whichever reader waits.

Owns the single-flight async pump (one ``__anext__`` on the graph at a time,
other readers wait for its progress) and early cancellation. No background
task runs the graph: readers do.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from stategraph.stream._convert import convert_to_protocol_event
from stategraph.stream._run_base import _RunStreamBase
from stategraph.stream._types import ProtocolEvent

if TYPE_CHECKING:
    from stategraph.stream._channel import StreamChannel
    from stategraph.stream._lifecycle import LifecyclePayload
    from stategraph.stream._mux import StreamMux
    from stategraph.stream._run_subgraph import AsyncSubgraphRunStream

__all__ = ("AsyncGraphRunStream",)

_ABORTED: Any = object()
"""Returned by a pull that ``abort()`` cancelled."""


class AsyncGraphRunStream(_RunStreamBase):
    """The handle ``await astream_events(..., version="v3")`` returns.

    Like ``GraphRunStream``, but read with ``async for``; several tasks may
    read different projections concurrently, and each read that finds its
    buffer empty either pulls the next graph event or waits for the task that
    is pulling it. Use ``async with`` to cancel the graph when leaving early.

    Args:
        graph_aiter: The graph's v2 part iterator, or ``None`` for a handle
            driven by an outer run.
        mux: The mux holding the projections and the event log.
        wire_pump: Bind this run's pump to the mux.

    Example:
        ```python
        async with await graph.astream_events(inputs, version="v3") as run:
            async for snapshot in run.values:
                print(snapshot)
            print(await run.output())
        ```
    """

    values: StreamChannel[dict[str, Any]]
    messages: StreamChannel[Any]
    lifecycle: StreamChannel[LifecyclePayload]
    subgraphs: StreamChannel[AsyncSubgraphRunStream]
    updates: StreamChannel[dict[str, Any]]
    custom: StreamChannel[Any]
    checkpoints: StreamChannel[dict[str, Any]]
    debug: StreamChannel[dict[str, Any]]
    tasks: StreamChannel[dict[str, Any]]

    def __init__(
        self,
        graph_aiter: AsyncIterator[Any] | None,
        mux: StreamMux,
        *,
        wire_pump: bool = True,
    ) -> None:
        self._graph_aiter = graph_aiter
        self._setup(mux)
        self._pump_cond = asyncio.Condition()
        self._pumping = False
        # The reader task awaiting the graph right now, and the event abort()
        # waits on until that pull has unwound.
        self._puller: asyncio.Task[Any] | None = None
        self._pull_settled: asyncio.Event | None = None
        self._aborting = False
        if wire_pump:
            mux.bind_apump(self._apump_next)

    async def _apump_next(self) -> bool:
        """Pull one graph event, or wait until the reader pulling one is done.

        Waiting instead of queueing lets a reader whose item the other pull
        delivers see it right away.

        Returns:
            ``True`` after progress was made; ``False`` once the graph ended.
        """
        async with self._pump_cond:
            if self._exhausted or self._graph_aiter is None:
                return False
            if self._pumping:
                await self._pump_cond.wait()
                return not self._exhausted
            self._pumping = True
        try:
            return await self._pull(self._graph_aiter)
        finally:
            async with self._pump_cond:
                self._pumping = False
                self._pump_cond.notify_all()

    async def _pull(self, graph_aiter: AsyncIterator[Any]) -> bool:
        try:
            part = await self._next_part(graph_aiter)
            if part is _ABORTED:
                return False
            event = convert_to_protocol_event(part)
            self._observe_event(event)
            await self._mux.apush(event)
        except StopAsyncIteration:
            self._exhausted = True
            await self._mux.aclose()
            return False
        except Exception as exc:
            # Surfaced again by every reader of the run (cursors, output()).
            self._exhausted = True
            await self._mux.afail(exc)
            return False
        return True

    async def _next_part(self, graph_aiter: AsyncIterator[Any]) -> Any:
        """Await the graph's next part in this reader's own task.

        No task per pull (that doubled the cost of an event). To stop a pull
        in flight, abort() cancels this reader's task instead: the
        cancellation reaches the running nodes, and is taken back here.
        """
        puller = asyncio.current_task()
        self._puller = puller
        try:
            return await graph_aiter.__anext__()
        except asyncio.CancelledError:
            if self._pull_settled is None or puller is None:
                raise
            # Take back abort()'s request; one made by anyone else stands.
            uncancel = getattr(puller, "uncancel", None)  # Python 3.11+
            if uncancel is not None and uncancel() > 0:
                raise
            self._exhausted = True
            return _ABORTED
        finally:
            self._puller = None
            if self._pull_settled is not None:
                self._pull_settled.set()

    async def abort(self) -> None:
        """Stop the run: cancel a pull in flight and close the graph iterator.

        Idempotent; readers end after what they already buffered.
        """
        async with self._pump_cond:
            if self._exhausted:
                return
            self._exhausted = True
            self._aborting = True
            graph_aiter, self._graph_aiter = self._graph_aiter, None
            puller = self._puller
            self._pump_cond.notify_all()
        if puller is not None and puller is not asyncio.current_task():
            settled = self._pull_settled = asyncio.Event()
            puller.cancel()
            await settled.wait()
        aclose = getattr(graph_aiter, "aclose", None)
        if aclose is not None:
            # The run is being dropped anyway.
            with contextlib.suppress(Exception):
                await aclose()
        # Finalize errors of an aborted run.
        with contextlib.suppress(Exception):
            await self._mux.aclose()

    async def __aenter__(self) -> AsyncGraphRunStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.abort()

    async def _drain(self) -> None:
        while await self._apump_next():
            pass
        self._raise_if_failed()

    async def output(self) -> dict[str, Any] | None:
        """Run to the end and return the last state of this run's scope.

        A method, not a property, so a forgotten ``await`` is a type error.

        Raises:
            BaseException: The error the run ended with.
        """
        await self._drain()
        return self._latest

    async def interrupted(self) -> bool:
        """Run to the end and tell whether the run paused on an interrupt.

        Raises:
            BaseException: The error the run ended with.
        """
        await self._drain()
        return self._interrupted

    async def interrupts(self) -> list[Any]:
        """Run to the end and return the interrupts it paused on.

        Raises:
            BaseException: The error the run ended with.
        """
        await self._drain()
        return self._interrupts

    def __aiter__(self) -> AsyncIterator[ProtocolEvent]:
        """Subscribe to the run's event log."""
        return self._mux._events.__aiter__()
