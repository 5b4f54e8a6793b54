"""Graph lifecycle callbacks: handlers told when a run pauses or resumes.

LangChain callbacks report chain and model runs; these report what is specific
to graphs: an interrupt pausing the run, a run resuming from one. Handlers are
``GraphCallbackHandler`` objects passed in the config's ``callbacks`` like any
other; the engine records the events and the run's trace delivers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, BaseCallbackManager
from langchain_core.callbacks.manager import ahandle_event, handle_event

from stategraph._types import Interrupt

GraphLifecycleStatus: TypeAlias = Literal[
    "input", "pending", "done", "interrupt_before", "interrupt_after", "out_of_steps"
]
"""The loop status a lifecycle event reports."""


@dataclass(frozen=True)
class GraphInterruptEvent:
    """A run paused on interrupts.

    Attributes:
        run_id: Id of the graph's run, if known.
        status: Loop status when the interrupt was caught.
        checkpoint_id: Checkpoint the run paused at.
        checkpoint_ns: Namespace of the graph, as a tuple of segments.
        interrupts: What the graph asked for.
    """

    run_id: UUID | None
    status: GraphLifecycleStatus
    checkpoint_id: str
    checkpoint_ns: tuple[str, ...]
    interrupts: tuple[Interrupt, ...]


@dataclass(frozen=True)
class GraphResumeEvent:
    """A run resumed from a checkpoint.

    Attributes:
        run_id: Id of the graph's run, if known.
        status: Loop status when the run resumed.
        checkpoint_id: Checkpoint the run resumed from.
        checkpoint_ns: Namespace of the graph, as a tuple of segments.
    """

    run_id: UUID | None
    status: GraphLifecycleStatus
    checkpoint_id: str
    checkpoint_ns: tuple[str, ...]


GraphLifecycleEvent: TypeAlias = GraphInterruptEvent | GraphResumeEvent


class GraphCallbackHandler(BaseCallbackHandler):
    """Base class of handlers of graph lifecycle events; override what you need."""

    def on_interrupt(self, event: GraphInterruptEvent) -> Any:
        """Called when a run pauses on interrupts."""

    def on_resume(self, event: GraphResumeEvent) -> Any:
        """Called when a run resumes."""


_MISSING: Any = object()
_M = TypeVar("_M", bound="_GraphCallbackManager")


def _graph_handlers(handlers: Sequence[Any]) -> list[BaseCallbackHandler]:
    return [h for h in handlers if isinstance(h, GraphCallbackHandler)]


class _GraphCallbackManager(BaseCallbackManager):
    """Delivers lifecycle events to the graph handlers among a run's callbacks."""

    def __init__(
        self,
        handlers: Sequence[BaseCallbackHandler] | None = None,
        inheritable_handlers: Sequence[BaseCallbackHandler] | None = None,
        parent_run_id: UUID | None = None,
        *,
        tags: list[str] | None = None,
        inheritable_tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inheritable_metadata: dict[str, Any] | None = None,
        run_id: UUID | None = None,
    ) -> None:
        super().__init__(
            handlers=list(handlers or ()),
            inheritable_handlers=list(inheritable_handlers or ()),
            parent_run_id=parent_run_id,
            tags=tags,
            inheritable_tags=inheritable_tags,
            metadata=metadata,
            inheritable_metadata=inheritable_metadata,
        )
        self.run_id = run_id

    def copy(self: _M, *, run_id: Any = _MISSING) -> _M:
        """A copy keeping only graph handlers, optionally with another run id."""
        if (
            run_id is not _MISSING
            and run_id is not None
            and not isinstance(run_id, UUID)
        ):
            raise TypeError("run_id must be a UUID or None")
        return _from_manager(
            type(self), self, self.run_id if run_id is _MISSING else run_id
        )

    @classmethod
    def configure(
        cls: type[_M], callbacks: Any = None, *, run_id: UUID | None = None
    ) -> _M:
        """Build a manager from a config's ``callbacks`` (list, handler or manager).

        Raises:
            TypeError: ``callbacks`` is none of those.
        """
        if callbacks is None:
            return cls(run_id=run_id)
        if isinstance(callbacks, BaseCallbackManager):
            return _from_manager(cls, callbacks, run_id)
        if isinstance(callbacks, GraphCallbackHandler):
            return cls((callbacks,), run_id=run_id)
        if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Sequence):
            raise TypeError("callbacks must be a handler, sequence, or manager")
        return cls(_graph_handlers(list(callbacks)), run_id=run_id)

    def on_interrupt(self, event: GraphInterruptEvent) -> None:
        """Tell every graph handler that the run paused."""
        handle_event(_graph_handlers(self.handlers), "on_interrupt", None, event)

    def on_resume(self, event: GraphResumeEvent) -> None:
        """Tell every graph handler that the run resumed."""
        handle_event(_graph_handlers(self.handlers), "on_resume", None, event)


class _AsyncGraphCallbackManager(_GraphCallbackManager):
    """Async version of the lifecycle event manager."""

    async def on_interrupt(self, event: GraphInterruptEvent) -> None:  # type: ignore[override]  # async twin
        """Tell every graph handler that the run paused."""
        await ahandle_event(_graph_handlers(self.handlers), "on_interrupt", None, event)

    async def on_resume(self, event: GraphResumeEvent) -> None:  # type: ignore[override]  # async twin
        """Tell every graph handler that the run resumed."""
        await ahandle_event(_graph_handlers(self.handlers), "on_resume", None, event)


def _from_manager(cls: type[_M], other: BaseCallbackManager, run_id: UUID | None) -> _M:
    return cls(
        handlers=_graph_handlers(other.handlers),
        inheritable_handlers=_graph_handlers(other.inheritable_handlers),
        parent_run_id=other.parent_run_id,
        tags=list(other.tags),
        inheritable_tags=list(other.inheritable_tags),
        metadata=dict(other.metadata),
        inheritable_metadata=dict(other.inheritable_metadata),
        run_id=run_id,
    )


def get_sync_graph_callback_manager_for_config(
    config: Any, *, run_id: UUID | None = None
) -> _GraphCallbackManager:
    """The lifecycle event manager of a run with ``config``."""
    return _GraphCallbackManager.configure(config.get("callbacks"), run_id=run_id)


def get_async_graph_callback_manager_for_config(
    config: Any, *, run_id: UUID | None = None
) -> _AsyncGraphCallbackManager:
    """Async version of ``get_sync_graph_callback_manager_for_config``."""
    return _AsyncGraphCallbackManager.configure(config.get("callbacks"), run_id=run_id)
