"""Run handles for ``RemoteGraph.stream_events(version="v3")``.

A v3 remote run is a ``langgraph_sdk`` thread stream (``threads.stream``):
commands go to ``POST /threads/{id}/commands`` and each projection opens its
own filtered event stream. The classes here wrap that SDK object so it looks
like the local ``GraphRunStream`` / ``AsyncGraphRunStream`` a graph's own
``stream_events(version="v3")`` returns: entering starts the run, the named
projections (``values``, ``messages`` ...) and ``extensions`` yield the same
item shapes as the local transformers, and ``abort`` cancels the run.

``langgraph_sdk`` is imported lazily so that importing ``RemoteGraph`` does not
pull in the SDK's streaming stack.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from types import TracebackType
from typing import Any

from stategraph._types import Command
from stategraph.errors import GraphBubbleUp

__all__ = (
    "_AsyncRemoteGraphRunStream",
    "_ChannelProjection",
    "_ProjectionRegistry",
    "_RemoteGraphRunStream",
    "_translate_command_input",
)

logger = logging.getLogger(__name__)


def _translate_command_input(input: Any) -> Any:
    """The v3 wire ``input`` for ``input``.

    A v3 server tells a resume from a fresh start by the thread's pending
    interrupts and wraps the ``input`` itself as ``{"resume": input}``, so a
    ``Command(resume=v)`` goes out as plain ``v``. ``run.start`` has nothing
    to carry ``goto`` or ``update``, so those are refused.

    Raises:
        NotImplementedError: ``input`` is a ``Command`` with ``goto``/``update``.
    """
    if not isinstance(input, Command):
        return input
    if input.goto or input.update:
        raise NotImplementedError(
            "RemoteGraph v3 streaming supports `Command(resume=...)` only; "
            "`goto` / `update` have no place in the v3 `run.start` command."
        )
    return input.resume


class _ChannelProjection:
    """One wire channel's items: each event's ``params.data``.

    For the channels the SDK has no typed projection for (``updates``,
    ``checkpoints``, ``tasks``, ``custom``).

    Iterate with ``for`` over a sync thread stream and ``async for`` over an
    async one; each iteration opens its own subscription.
    """

    def __init__(self, sdk: Any, channel: str) -> None:
        self._sdk = sdk
        self._channel = channel

    def __iter__(self) -> Iterator[Any]:
        from langgraph_sdk.stream.decoders import DataDecoder

        decoder = DataDecoder(self._channel)
        for event in self._sdk.subscribe([self._channel]):
            yield from decoder.feed(event)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._items()

    async def _items(self) -> AsyncIterator[Any]:
        from langgraph_sdk.stream.decoders import DataDecoder

        decoder = DataDecoder(self._channel)
        async for event in self._sdk.subscribe([self._channel]):
            for item in decoder.feed(event):
                yield item


class _ProjectionRegistry(Mapping[str, Any]):
    """``run.extensions`` of a remote run: projection by name.

    ``values``/``messages``/``tool_calls``/``subgraphs`` are the SDK's typed
    projections; ``updates``/``checkpoints``/``tasks``/``custom`` decode the
    channel's ``params.data`` like the local transformers do; any other name
    is a custom extension channel (``sdk.extensions[name]``). ``lifecycle`` is
    left out because the SDK consumes it to drive ``output``/``interrupted``
    and its local item shape differs.
    """

    _TYPED = ("values", "messages", "tool_calls", "subgraphs")
    _DECODED = ("updates", "checkpoints", "tasks", "custom")
    _NATIVE = _TYPED + _DECODED

    def __init__(self, sdk: Any) -> None:
        self._sdk = sdk

    def __getitem__(self, name: str) -> Any:
        if name in self._TYPED:
            return getattr(self._sdk, name)
        if name in self._DECODED:
            return _ChannelProjection(self._sdk, name)
        return self._sdk.extensions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._NATIVE)

    def __len__(self) -> int:
        return len(self._NATIVE)


class _RunStreamBase:
    """What the sync and async handles share: start arguments and projections."""

    def __init__(self, sdk_thread: Any, input: Any, config: Any, metadata: Any) -> None:
        self._sdk = sdk_thread
        self._start_kwargs: dict[str, Any] = {
            "input": _translate_command_input(input),
            "config": config,
            "metadata": metadata,
        }
        self._run_id: str | None = None
        self._closed = False

    @property
    def values(self) -> Any:
        """State snapshots as the run goes (local ``run.values``)."""
        return self._sdk.values

    @property
    def messages(self) -> Any:
        """Chat-model message streams (local ``run.messages``)."""
        return self._sdk.messages

    @property
    def subgraphs(self) -> Any:
        """Handles of subgraph runs (local ``run.subgraphs``)."""
        return self._sdk.subgraphs

    @property
    def tool_calls(self) -> Any:
        """Tool executions (the ``tools`` channel), not the tool-call inputs."""
        return self._sdk.tool_calls

    @property
    def extensions(self) -> Mapping[str, Any]:
        """Projection by name (local ``run.extensions``)."""
        return _ProjectionRegistry(self._sdk)

    def _claim_abort(self) -> bool:
        """Mark the handle closed; False when it already was."""
        if self._closed:
            return False
        self._closed = True
        return True


class _RemoteGraphRunStream(_RunStreamBase):
    """Sync v3 run handle over a ``SyncThreadStream``; use it as ``with``."""

    def __init__(
        self,
        *,
        sync_client: Any,
        sdk_thread: Any,
        input: Any,
        config: Any,
        metadata: dict[str, Any] | None,
    ) -> None:
        super().__init__(sdk_thread, input, config, metadata)
        self._client = sync_client
        self._events: Iterator[Any] | None = None

    def __enter__(self) -> _RemoteGraphRunStream:
        if self._closed:
            raise RuntimeError("_RemoteGraphRunStream already closed")
        self._sdk.__enter__()
        try:
            started = self._sdk.run.start(**self._start_kwargs)
        except BaseException:
            # The SDK stream was entered: leave it before propagating.
            self._sdk.__exit__(*sys.exc_info())
            raise
        self._run_id = started["run_id"]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._claim_abort():
            self._sdk.__exit__(exc_type, exc, tb)

    @property
    def output(self) -> Any:
        """The run's final values (blocks until the run ends)."""
        return self._sdk.output

    @property
    def interrupted(self) -> bool:
        """Whether the run is paused at an interrupt (current value, no wait)."""
        return bool(self._sdk.interrupted)

    @property
    def interrupts(self) -> list[Any]:
        """The outstanding interrupt payloads (current value, no wait)."""
        return list(self._sdk.interrupts)

    def abort(self) -> None:
        """Cancel the remote run and close the stream; later calls do nothing."""
        if not self._claim_abort():
            return
        if self._run_id is not None:
            try:
                self._client.runs.cancel(self._sdk.thread_id, self._run_id, wait=False)
            except GraphBubbleUp:
                raise
            except Exception:  # best effort: the stream is closed regardless
                logger.debug("abort: runs.cancel failed", exc_info=True)
        try:
            self._sdk.close()
        except GraphBubbleUp:
            raise
        except Exception:
            logger.debug("abort: closing the thread stream failed", exc_info=True)

    def __iter__(self) -> Iterator[Any]:
        if self._events is None:
            self._events = iter(self._sdk.events)
        return self._events

    def interleave(self, *names: str) -> Iterator[tuple[str, Any]]:
        """``(name, item)`` pairs of the named projections, in arrival order."""
        yield from self._sdk.interleave_projections(list(names))


class _AsyncRemoteGraphRunStream(_RunStreamBase):
    """Async v3 run handle over an ``AsyncThreadStream``; use it as ``async with``.

    Like the local ``AsyncGraphRunStream`` it has no ``interleave``.
    """

    def __init__(
        self,
        *,
        client: Any,
        sdk_thread: Any,
        input: Any,
        config: Any,
        metadata: dict[str, Any] | None,
    ) -> None:
        super().__init__(sdk_thread, input, config, metadata)
        self._client = client
        self._events: AsyncIterator[Any] | None = None

    async def __aenter__(self) -> _AsyncRemoteGraphRunStream:
        if self._closed:
            raise RuntimeError("_AsyncRemoteGraphRunStream already closed")
        await self._sdk.__aenter__()
        try:
            started = await self._sdk.run.start(**self._start_kwargs)
        except BaseException:
            await self._sdk.__aexit__(*sys.exc_info())
            raise
        self._run_id = started["run_id"]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._claim_abort():
            await self._sdk.__aexit__(exc_type, exc, tb)

    async def output(self) -> Any:
        """Wait for the run to end and return its final values."""
        return await self._sdk.output

    async def interrupted(self) -> bool:
        """Whether the run is paused at an interrupt (current value, no wait)."""
        return bool(self._sdk.interrupted)

    async def interrupts(self) -> list[Any]:
        """The outstanding interrupt payloads (current value, no wait)."""
        return list(self._sdk.interrupts)

    async def abort(self) -> None:
        """Cancel the remote run and close the stream; later calls do nothing."""
        if not self._claim_abort():
            return
        if self._run_id is not None:
            try:
                await self._client.runs.cancel(
                    self._sdk.thread_id, self._run_id, wait=False
                )
            except GraphBubbleUp:
                raise
            except Exception:  # best effort: the stream is closed regardless
                logger.debug("abort: runs.cancel failed", exc_info=True)
        try:
            await self._sdk.close()
        except GraphBubbleUp:
            raise
        except Exception:
            logger.debug("abort: closing the thread stream failed", exc_info=True)

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._events is None:
            self._events = self._sdk.events.__aiter__()
        return self._events
