"""The reading and maintenance half of ``InMemorySaver``.

Loading stored tuples, listing order, deleting, copying and pruning threads
(which walk whole dicts) and the delta-channel history walk. ``put``,
``put_writes`` and the public readers live in ``_saver``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stategraph._config import RunnableConfig
from stategraph.checkpoint._delta_history import COUNTERS_KEY, delta_prune_error
from stategraph.checkpoint._splice import PREFIX as SPLICED, base_of, is_spliced
from stategraph.checkpoint.base import (
    CheckpointTuple,
    DeltaChannelHistory,
    PendingWrite,
)
from stategraph.checkpoint.base._saver import _HistoryWalk
from stategraph.checkpoint.memory._header import thaw_header, thaw_metadata, value_codec
from stategraph.checkpoint.memory._lists import ListBlobs, load_row
from stategraph.checkpoint.memory._written import Written
from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.serde.jsonplus import (
    DeserializationError,
    JsonPlusSerializer,
)

Typed = tuple[str, bytes]
Saved = tuple[Typed, Typed, "str | None"]
StoredWrite = tuple[str, str, Typed, str]
OrderedWrites = list[tuple[str, str, Typed]]


def _write_order(item: tuple[tuple[str, int], StoredWrite]) -> tuple[str, str, int]:
    (task_id, idx), write = item
    return (write[3], task_id, idx)


def ordered_writes(stored: dict[tuple[str, int], StoredWrite] | None) -> OrderedWrites:
    """Return ``(task_id, channel, blob)`` of stored writes, in pending-write order."""
    if not stored:
        return []
    return [
        (task_id, channel, blob)
        for _, (task_id, channel, blob, _) in sorted(stored.items(), key=_write_order)
    ]


def config_of(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    """The config naming a stored checkpoint."""
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": checkpoint_id,
        }
    }


class MaintenanceMixin:
    """Bulk operations and history walks over the storage dicts of ``InMemorySaver``."""

    serde: SerializerProtocol
    storage: defaultdict[str, dict[str, dict[str, Saved]]]
    writes: defaultdict[tuple[str, str, str], dict[tuple[str, int], StoredWrite]]
    blobs: dict[tuple[str, str, str, str | int | float], Typed]
    _latest: dict[tuple[str, str], str]
    _unordered: set[tuple[str, str]]
    _lists: ListBlobs | None
    _written: Written

    # (serde, dumps, loads, whether lists may be packed item by item)
    _codec_cache: tuple[Any, Any, Any, bool] | None = None

    def _codec_entry(self) -> tuple[Any, Any, Any, bool]:
        """``(serde, dumps, loads, plain)`` for the current serializer (cached)."""
        serde = self.serde
        cached = self._codec_cache
        if cached is None or cached[0] is not serde:
            dumps, loads = value_codec(serde)
            # Only the default serializer packs a list as a msgpack array of
            # its items; a custom one (encryption, say) sees whole values.
            plain = type(serde) is JsonPlusSerializer
            cached = self._codec_cache = (serde, dumps, loads, plain)
        return cached

    def _codec(self) -> tuple[Any, Any]:
        """Value ``(dumps, loads)`` for the current serializer."""
        cached = self._codec_entry()
        return cached[1], cached[2]

    def _writers(self) -> tuple[Any, ListBlobs | None]:
        """``dumps`` and, for the default serializer, the list packer."""
        cached = self._codec_entry()
        return cached[1], self._lists if cached[3] else None

    def _unsplice(self, key: tuple[str, str, str, Any], row: Typed) -> Typed:
        """The full row of a value stored as a splice (see ``_lists``)."""
        try:
            return load_row(key, row, self.blobs, self._lists)
        except ValueError as exc:
            where = f"channel {key[2]!r} of thread {key[0]!r}, namespace {key[1]!r}"
            raise DeserializationError(f"cannot load {where}: {exc}") from exc

    def _track_latest(
        self, key: tuple[str, str], checkpoint_id: str, checkpoints: dict[str, Saved]
    ) -> None:
        """Keep the newest id of a namespace after storing ``checkpoint_id``."""
        latest = self._latest.get(key)
        if latest is not None and checkpoint_id > latest:
            self._latest[key] = checkpoint_id  # appended in id order: the usual case
        elif latest is None and len(checkpoints) == 1:
            self._latest[key] = checkpoint_id
        elif checkpoint_id != latest:
            self._reindex(key, checkpoints)

    def _reindex(self, key: tuple[str, str], checkpoints: dict[str, Saved]) -> None:
        # A checkpoint arrived out of id order: find the newest by scanning,
        # and sort (rather than reverse) this namespace when listing it.
        self._latest[key] = max(checkpoints)
        self._unordered.add(key)

    def _newest_first(
        self, thread_id: str, ns: str, checkpoints: dict[str, Saved]
    ) -> list[str]:
        # Ids are usually stored in increasing order; a snapshot of the keys,
        # reversed, then lists them without sorting.
        if (thread_id, ns) in self._unordered:
            return sorted(checkpoints, reverse=True)
        ids = list(checkpoints)
        ids.reverse()
        return ids

    def _latest_id(self, thread_id: str, ns: str, checkpoints: dict[str, Saved]) -> str:
        latest = self._latest.get((thread_id, ns))
        if latest is None or latest not in checkpoints:
            latest = max(checkpoints)
            self._latest[(thread_id, ns)] = latest
        return latest

    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, write and value blob of a thread.

        Args:
            thread_id: The thread to delete; unknown ids are ignored.
        """
        self.storage.pop(thread_id, None)
        self._forget(thread_id)
        for key in [k for k in self.writes if k[0] == thread_id]:
            del self.writes[key]
        for blob_key in [k for k in self.blobs if k[0] == thread_id]:
            del self.blobs[blob_key]
        for latest_key in [k for k in self._latest if k[0] == thread_id]:
            del self._latest[latest_key]
        self._unordered -= {k for k in self._unordered if k[0] == thread_id}

    def _forget(self, thread_id: str) -> None:
        if self._lists is not None:
            self._lists.forget((thread_id,))
        self._written.forget(thread_id)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints whose metadata ``run_id`` is in ``run_ids``.

        Their pending writes go too, and value blobs no longer used by any
        remaining checkpoint of the namespace.

        Args:
            run_ids: Run ids (compared as strings).
        """
        wanted = {str(run_id) for run_id in run_ids}
        if not wanted:
            return
        loads = self._codec()[1]
        for thread_id, namespaces in list(self.storage.items()):
            for ns, checkpoints in list(namespaces.items()):
                doomed = []
                for checkpoint_id, saved in list(checkpoints.items()):
                    run_id = thaw_metadata(saved[1], loads).get("run_id")
                    if run_id is not None and str(run_id) in wanted:
                        doomed.append(checkpoint_id)
                if doomed:
                    self._drop(thread_id, ns, doomed)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint, write and blob of a thread under another id.

        Checkpoint ids and parent links are kept; checkpoints already on the
        target thread stay unless they have the same id.

        Args:
            source_thread_id: Thread to copy; nothing happens if unknown.
            target_thread_id: Thread to copy to.
        """
        source = self.storage.get(source_thread_id)
        if not source:
            return
        target = self.storage[target_thread_id]
        self._forget(target_thread_id)  # its cached values may be overwritten
        for ns, checkpoints in list(source.items()):
            if not checkpoints:
                continue
            target[ns].update(checkpoints)
            self._latest[(target_thread_id, ns)] = max(target[ns])
            self._unordered.add((target_thread_id, ns))  # merged: order unknown
        for (thread_id, ns, checkpoint_id), stored in list(self.writes.items()):
            if thread_id == source_thread_id:
                self.writes[(target_thread_id, ns, checkpoint_id)].update(stored)
        for (thread_id, ns, channel, version), blob in list(self.blobs.items()):
            if thread_id == source_thread_id:
                self.blobs[(target_thread_id, ns, channel, version)] = blob

    def prune(
        self, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> None:
        """Drop old checkpoints of threads.

        Args:
            thread_ids: Threads to prune; unknown ids are ignored.
            strategy: ``"keep_latest"`` keeps the newest checkpoint of each
                namespace, with its writes and the blobs it uses;
                ``"delete"`` deletes the threads.

        Raises:
            ValueError: For another strategy.
        """
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(
                f"Unknown prune strategy {strategy!r}; use 'keep_latest' or 'delete'"
            )
        if strategy == "keep_latest":
            self._refuse_delta_threads(thread_ids)
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
                continue
            for ns, checkpoints in list(self.storage.get(thread_id, {}).items()):
                if len(checkpoints) > 1:
                    latest = max(checkpoints)
                    self._drop(thread_id, ns, [c for c in checkpoints if c != latest])

    def _refuse_delta_threads(self, thread_ids: Sequence[str]) -> None:
        loads = self._codec()[1]
        delta = [
            thread_id
            for thread_id in thread_ids
            if any(
                COUNTERS_KEY in thaw_metadata(saved[1], loads)
                for checkpoints in self.storage.get(thread_id, {}).values()
                for saved in checkpoints.values()
            )
        ]
        if delta:
            raise delta_prune_error(delta)

    def get_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Collect delta-channel history straight from storage (see base class)."""
        if not channels:
            return {}
        conf = config["configurable"]
        thread_id = conf["thread_id"]
        ns = conf.get("checkpoint_ns", "")
        checkpoints = self.storage.get(thread_id, {}).get(ns, {})
        target_id = conf.get("checkpoint_id") or max(checkpoints, default="")
        target = checkpoints.get(target_id)
        cursor = target[2] if target is not None else None
        walk = _HistoryWalk(channels)
        loads = self._codec()[1]
        while cursor is not None and walk.remaining:
            saved = checkpoints.get(cursor)
            if saved is None:
                break
            versions = thaw_header(saved[0], loads)["channel_versions"]
            values = {}
            for name in walk.remaining:
                key = (thread_id, ns, name, versions.get(name, ""))
                blob = self.blobs.get(key)
                if blob is not None and blob[0] != "empty":
                    values[name] = loads(self._unsplice(key, blob))
            writes = [
                (task_id, channel, loads(blob))
                for task_id, channel, blob in ordered_writes(
                    self.writes.get((thread_id, ns, cursor))
                )
                if channel in walk.remaining
            ]
            walk.visit(values, writes)
            cursor = saved[2]
        return walk.result()

    async def aget_delta_channel_history(
        self, *, config: RunnableConfig, channels: Sequence[str]
    ) -> Mapping[str, DeltaChannelHistory]:
        """Async ``get_delta_channel_history`` (runs the in-memory walk)."""
        return self.get_delta_channel_history(config=config, channels=channels)

    def _drop(self, thread_id: str, ns: str, checkpoint_ids: Iterable[str]) -> None:
        namespaces = self.storage[thread_id]
        checkpoints = namespaces[ns]
        for checkpoint_id in checkpoint_ids:
            checkpoints.pop(checkpoint_id, None)
            self.writes.pop((thread_id, ns, checkpoint_id), None)
        self._collect_blobs(thread_id, ns, checkpoints.values())
        if checkpoints:
            self._latest[(thread_id, ns)] = max(checkpoints)  # deleting keeps order
            return
        self._latest.pop((thread_id, ns), None)
        self._unordered.discard((thread_id, ns))
        del namespaces[ns]
        if not namespaces:
            del self.storage[thread_id]

    def _collect_blobs(self, thread_id: str, ns: str, kept: Iterable[Saved]) -> None:
        loads = self._codec()[1]
        used = {
            (thread_id, ns, channel, version)
            for saved in kept
            for channel, version in thaw_header(saved[0], loads)[
                "channel_versions"
            ].items()
        }
        blobs = self.blobs
        for key in list(used):
            # A kept splice needs its base, and the base's base, in turn.
            row = blobs.get(key)
            while row is not None and is_spliced(row[0]):
                key = (*key[:3], base_of(row[0]))
                if key in used:
                    break
                used.add(key)
                row = blobs.get(key)
        for key in [
            k for k in blobs if k[0] == thread_id and k[1] == ns and k not in used
        ]:
            del blobs[key]

    def _tuple(
        self,
        config: RunnableConfig,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        saved: Saved,
        metadata: Any = None,
    ) -> CheckpointTuple:
        loads = self._codec()[1]
        checkpoint = thaw_header(saved[0], loads)
        values: dict[str, Any] = {}
        blobs = self.blobs
        for channel, version in checkpoint["channel_versions"].items():
            blob = blobs.get((thread_id, ns, channel, version))
            if blob is not None and blob[0] != "empty":
                if blob[0][:4] == SPLICED:
                    blob = self._unsplice((thread_id, ns, channel, version), blob)
                values[channel] = loads(blob)
        checkpoint["channel_values"] = values
        stored = self.writes.get((thread_id, ns, checkpoint_id))
        pending: list[PendingWrite] = [
            (task_id, channel, loads(blob))
            for task_id, channel, blob in ordered_writes(stored)
        ]
        parent_id = saved[2]
        return CheckpointTuple(
            config=config,
            checkpoint=checkpoint,
            metadata=thaw_metadata(saved[1], loads) if metadata is None else metadata,
            parent_config=config_of(thread_id, ns, parent_id) if parent_id else None,
            pending_writes=pending,
        )
