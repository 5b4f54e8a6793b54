"""``StreamChannel``: the single-consumer queue behind every v3 projection.

Owns buffering, caller-driven pumping and fan-out (``tee``/``atee``); it knows
its mux only to stamp items in arrival order and never drives a graph itself.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from stategraph.stream._mux import StreamMux

T = TypeVar("T")

__all__ = ("StreamChannel",)


class StreamChannel(Generic[T]):
    """A drainable queue with one subscriber, optionally forwarded to the log.

    A named channel is wired by its mux so that every ``push`` also becomes a
    protocol event (method ``<name>`` for native transformers,
    ``custom:<name>`` otherwise); an unnamed one is only seen by whoever
    iterates it. Items are buffered only once someone subscribes, and are
    dropped as the subscriber reads them. The mux binds the channel to the sync
    or async lane; only the matching iteration protocol works afterwards.

    Reading an empty channel asks the run for one more graph event (the
    "pump"), so the consumer's loop is what moves the graph forward.

    Args:
        name: Protocol name, or ``None`` for a local-only channel.
        maxlen: Reserved; must be a positive int or ``None``.

    Raises:
        ValueError: ``maxlen`` is not positive.
    """

    def __init__(self, name: str | None = None, *, maxlen: int | None = None) -> None:
        if maxlen is not None and maxlen <= 0:
            raise ValueError("StreamChannel maxlen must be a positive int or None")
        self.name = name
        self._items: deque[tuple[int, T]] = deque()
        self._maxlen = maxlen
        self._closed = False
        self._error: BaseException | None = None
        self._is_async: bool | None = None
        self._subscribed = False
        self._request_more: Callable[[], bool] | None = None
        self._arequest_more: Callable[[], Awaitable[bool]] | None = None
        self._wire_fn: Callable[[T], None] | None = None
        self._mux: StreamMux | None = None

    # -- wiring by the mux ----------------------------------------------------

    def _bind_mux(self, mux: StreamMux) -> None:
        self._mux = mux

    def _bind(self, *, is_async: bool) -> None:
        """Fix the lane (sync or async) this channel is iterated on."""
        if self._is_async is not None:
            raise RuntimeError("StreamChannel is already bound")
        self._is_async = is_async

    def _wire(self, fn: Callable[[T], None]) -> None:
        """Install the callback that forwards each push to the mux's log."""
        self._wire_fn = fn

    # -- producer side --------------------------------------------------------

    def push(self, item: T) -> None:
        """Append ``item`` (if subscribed) and forward it (if wired).

        Args:
            item: The value to publish.

        Raises:
            RuntimeError: The channel is subscribed and already closed.
        """
        if self._subscribed:
            if self._closed:
                raise RuntimeError("Cannot push to a closed StreamChannel")
            # The mux-wide stamp orders items across channels for interleave().
            stamp = self._mux._next_push_seq() if self._mux is not None else 0
            self._items.append((stamp, item))
        if self._wire_fn is not None:
            self._wire_fn(item)

    def close(self) -> None:
        """Mark the channel complete: readers stop after the buffered items."""
        self._closed = True

    def fail(self, err: BaseException) -> None:
        """Mark the channel failed: readers raise ``err`` after buffered items.

        Args:
            err: The exception to raise in the subscriber.
        """
        self._error = err
        self._closed = True

    # -- consumer side --------------------------------------------------------

    def _subscribe(self, *, is_async: bool) -> None:
        if self._is_async is None:
            raise TypeError(
                "StreamChannel has not been bound yet. "
                "Register the transformer with a StreamMux first."
            )
        if self._is_async != is_async:
            raise TypeError(
                "This StreamChannel is bound to async mode — use 'async for' instead."
                if self._is_async
                else "This StreamChannel is bound to sync mode — use 'for' instead."
            )
        if self._subscribed:
            fanout = ".atee(n)" if is_async else ".tee(n)"
            raise RuntimeError(
                f"StreamChannel already has a subscriber; use {fanout} for fan-out."
            )
        self._subscribed = True

    def __iter__(self) -> Iterator[T]:
        """Subscribe and return the sync cursor (once per channel).

        Raises:
            TypeError: The channel is unbound or bound to the async lane.
            RuntimeError: The channel already has a subscriber.
        """
        self._subscribe(is_async=False)
        return self._sync_cursor()

    def _sync_cursor(self) -> Iterator[T]:
        while True:
            if self._items:
                yield self._items.popleft()[1]
            elif self._closed:
                if self._error is not None:
                    raise self._error
                return
            elif self._request_more is None or (
                not self._request_more() and not self._items and not self._closed
            ):
                return

    def __aiter__(self) -> AsyncIterator[T]:
        """Subscribe and return the async cursor (once per channel).

        Raises:
            TypeError: The channel is unbound or bound to the sync lane.
            RuntimeError: The channel already has a subscriber.
        """
        self._subscribe(is_async=True)
        return self._async_cursor()

    async def _async_cursor(self) -> AsyncIterator[T]:
        while True:
            if self._items:
                yield self._items.popleft()[1]
            elif self._closed:
                if self._error is not None:
                    raise self._error
                return
            elif self._arequest_more is None or (
                not await self._arequest_more() and not self._items and not self._closed
            ):
                return

    # -- fan-out --------------------------------------------------------------

    def tee(self, n: int = 2) -> tuple[Iterator[T], ...]:
        """Subscribe once and return ``n`` independent sync iterators.

        Args:
            n: Number of branches, at least 1.

        Returns:
            ``n`` iterators that each see every item.

        Raises:
            ValueError: ``n`` is below 1.
        """
        if n < 1:
            raise ValueError("tee() requires n >= 1")
        source = iter(self)
        buffers: list[deque[T]] = [deque() for _ in range(n)]
        exhausted = False

        def branch(buf: deque[T]) -> Iterator[T]:
            nonlocal exhausted
            while True:
                if buf:
                    yield buf.popleft()
                    continue
                if exhausted:
                    return
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    return
                for other in buffers:
                    other.append(item)

        return tuple(branch(buf) for buf in buffers)

    def atee(self, n: int = 2) -> tuple[AsyncIterator[T], ...]:
        """Subscribe once and return ``n`` independent async iterators.

        Args:
            n: Number of branches, at least 1.

        Returns:
            ``n`` async iterators that each see every item; a failure of the
            channel is raised in every branch.

        Raises:
            ValueError: ``n`` is below 1.
        """
        if n < 1:
            raise ValueError("atee() requires n >= 1")
        return _AsyncTee(self.__aiter__(), n).branches()


class _AsyncTee(Generic[T]):
    """Shared state of ``atee`` branches: one puller at a time under a lock."""

    def __init__(self, source: AsyncIterator[T], n: int) -> None:
        self.source = source
        self.buffers: list[deque[T]] = [deque() for _ in range(n)]
        self.exhausted = False
        self.error: BaseException | None = None
        self.lock = asyncio.Lock()

    def branches(self) -> tuple[AsyncIterator[T], ...]:
        return tuple(self._branch(buf) for buf in self.buffers)

    async def _branch(self, buf: deque[T]) -> AsyncIterator[T]:
        while True:
            if buf:
                yield buf.popleft()
                continue
            if self.exhausted:
                if self.error is not None:
                    raise self.error
                return
            async with self.lock:
                if not buf and not self.exhausted:
                    await self._pull()

    async def _pull(self) -> None:
        try:
            item = await self.source.__anext__()
        except StopAsyncIteration:
            self.exhausted = True
            return
        except Exception as exc:
            # Kept for every branch: each must see the failure, not only the
            # one whose read happened to pull it.
            self.error = exc
            self.exhausted = True
            return
        for buf in self.buffers:
            buf.append(item)
