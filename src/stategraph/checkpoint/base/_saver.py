"""``BaseCheckpointSaver``: the interface the engine uses to persist threads.

A saver must implement ``get_tuple``, ``list``, ``put`` and ``put_writes``;
everything else has a default. The async methods default to calling the sync
ones, so a saver whose storage is in memory (or otherwise never blocks) only
writes the sync half. Savers doing real I/O override both halves.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base._records import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    DeltaChannelHistory,
    PendingWrite,
    V,
)
from stategraph.checkpoint.serde.base import SerializerProtocol, maybe_add_typed_methods
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer

if TYPE_CHECKING:
    from typing_extensions import Self

logger = logging.getLogger("stategraph.checkpoint.base")


class BaseCheckpointSaver(Generic[V]):
    """Base class of checkpointers, which persist the state of graph threads.

    Pass a ``thread_id`` in ``config["configurable"]`` when running a graph
    compiled with a checkpointer; it keys every checkpoint of the thread.

    Subclasses implement ``get_tuple``, ``list``, ``put`` and ``put_writes``.
    ``delete_thread``, ``delete_for_runs``, ``copy_thread`` and ``prune`` are
    optional. Async methods call the sync ones unless overridden.

    A saver able to store a checkpoint and pending writes in one transaction
    may also define ``put_step(config, checkpoint, metadata, new_versions,
    writes, durable=True)`` (and ``aput_step``), where ``writes`` is a list of
    ``StepWrites``; the engine then saves a step with one call (see
    ``saves_steps``). ``durable=False`` lets the commit skip waiting for the
    disk, for savers that also define ``flush_steps(config)`` (and
    ``aflush_steps``), which the engine calls before a run with async
    durability returns.

    Args:
        serde: Serializer of checkpoints and writes; defaults to a
            ``JsonPlusSerializer`` shared by savers that pass none.

    Attributes:
        serde: The serializer in use.
    """

    serde: SerializerProtocol = JsonPlusSerializer()

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        self.serde = maybe_add_typed_methods(serde or self.serde)

    # -- required ------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Fetch a checkpoint with its metadata, parent and pending writes.

        Args:
            config: ``thread_id``, ``checkpoint_ns`` and optionally
                ``checkpoint_id`` (latest checkpoint when absent).

        Returns:
            The checkpoint tuple, or ``None``. Pending writes are ordered by
            ``writes_sort_key``.
        """
        raise NotImplementedError

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """List checkpoints, newest first.

        Args:
            config: Thread (and optionally namespace, checkpoint id) to list;
                ``None`` lists every thread.
            filter: Metadata key/values a checkpoint must all have.
            before: Only checkpoints older than this config's checkpoint.
            limit: Maximum number of checkpoints.
        """
        raise NotImplementedError

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint.

        Args:
            config: Thread and namespace; its ``checkpoint_id``, if any, is
                the parent checkpoint.
            checkpoint: The checkpoint to store.
            metadata: Its metadata.
            new_versions: The channels whose version changed since the parent
                checkpoint, with their new versions; only those values need
                storing again.

        Returns:
            Config pointing at the stored checkpoint.
        """
        raise NotImplementedError

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store the writes of a task against the checkpoint in ``config``.

        Args:
            config: Config of the checkpoint the task ran from.
            writes: ``(channel, value)`` pairs.
            task_id: Id of the task that wrote.
            task_path: Path of that task, for ordering.
        """
        raise NotImplementedError

    # -- optional ------------------------------------------------------------

    def get(self, config: RunnableConfig) -> Checkpoint | None:
        """Fetch a checkpoint (see ``get_tuple``)."""
        found = self.get_tuple(config)
        return found.checkpoint if found else None

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint and write of a thread."""
        raise NotImplementedError

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) made by the given runs."""
        raise NotImplementedError

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint and write of a thread to another thread id."""
        raise NotImplementedError

    def prune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Drop old checkpoints of threads.

        Args:
            thread_ids: Threads to prune.
            strategy: ``"keep_latest"`` keeps the newest checkpoint of each
                namespace (with its writes); ``"delete"`` removes everything.
        """
        raise NotImplementedError

    def get_next_version(self, current: V | None, channel: None) -> V:
        """Return the version that follows ``current`` (``1`` when ``None``).

        The base class counts with integers; savers may use any increasing
        ``str``/``int``/``float`` versions.

        Args:
            current: Current version of the channel.
            channel: Unused; kept for compatibility.
        """
        if isinstance(current, str):
            raise NotImplementedError
        if current is None:
            return 1  # type: ignore[return-value]
        return current + 1

    def with_allowlist(self, extra_allowlist: Iterable[Any]) -> Self:
        """Return a shallow copy whose serializer also allows ``extra_allowlist``.

        Args:
            extra_allowlist: Classes or ``(module, name)`` pairs.

        Returns:
            ``self`` when the serializer has no allowlist or already allows
            all of ``extra_allowlist``; otherwise the copy.
        """
        serde = _with_msgpack_allowlist(self.serde, extra_allowlist)
        if serde is self.serde:
            return self
        clone = copy.copy(self)
        clone.serde = serde
        return clone

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect, per channel, its writes along the ancestors of a checkpoint.

        Walks parents of the checkpoint in ``config``; a channel's walk stops
        at the nearest ancestor storing a value for it (its ``seed``).

        Args:
            config: The checkpoint whose ancestors are walked.
            channels: Channel names.
        """
        walk = _HistoryWalk(channels)
        target = self.get_tuple(config) if channels else None
        cursor = target.parent_config if target else None
        while cursor is not None and walk.remaining:
            found = self.get_tuple(cursor)
            if found is None:
                break
            walk.visit(found.checkpoint["channel_values"], found.pending_writes or [])
            cursor = found.parent_config
        return walk.result()

    # -- async ---------------------------------------------------------------

    async def aget(self, config: RunnableConfig) -> Checkpoint | None:
        """Async ``get``."""
        found = await self.aget_tuple(config)
        return found.checkpoint if found else None

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Async ``get_tuple``."""
        return self.get_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async ``list``."""
        for item in self.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Async ``put``."""
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Async ``put_writes``."""
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Async ``delete_thread``."""
        self.delete_thread(thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Async ``delete_for_runs``."""
        self.delete_for_runs(run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Async ``copy_thread``."""
        self.copy_thread(source_thread_id, target_thread_id)

    async def aprune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Async ``prune``."""
        self.prune(thread_ids, strategy=strategy)

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Async ``get_delta_channel_history``."""
        walk = _HistoryWalk(channels)
        target = await self.aget_tuple(config) if channels else None
        cursor = target.parent_config if target else None
        while cursor is not None and walk.remaining:
            found = await self.aget_tuple(cursor)
            if found is None:
                break
            walk.visit(found.checkpoint["channel_values"], found.pending_writes or [])
            cursor = found.parent_config
        return walk.result()


class _HistoryWalk:
    """Accumulates delta-channel history while ancestors are visited newest first."""

    def __init__(self, channels: Sequence[str]) -> None:
        self.channels = list(channels)
        self.remaining = set(channels)
        self.writes: dict[str, list[PendingWrite]] = {c: [] for c in channels}
        self.seeds: dict[str, Any] = {}

    def visit(self, values: Mapping[str, Any], writes: Sequence[PendingWrite]) -> None:
        """Take one ancestor: its writes (newest last) and its stored values."""
        for write in reversed(writes):
            if write[1] in self.remaining:
                self.writes[write[1]].append(write)
        for name in [c for c in self.remaining if c in values]:
            self.seeds[name] = values[name]
            self.remaining.discard(name)

    def result(self) -> dict[str, DeltaChannelHistory]:
        """Return the history of each channel, oldest write first."""
        out: dict[str, DeltaChannelHistory] = {}
        for name in self.channels:
            entry: DeltaChannelHistory = {"writes": self.writes[name][::-1]}
            if name in self.seeds:
                entry["seed"] = self.seeds[name]
            out[name] = entry
        return out


def _with_msgpack_allowlist(
    serde: SerializerProtocol, extra_allowlist: Iterable[Any]
) -> SerializerProtocol:
    """Return ``serde`` extended with ``extra_allowlist`` (LangGraph's helper).

    A ``JsonPlusSerializer``, or one wrapped by an ``EncryptedSerializer``, is
    copied with the extra classes allowed; the same object comes back when
    nothing is added. Other serializers have no allowlist: they come back
    unchanged, with a warning, since the restriction cannot be applied.
    """
    if isinstance(serde, JsonPlusSerializer):
        return serde.with_msgpack_allowlist(extra_allowlist)
    inner = getattr(serde, "serde", None)
    if isinstance(inner, JsonPlusSerializer) and hasattr(serde, "cipher"):
        extended = inner.with_msgpack_allowlist(extra_allowlist)
        if extended is inner:
            return serde
        clone = copy.copy(serde)
        clone.serde = extended  # type: ignore[attr-defined]  # EncryptedSerializer
        return clone
    logger.warning(
        "Serializer %s does not support msgpack allowlist; the extra allowed "
        "classes are not applied.",
        type(serde).__name__,
    )
    return serde
