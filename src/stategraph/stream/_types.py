"""The protocol event envelope and the ``StreamTransformer`` extension point.

Owns the shapes every other stream module agrees on; it must not know about
graphs, muxes or run streams beyond the duck-typed hooks described here.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Literal

from typing_extensions import NotRequired, TypedDict

_logger = logging.getLogger(__name__)

__all__ = ("ProtocolEvent", "StreamTransformer", "transformer_requires_async")


class _ProtocolEventParams(TypedDict):
    """Body of a protocol event.

    ``timestamp`` is wall-clock milliseconds, so it may step backwards when the
    clock is adjusted; order events by ``ProtocolEvent["seq"]`` instead.
    """

    namespace: list[str]
    timestamp: int
    data: Any
    interrupts: NotRequired[tuple[Any, ...]]


class ProtocolEvent(TypedDict):
    """One event of the v3 stream: a graph stream part in a uniform envelope.

    ``method`` is the stream mode the part came from (``"values"``,
    ``"messages"``, ``"custom"``...) or the name of a channel a transformer
    forwards (``"lifecycle"``, ``"custom:<name>"``). ``seq`` is assigned by the
    root mux when the event enters its log and increases by one per event.
    """

    type: Literal["event"]
    event_id: NotRequired[str]
    seq: NotRequired[int]
    method: str
    params: _ProtocolEventParams


class StreamTransformer(ABC):
    """Base class of the projections built from a v3 run's events.

    A transformer sees every event of its mux in registration order and
    publishes what it derives through the dict ``init()`` returns (usually
    ``StreamChannel`` objects), which ends up in ``run.extensions``; with
    ``_native = True`` each key is also an attribute of the run stream.

    Subclasses implement ``init`` and ``process`` (or ``aprocess``). Async work
    is allowed only under ``astream_events``: overriding ``aprocess``,
    ``afinalize`` or ``afail``, or setting ``requires_async``, makes the mux
    refuse the transformer on the sync lane unless ``supports_sync`` is set.
    ``schedule(coro)`` runs decoupled async work owned by the mux.

    Attributes:
        scope: Namespace of the mux the transformer belongs to (``()`` at root).
        requires_async: The transformer needs a running event loop.
        supports_sync: Async hooks are overridden, yet the sync lane works.
        required_stream_modes: Graph stream modes this transformer consumes;
            the run asks the graph for the union over all transformers.
        before_builtins: Register ahead of the built-in transformers, so that
            content edits land before built-ins copy the data. Such
            transformers also see ``tasks`` events first: changing their
            namespace or result fields breaks subgraph discovery.

    Example:
        ```python
        class Counter(StreamTransformer):
            required_stream_modes = ("updates",)

            def init(self):
                self.count = StreamChannel("count")
                return {"count": self.count}

            def process(self, event):
                if event["method"] == "updates":
                    self.count.push(1)
                return True
        ```
    """

    requires_async: ClassVar[bool] = False
    supports_sync: ClassVar[bool] = False
    required_stream_modes: ClassVar[tuple[str, ...]] = ()
    before_builtins: ClassVar[bool] = False

    def __init__(self, scope: tuple[str, ...] = ()) -> None:
        """Create the transformer for the mux scoped to ``scope``.

        Args:
            scope: Namespace of the owning mux; ``()`` for the root run.
        """
        self.scope: tuple[str, ...] = scope

    @abstractmethod
    def init(self) -> dict[str, Any]:
        """Return the projections this transformer publishes, by key."""

    def _on_register(self, mux: Any) -> None:  # noqa: B027  # optional hook, empty on purpose
        """Hook called once the mux has wired this transformer in."""

    def process(self, event: ProtocolEvent) -> bool:
        """Observe one event on the sync lane.

        Args:
            event: The event, before it enters the mux's log.

        Returns:
            ``True`` to keep the event in the log, ``False`` to drop it.

        Raises:
            NotImplementedError: The subclass overrides neither hook.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override process() or aprocess()"
        )

    async def aprocess(self, event: ProtocolEvent) -> bool:
        """Observe one event on the async lane (defaults to ``process``).

        The mux awaits this before the next transformer runs, so slow work
        here holds up the whole pipeline; prefer ``schedule`` for work whose
        result lands on a separate projection.

        Args:
            event: The event, before it enters the mux's log.

        Returns:
            ``True`` to keep the event in the log, ``False`` to drop it.
        """
        return self.process(event)

    def finalize(self) -> None:  # noqa: B027  # optional hook, empty on purpose
        """Hook for a normal end of the run (sync lane)."""

    async def afinalize(self) -> None:
        """Hook for a normal end of the run (async lane).

        Every task started with ``schedule`` has finished by now.
        """
        self.finalize()

    def fail(self, err: BaseException) -> None:  # noqa: B027  # optional hook, empty on purpose
        """Hook for a run that ended with ``err`` (sync lane).

        Args:
            err: The exception that ended the run.
        """

    async def afail(self, err: BaseException) -> None:
        """Hook for a run that ended with ``err`` (async lane).

        Tasks started with ``schedule`` are cancelled before this runs.

        Args:
            err: The exception that ended the run.
        """
        self.fail(err)

    def schedule(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        on_error: Literal["log", "raise"] = "log",
    ) -> asyncio.Task[Any]:
        """Run ``coro`` as a task whose lifetime the mux owns.

        The mux awaits such tasks before ``afinalize`` and cancels them before
        ``afail``.

        Args:
            coro: The coroutine to run.
            on_error: ``"log"`` logs a failure and carries on; ``"raise"``
                makes the failure end the run when the mux closes.

        Returns:
            The task running ``coro``.

        Raises:
            RuntimeError: No event loop is running (a sync ``stream_events``).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            raise RuntimeError(
                f"{type(self).__name__}.schedule() requires a running "
                "event loop; this transformer must run under astream(), "
                "not stream(). Set requires_async=True on the class so "
                "this fails at registration rather than at first event."
            ) from None
        task = asyncio.create_task(_log_failure(coro) if on_error == "log" else coro)
        tasks = self._scheduled_task_set()
        tasks.add(task)
        task.add_done_callback(_forget_unless_failed(tasks))
        return task

    def _scheduled_task_set(self) -> set[asyncio.Task[Any]]:
        # Allocated lazily: subclasses are allowed to skip super().__init__().
        tasks: set[asyncio.Task[Any]] | None = getattr(
            self, "_stream_scheduled_tasks", None
        )
        if tasks is None:
            tasks = set()
            self._stream_scheduled_tasks = tasks
        return tasks


async def _log_failure(coro: Coroutine[Any, Any, Any]) -> Any:
    """Await ``coro``; log instead of propagating anything but cancellation."""
    try:
        return await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        _logger.exception("Scheduled StreamTransformer task failed")
        return None


def _forget_unless_failed(
    tasks: set[asyncio.Task[Any]],
) -> Callable[[asyncio.Task[Any]], None]:
    """Done callback: drop the task from ``tasks`` unless it raised.

    A failed ``on_error="raise"`` task stays until the mux closes, so its
    error ends the run even when it finished long before. (LangGraph forgets
    it then, losing the error to asyncio's "never retrieved" log.)
    """

    def forget(task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            tasks.discard(task)

    return forget


def transformer_requires_async(transformer: StreamTransformer) -> bool:
    """Tell whether ``transformer`` can only run under ``astream_events``.

    Args:
        transformer: The transformer to inspect.

    Returns:
        ``True`` when it opts in with ``requires_async`` or overrides an async
        hook without declaring ``supports_sync``.
    """
    if transformer.requires_async:
        return True
    if transformer.supports_sync:
        return False
    cls = type(transformer)
    return any(
        getattr(cls, name) is not getattr(StreamTransformer, name)
        for name in ("aprocess", "afinalize", "afail")
    )
