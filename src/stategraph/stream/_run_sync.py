"""``GraphRunStream``: a sync v3 run whose consumer's reads drive the graph.

Owns pulling parts from the graph's ``stream()`` iterator into the mux and
the sync accessors (``output``, ``interrupted``, ``interleave``). No threads:
nothing runs unless the caller reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from stategraph.stream._channel import StreamChannel
from stategraph.stream._convert import convert_to_protocol_event
from stategraph.stream._run_base import _RunStreamBase
from stategraph.stream._types import ProtocolEvent

if TYPE_CHECKING:
    from stategraph.stream._lifecycle import LifecyclePayload
    from stategraph.stream._mux import StreamMux
    from stategraph.stream._run_subgraph import SubgraphRunStream

__all__ = ("GraphRunStream",)


class GraphRunStream(_RunStreamBase):
    """The handle ``stream_events(version="v3")`` returns.

    Iterating it yields every ``ProtocolEvent``; iterating a projection
    (``run.values``, ``run.messages``, ``run.subgraphs``, ``run.lifecycle``,
    and the extras you registered) yields that projection. Each read that
    finds nothing buffered pulls one more event from the graph. Projections
    take one subscriber each; use ``tee(n)`` to fan out. Use the run as a
    context manager to stop the graph when leaving early.

    Args:
        graph_iter: The graph's v2 part iterator, or ``None`` for a handle
            driven by an outer run.
        mux: The mux holding the projections and the event log.
        wire_pump: Bind this run's pump to the mux (off for subgraph handles,
            which keep the root's pump).

    Example:
        ```python
        with graph.stream_events(inputs, version="v3") as run:
            for snapshot in run.values:
                print(snapshot)
            print(run.output)
        ```
    """

    values: StreamChannel[dict[str, Any]]
    messages: StreamChannel[Any]
    lifecycle: StreamChannel[LifecyclePayload]
    subgraphs: StreamChannel[SubgraphRunStream]
    updates: StreamChannel[dict[str, Any]]
    custom: StreamChannel[Any]
    checkpoints: StreamChannel[dict[str, Any]]
    debug: StreamChannel[dict[str, Any]]
    tasks: StreamChannel[dict[str, Any]]

    def __init__(
        self,
        graph_iter: Iterator[Any] | None,
        mux: StreamMux,
        *,
        wire_pump: bool = True,
    ) -> None:
        self._graph_iter = graph_iter
        self._setup(mux)
        if wire_pump:
            mux.bind_pump(self._pump_next)

    def _pump_next(self) -> bool:
        """Pull one part from the graph into the mux.

        Returns:
            ``True`` if an event was pushed; ``False`` once the graph ended
            (the mux is then closed, or failed with the graph's error).
        """
        if self._exhausted or self._graph_iter is None:
            return False
        try:
            event = convert_to_protocol_event(next(self._graph_iter))
            self._observe_event(event)
            self._mux.push(event)
        except StopIteration:
            self._exhausted = True
            self._mux.close()
            return False
        except Exception as exc:
            # Surfaced again by every reader of the run (cursors, output).
            self._exhausted = True
            self._mux.fail(exc)
            return False
        return True

    def _drain(self) -> None:
        while self._pump_next():
            pass
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop the run: close the graph iterator (cancelling running nodes).

        Idempotent; the projections end after what they already buffered.
        """
        if self._exhausted:
            return
        self._exhausted = True
        graph_iter, self._graph_iter = self._graph_iter, None
        close = getattr(graph_iter, "close", None)
        if close is not None:
            # The run is being dropped anyway.
            with contextlib.suppress(Exception):
                close()
        # Finalize errors of an aborted run.
        with contextlib.suppress(Exception):
            self._mux.close()

    def __enter__(self) -> GraphRunStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()

    @property
    def output(self) -> dict[str, Any] | None:
        """Run to the end and return the last state of this run's scope.

        Raises:
            BaseException: The error the run ended with.
        """
        self._drain()
        return self._latest

    @property
    def interrupted(self) -> bool:
        """Run to the end and tell whether the run paused on an interrupt.

        Raises:
            BaseException: The error the run ended with.
        """
        self._drain()
        return self._interrupted

    @property
    def interrupts(self) -> list[Any]:
        """Run to the end and return the interrupts it paused on.

        Raises:
            BaseException: The error the run ended with.
        """
        self._drain()
        return self._interrupts

    def __iter__(self) -> Iterator[ProtocolEvent]:
        """Subscribe to the run's event log."""
        return iter(self._mux._events)

    def interleave(self, *names: str) -> Iterator[tuple[str, Any]]:
        """Read several projections at once, in the order items arrived.

        Args:
            *names: Projection keys (as in ``extensions``) to read.

        Yields:
            ``(name, item)`` pairs, ordered by when each item was pushed.

        Raises:
            KeyError: A name is not a registered projection.
            TypeError: A projection is not a sync ``StreamChannel``.
            RuntimeError: A projection already has a subscriber.
        """
        channels: dict[str, StreamChannel[Any]] = {}
        try:
            for name in names:
                channels[name] = _claim(name, self.extensions[name])
            yield from _merge_by_stamp(channels, self._mux)
        finally:
            for channel in channels.values():
                channel._subscribed = False


def _claim(name: str, channel: Any) -> StreamChannel[Any]:
    """Subscribe ``interleave`` to one projection, checking it can be read."""
    if not isinstance(channel, StreamChannel):
        raise TypeError(
            f"interleave() requires StreamChannel projections, "
            f"got {type(channel).__name__} for {name!r}"
        )
    if channel._is_async is None:
        raise TypeError(
            f"StreamChannel {name!r} has not been bound yet. "
            "Register the transformer with a StreamMux first."
        )
    if channel._is_async:
        raise TypeError(
            f"StreamChannel {name!r} is bound to async mode — "
            "sync interleave() cannot consume async channels."
        )
    if channel._subscribed:
        raise RuntimeError(
            f"StreamChannel {name!r} already has a subscriber; use .tee(n) for fan-out."
        )
    channel._subscribed = True
    return channel


def _merge_by_stamp(
    channels: dict[str, StreamChannel[Any]], mux: StreamMux
) -> Iterator[tuple[str, Any]]:
    """Yield the oldest buffered item across ``channels``, pumping when empty."""
    done: set[str] = set()
    while len(done) < len(channels):
        best: tuple[int, str] | None = None
        for name, channel in channels.items():
            if name in done:
                continue
            if channel._items:
                stamp = channel._items[0][0]
                if best is None or stamp < best[0]:
                    best = (stamp, name)
            elif channel._closed:
                if channel._error is not None:
                    raise channel._error
                done.add(name)
        if best is not None:
            yield best[1], channels[best[1]]._items.popleft()[1]
            continue
        pump = mux._pump_fn
        if (pump is None or not pump()) and not _finish_closed(channels, done):
            return


def _finish_closed(channels: dict[str, StreamChannel[Any]], done: set[str]) -> bool:
    """Mark drained closed channels done; ``False`` if none changed."""
    before = len(done)
    for name, channel in channels.items():
        if name not in done and not channel._items and channel._closed:
            if channel._error is not None:
                raise channel._error
            done.add(name)
    return len(done) != before
