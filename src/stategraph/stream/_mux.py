"""``StreamMux``: routes a run's protocol events through its transformers.

Owns the main event log, transformer registration, projection wiring and the
close/fail lifecycle on both lanes. It never pulls from a graph: run streams
do, and hand each event to ``push``/``apush``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from stategraph.stream._channel import StreamChannel
from stategraph.stream._types import (
    ProtocolEvent,
    StreamTransformer,
    transformer_requires_async,
)

__all__ = ("StreamMux", "TransformerFactory")

TransformerFactory = Callable[[tuple[str, ...]], StreamTransformer]
"""Builds a fresh transformer for the mux scoped to the given namespace."""


class StreamMux:
    """Dispatches events to transformers and keeps the run's event log.

    Transformers come from ``factories`` (called with the mux's scope, and
    called again for every subgraph mini-mux) and/or pre-built
    ``transformers`` (root only). Within each group, ``before_builtins``
    transformers are registered first. Named ``StreamChannel`` projections are
    wired so that each push also enters the log as an event.

    Args:
        transformers: Pre-built transformers, registered on this mux only.
        is_async: Bind the mux and its channels to the async lane.
        factories: Scoped transformer factories.
        scope: Namespace this mux covers; ``()`` for the root run.
        _assign_seq: Whether events get ``seq`` numbers here (root only:
            child muxes share event objects with their parent).

    Raises:
        RuntimeError: An async-only transformer on a sync mux.
        TypeError: A transformer's ``init()`` did not return a dict.
        ValueError: Two transformers publish the same projection key.
    """

    def __init__(
        self,
        transformers: list[StreamTransformer] | None = None,
        *,
        is_async: bool = False,
        factories: list[TransformerFactory] | None = None,
        scope: tuple[str, ...] = (),
        _assign_seq: bool = True,
    ) -> None:
        self.is_async = is_async
        self.scope: tuple[str, ...] = scope
        self._assign_seq = _assign_seq
        self._events: StreamChannel[ProtocolEvent] = StreamChannel()
        self._events._bind(is_async=is_async)
        self._events._bind_mux(self)
        self._transformers: list[StreamTransformer] = []
        self._channels: list[StreamChannel[Any]] = []
        self._seq = 0
        self._push_seq = 0
        self.extensions: dict[str, Any] = {}
        self.native_keys: set[str] = set()
        self._projection_owners: dict[str, str] = {}
        self._transformer_by_key: dict[str, StreamTransformer] = {}
        # Kept so subgraph mini-muxes get fresh instances at their own scope;
        # pre-built transformers cannot be cloned that way.
        self._factories = list(factories) if factories is not None else None
        self._pump_fn: Callable[[], bool] | None = None
        self._apump_fn: Callable[[], Awaitable[bool]] | None = None
        built = [factory(scope) for factory in factories or ()]
        self._register_lanes(built)
        self._register_lanes(list(transformers or ()))

    def _register_lanes(self, transformers: list[StreamTransformer]) -> None:
        early = [t for t in transformers if getattr(t, "before_builtins", False)]
        late = [t for t in transformers if not getattr(t, "before_builtins", False)]
        for transformer in (*early, *late):
            self._register(transformer)

    def transformer_by_key(self, key: str) -> StreamTransformer | None:
        """Return the transformer that published projection ``key``, if any."""
        return self._transformer_by_key.get(key)

    def _next_push_seq(self) -> int:
        self._push_seq += 1
        return self._push_seq

    # -- pumps and mini-muxes -------------------------------------------------

    def bind_pump(self, fn: Callable[[], bool]) -> None:
        """Make ``fn`` the sync pump of the log, every projection and hook.

        Args:
            fn: Pulls one graph event; returns ``False`` once the run is over.
        """
        self._pump_fn = fn
        self._events._request_more = fn
        for channel in self._channels:
            channel._request_more = fn
        for transformer in self._transformers:
            bind = getattr(transformer, "_bind_pump", None)
            if bind is not None:
                bind(fn)

    def bind_apump(self, fn: Callable[[], Awaitable[bool]]) -> None:
        """Async counterpart of ``bind_pump``.

        Args:
            fn: Pulls one graph event; resolves to ``False`` once it is over.
        """
        self._apump_fn = fn
        self._events._arequest_more = fn
        for channel in self._channels:
            channel._arequest_more = fn
        for transformer in self._transformers:
            bind = getattr(transformer, "_bind_apump", None)
            if bind is not None:
                bind(fn)

    def _make_child(self, scope: tuple[str, ...]) -> StreamMux:
        """Build the mini-mux of a subgraph: same factories, deeper scope.

        The child shares this mux's pumps, so reading its projections moves
        the root run forward, and assigns no ``seq`` of its own.

        Raises:
            RuntimeError: This mux was built from pre-built transformers.
        """
        if self._factories is None:
            raise RuntimeError(
                "StreamMux._make_child requires the mux to be constructed "
                "with `factories=`; pre-built transformers can't be "
                "cloned to a new scope."
            )
        child = StreamMux(
            factories=self._factories,
            is_async=self.is_async,
            scope=scope,
            _assign_seq=False,
        )
        if self._pump_fn is not None:
            child.bind_pump(self._pump_fn)
        if self._apump_fn is not None:
            child.bind_apump(self._apump_fn)
        return child

    def _register(self, transformer: StreamTransformer) -> None:
        """Initialise one transformer and merge its projections."""
        if transformer_requires_async(transformer) and not self.is_async:
            raise RuntimeError(
                f"{type(transformer).__name__} requires an async run — "
                "it overrides aprocess/afinalize/afail or sets "
                "requires_async=True. Use astream(), not stream()."
            )
        projection = transformer.init()
        if not isinstance(projection, dict):
            raise TypeError(
                f"StreamTransformer.init() must return a dict, "
                f"got {type(projection).__name__}"
            )
        conflicts = sorted(set(projection) & set(self.extensions))
        if conflicts:
            owners = ", ".join(
                f"{key!r} (owned by {self._projection_owners[key]})"
                for key in conflicts
            )
            raise ValueError(
                f"Transformer {type(transformer).__name__} returned "
                f"projection keys that conflict with already-registered "
                f"keys: {owners}"
            )
        native = bool(getattr(transformer, "_native", False))
        self._transformers.append(transformer)
        self._bind_and_wire(projection, native=native)
        self.extensions.update(projection)
        for key in projection:
            self._projection_owners[key] = type(transformer).__name__
            self._transformer_by_key[key] = transformer
        if native:
            self.native_keys.update(projection)
        transformer._on_register(self)

    def _bind_and_wire(self, projection: dict[str, Any], *, native: bool) -> None:
        """Bind projection channels to this lane; wire the named ones."""
        for value in projection.values():
            if not isinstance(value, StreamChannel):
                continue
            value._bind(is_async=self.is_async)
            value._bind_mux(self)
            self._channels.append(value)
            if value.name is not None:
                method = value.name if native else f"custom:{value.name}"
                value._wire(self._forwarder(method))

    def _forwarder(self, method: str) -> Callable[[Any], None]:
        def forward(item: Any) -> None:
            self._forward(method, item)

        return forward

    def _forward(self, method: str, item: Any) -> None:
        """Log a channel push as an event, skipping the transformers.

        Skipping them is what keeps a transformer that pushes from inside
        ``process`` from seeing its own output again.
        """
        event: ProtocolEvent = {
            "type": "event",
            "method": method,
            "params": {
                "namespace": [],
                "timestamp": int(time.time() * 1000),
                "data": item,
            },
        }
        self._append(event)

    def _append(self, event: ProtocolEvent) -> None:
        if self._assign_seq:
            self._seq += 1
            event["seq"] = self._seq
        self._events.push(event)

    # -- sync lane ------------------------------------------------------------

    def push(self, event: ProtocolEvent) -> None:
        """Run ``event`` through every transformer, then log it unless dropped.

        ``seq`` is assigned only when the event enters the log, after the
        transformers ran, so events they forwarded meanwhile come first.

        Args:
            event: The event to dispatch.
        """
        keep = True
        for transformer in self._transformers:
            if not transformer.process(event):
                keep = False
        if keep:
            self._append(event)

    def close(self) -> None:
        """Finalise transformers, then close every projection and the log.

        Raises:
            BaseException: The first ``finalize()`` error, after all cleanup.
        """
        first_error: BaseException | None = None
        for transformer in self._transformers:
            try:
                transformer.finalize()
            except BaseException as exc:
                first_error = first_error or exc
        self._close_channels()
        if first_error is not None:
            raise first_error

    def fail(self, err: BaseException) -> None:
        """Fail transformers, every projection and the log with ``err``.

        Args:
            err: The exception that ended the run.
        """
        for transformer in self._transformers:
            # One broken hook must not stop the rest.
            with contextlib.suppress(Exception):
                transformer.fail(err)
        self._fail_channels(err)

    def _close_channels(self) -> None:
        for channel in self._channels:
            if not channel._closed:
                channel.close()
        self._events.close()

    def _fail_channels(self, err: BaseException) -> None:
        for channel in self._channels:
            if not channel._closed:
                channel.fail(err)
        if not self._events._closed:
            self._events.fail(err)

    # -- async lane -----------------------------------------------------------

    async def apush(self, event: ProtocolEvent) -> None:
        """Async ``push``: each ``aprocess`` is awaited before the next runs.

        Args:
            event: The event to dispatch.
        """
        keep = True
        for transformer in self._transformers:
            if not await transformer.aprocess(event):
                keep = False
        if keep:
            self._append(event)

    async def aclose(self) -> None:
        """Await scheduled tasks, ``afinalize`` transformers, close channels.

        Raises:
            BaseException: A scheduled task's error (``on_error="raise"``) or
                the first ``afinalize()`` error.
        """
        pending = self._collect_scheduled_tasks()
        if pending:
            results = await asyncio.gather(*pending, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(
                    result, asyncio.CancelledError
                ):
                    raise result
        first_error: BaseException | None = None
        for transformer in self._transformers:
            try:
                await transformer.afinalize()
            except BaseException as exc:
                first_error = first_error or exc
        self._close_channels()
        if first_error is not None:
            raise first_error

    async def afail(self, err: BaseException) -> None:
        """Cancel scheduled tasks, ``afail`` transformers, fail channels.

        Args:
            err: The exception that ended the run.
        """
        pending = self._collect_scheduled_tasks()
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for transformer in self._transformers:
            # One broken hook must not stop the rest.
            with contextlib.suppress(Exception):
                await transformer.afail(err)
        self._fail_channels(err)

    def _collect_scheduled_tasks(self) -> list[asyncio.Task[Any]]:
        """Scheduled tasks still running, or finished with an error to raise."""
        return [
            task
            for transformer in self._transformers
            for task in getattr(transformer, "_stream_scheduled_tasks", ())
        ]
