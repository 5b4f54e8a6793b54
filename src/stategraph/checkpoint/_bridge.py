"""Blocking methods of the asyncio savers, run on the saver's own event loop.

``AsyncSqliteSaver`` and ``AsyncPostgresSaver`` are bound to the loop they were
created on. Their sync methods (used by a sync graph running in another
thread, e.g. a worker thread of a server) submit the matching coroutine to
that loop and wait. Called on the loop's own thread they would deadlock, so
they raise ``asyncio.InvalidStateError`` instead, as LangGraph's do; so they
do when that loop is not running (closed, or another loop runs the caller),
where LangGraph's would wait forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from typing import Any, ClassVar, TypeVar

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
)
from stategraph.checkpoint.base._step import StepWrites

T = TypeVar("T")
V = TypeVar("V", int, float, str)


class LoopBoundSaver(BaseCheckpointSaver[V]):
    """Base of the asyncio savers: the blocking API delegates to the loop.

    Subclasses set ``loop`` and ``_SAVER_NAME`` and implement the ``a*``
    methods (plus ``list``, whose blocking form depends on how rows are
    fetched).
    """

    loop: asyncio.AbstractEventLoop
    _SAVER_NAME: ClassVar[str] = "this saver"

    def _on_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the saver's loop and wait for its result."""
        try:
            on_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            coro.close()
            raise asyncio.InvalidStateError(
                f"Synchronous calls to {self._SAVER_NAME} are only allowed from a "
                "different thread. From the main thread, use the async interface. "
                "For example, use `await checkpointer.aget_tuple(...)` or "
                "`await graph.ainvoke(...)`."
            )
        if not self.loop.is_running():
            # Nothing would ever run the coroutine: waiting would hang forever.
            coro.close()
            state = "closed" if self.loop.is_closed() else "not running"
            raise asyncio.InvalidStateError(
                f"{self._SAVER_NAME} is bound to the event loop it was created in, "
                f"and that loop is {state}, so its synchronous methods cannot "
                "run. Create the saver inside the event loop that runs the graph "
                "(e.g. in the same `asyncio.run(...)` or test), or use a sync "
                "saver for sync code."
            )
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def arun_lock(self, thread_id: str) -> AbstractAsyncContextManager[None]:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    @contextmanager
    def run_lock(self, thread_id: str) -> Iterator[None]:
        """Blocking ``arun_lock``, entered and left on the saver's loop.

        Lets a sync run in another thread (``graph.invoke`` in a worker
        thread) hold the thread's run lock, as an asyncio run does.
        """
        lock = self.arun_lock(thread_id)
        self._on_loop(lock.__aenter__())
        try:
            yield
        except BaseException as exc:
            if not self._on_loop(lock.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            self._on_loop(lock.__aexit__(None, None, None))

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Blocking ``aget_tuple``, for threads other than the loop's."""
        return self._on_loop(self.aget_tuple(config))

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Blocking ``aget_delta_channel_history`` (call from another thread)."""
        return self._on_loop(
            self.aget_delta_channel_history(config=config, channels=channels)
        )

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Blocking ``aput``, for threads other than the loop's."""
        return self._on_loop(self.aput(config, checkpoint, metadata, new_versions))

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Blocking ``aput_writes``, for threads other than the loop's."""
        self._on_loop(self.aput_writes(config, writes, task_id, task_path))

    def put_step(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: Sequence[StepWrites],
        durable: bool = True,
    ) -> RunnableConfig:
        """Blocking ``aput_step``, for threads other than the loop's."""
        return self._on_loop(
            self.aput_step(
                config, checkpoint, metadata, new_versions, writes, durable=durable
            )
        )

    async def aput_step(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        writes: Sequence[StepWrites],
        durable: bool = True,
    ) -> RunnableConfig:
        raise NotImplementedError  # pragma: no cover - the saver defines it

    def delete_thread(self, thread_id: str) -> None:
        """Blocking ``adelete_thread``, for threads other than the loop's."""
        self._on_loop(self.adelete_thread(thread_id))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Blocking ``adelete_for_runs``, for threads other than the loop's."""
        self._on_loop(self.adelete_for_runs(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Blocking ``acopy_thread``, for threads other than the loop's."""
        self._on_loop(self.acopy_thread(source_thread_id, target_thread_id))

    def prune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Blocking ``aprune``, for threads other than the loop's."""
        self._on_loop(self.aprune(thread_ids, strategy=strategy))
