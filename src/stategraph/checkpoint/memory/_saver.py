"""``InMemorySaver``: keeps checkpoints in dicts, serialized, with LangGraph's layout.

Storage layout (same attribute names and shapes as LangGraph's saver):

- ``storage[thread_id][checkpoint_ns][checkpoint_id]`` is
  ``(serialized checkpoint without channel_values, serialized metadata,
  parent checkpoint id)``;
- ``blobs[(thread_id, checkpoint_ns, channel, version)]`` is the serialized
  channel value at that version, written once (``("empty", b"")`` marks a
  channel that was empty at that version);
- ``writes[(thread_id, checkpoint_ns, checkpoint_id)][(task_id, idx)]`` is
  ``(task_id, channel, serialized value, task_path)``.

Everything stored is serialized bytes, so later mutation of the caller's
objects cannot change saved state and loading returns fresh objects. A list
value whose earlier version is stored may be kept as a splice of it
(``("sgd:<base version>:msgpack", payload)``, see ``_lists``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from stategraph._config import RunnableConfig
from stategraph.checkpoint._splice import SPLICE_EVERY
from stategraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    SerializerProtocol,
)
from stategraph.checkpoint.base._records import next_version
from stategraph.checkpoint.memory._header import (
    check_delta,
    delta_of,
    freeze_header,
    stored_metadata,
    thaw_metadata,
)
from stategraph.checkpoint.memory._lists import ListBlobs
from stategraph.checkpoint.memory._maintenance import (
    MaintenanceMixin,
    config_of as _config,
)
from stategraph.checkpoint.memory._steps import StepWriter, store_values
from stategraph.checkpoint.memory._written import PutWritesMixin, Written

Typed = tuple[str, bytes]
Saved = tuple[Typed, Typed, "str | None"]
StoredWrite = tuple[str, str, Typed, str]


class InMemorySaver(MaintenanceMixin, PutWritesMixin, BaseCheckpointSaver[str]):
    """Checkpoint saver that keeps every thread in process memory.

    Use it for tests, demos and short-lived processes; state is lost when the
    process exits. It behaves like LangGraph's ``InMemorySaver``: same storage
    layout, same ordering of listed checkpoints and pending writes, and the
    same string channel versions. Values are serialized on ``put`` and loaded
    on read, so stored state never aliases live objects.

    With the default serializer, a list value (``add_messages`` and the like)
    is packed item by item: a step packs only the items that are new since
    the channel's previous version, and the version is stored as a splice of
    that one, so time and memory grow with new items, not with the list. The
    stored bytes are the same as packing the whole list; reads are unchanged.
    Items are recognised by identity, which assumes state is not changed in
    place (see ``_lists``); ``splice_every=0`` packs every value in full.

    Args:
        serde: Serializer of values; defaults to the shared ``JsonPlusSerializer``.
        factory: Builds the storage dicts; ``PersistentDict`` (with a
            ``filename``) saves them to a file when the saver exits.
        splice_every: Longest chain of splices: a list value is stored in
            full at least every this many versions (``1``: always in full;
            ``0``: also pack every list in full on every put).

    Example:
        >>> saver = InMemorySaver()
        >>> saver.get_tuple({"configurable": {"thread_id": "t"}}) is None
        True
    """

    storage: defaultdict[str, dict[str, dict[str, Saved]]]
    writes: defaultdict[tuple[str, str, str], dict[tuple[str, int], StoredWrite]]
    blobs: dict[tuple[str, str, str, str | int | float], Typed]

    def __init__(
        self,
        *,
        serde: SerializerProtocol | None = None,
        factory: Any = defaultdict,
        splice_every: int = SPLICE_EVERY,
    ) -> None:
        super().__init__(serde=serde)
        self.storage = factory(lambda: defaultdict(dict))
        self.writes = factory(dict)
        self.blobs = factory()
        self.stack = ExitStack()
        if factory is not defaultdict:
            # A PersistentDict (or similar) saves itself when the saver exits.
            for store in (self.storage, self.writes, self.blobs):
                self.stack.enter_context(store)  # type: ignore[arg-type]  # factory-made
        self._latest: dict[tuple[str, str], str] = {}
        self._unordered: set[tuple[str, str]] = set()
        self._lists = ListBlobs(splice_every) if splice_every > 0 else None
        self._written = Written()
        # Headers kept as changes refer to earlier ones: only in process memory.
        self._deltas = factory is defaultdict

    def __enter__(self) -> InMemorySaver:
        self.stack.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        return self.stack.__exit__(exc_type, exc_value, traceback)

    async def __aenter__(self) -> InMemorySaver:
        self.stack.__enter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        return self.stack.__exit__(exc_type, exc_value, traceback)

    # -- writing -------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint; only channels in ``new_versions`` get new blobs.

        Args:
            config: ``thread_id``, ``checkpoint_ns`` and the parent's
                ``checkpoint_id`` (if any).
            checkpoint: The checkpoint; ``channel_values`` must hold the value
                of every channel in ``new_versions`` that is not empty.
            metadata: Its metadata (merged with the config's, see
                ``get_checkpoint_metadata``).
            new_versions: Channels whose version changed since the parent.

        Returns:
            Config of the stored checkpoint.

        Raises:
            UnserializableValueError: When a value cannot be serialized; the
                path starts at ``state[<channel>]``.
        """
        self.put_changes(config, checkpoint, metadata, new_versions, None)
        conf = config["configurable"]
        return {
            "configurable": {
                "thread_id": conf["thread_id"],
                "checkpoint_ns": conf.get("checkpoint_ns", ""),
                "checkpoint_id": checkpoint["id"],
            }
        }

    # The engine may call ``put_changes`` instead of ``put`` (see ``_saving``).
    header_deltas = True
    # Tests set this: every header kept as changes is checked against a copy.
    check_deltas = False

    def put_changes(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
        since: tuple[str, Any] | None,
    ) -> None:
        """``put``, told what changed since a checkpoint stored earlier.

        The engine's call: ``since`` is ``(checkpoint id, names)`` when this
        checkpoint's ``channel_versions`` and ``versions_seen`` are that
        stored checkpoint's with only the channels of ``new_versions`` and
        the ``versions_seen`` entries in ``names`` added or replaced. The
        header is then kept as those changes, so a step's cost does not grow
        with the number of channels and nodes; reading it back is the same.
        """
        conf = config["configurable"]
        thread_id = conf["thread_id"]
        ns = conf.get("checkpoint_ns", "")
        codec = self._codec_cache
        if codec is None or codec[0] is not self.serde:
            codec = self._codec_entry()
        dumps = codec[1]
        parent_id = conf.get("checkpoint_id")
        values = checkpoint["channel_values"]
        where, source = (thread_id, ns), metadata.get("source")
        store_values(self, where, parent_id, new_versions, values, source, codec)
        checkpoint_id = checkpoint["id"]
        checkpoints = self.storage[thread_id][ns]
        header = None
        if since is not None and self._deltas:
            # Kept as the changes since the header it names, when stored.
            base = checkpoints.get(since[0])
            if base is not None:
                header = delta_of(checkpoint, base[0], new_versions, since[1])
                if header is not None and self.check_deltas:
                    check_delta(header, checkpoint)
        checkpoints[checkpoint_id] = (
            freeze_header(checkpoint) if header is None else header,
            stored_metadata(config, metadata, dumps),
            parent_id,
        )
        key = (thread_id, ns)
        if (latest := self._latest.get(key)) is not None and checkpoint_id > latest:
            self._latest[key] = checkpoint_id  # the usual case: in id order
        else:
            self._track_latest(key, checkpoint_id, checkpoints)

    def step_writer(self, config: RunnableConfig) -> StepWriter | None:
        """The engine's writer of a run's steps (``None``: use ``put_changes``).

        Only for the default serializer and headers kept as changes, which is
        what ``StepWriter`` stores.
        """
        if (
            not self._deltas
            or not self._codec_entry()[3]
            or type(self).put_changes is not InMemorySaver.put_changes
            or "put_changes" in vars(self)
        ):
            return None  # also when a subclass or the instance sees every put
        return StepWriter(self, config)

    # -- reading -------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """Return the checkpoint in ``config``, or the thread's latest one.

        When ``config`` names a ``checkpoint_id``, the returned tuple carries
        ``config`` itself; otherwise a fresh config naming the latest id.
        """
        conf = config["configurable"]
        thread_id = conf["thread_id"]
        ns = conf.get("checkpoint_ns", "")
        # Indexing (not .get) creates empty entries, as LangGraph's saver does;
        # that keeps the thread and namespace order of list() the same.
        checkpoints = self.storage[thread_id][ns]
        if not checkpoints:
            return None
        checkpoint_id = conf.get("checkpoint_id")
        if checkpoint_id:
            saved = checkpoints.get(checkpoint_id)
            if saved is None:
                return None
            return self._tuple(config, thread_id, ns, checkpoint_id, saved)
        checkpoint_id = self._latest_id(thread_id, ns, checkpoints)
        saved = checkpoints[checkpoint_id]
        return self._tuple(
            _config(thread_id, ns, checkpoint_id), thread_id, ns, checkpoint_id, saved
        )

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """List checkpoints, newest first within each namespace.

        Args:
            config: Thread to list (all threads when ``None``); its
                ``checkpoint_ns`` and ``checkpoint_id``, when given, narrow
                the listing further.
            filter: Metadata key/values every listed checkpoint has.
            before: Only checkpoints with ids below this config's id.
            limit: Maximum number of checkpoints, over all threads.

        Yields:
            Checkpoint tuples.
        """
        want_ns = want_id = None
        if config is None:
            thread_ids = list(self.storage)
        else:
            conf = config["configurable"]
            thread_ids = [conf["thread_id"]]
            want_ns = conf.get("checkpoint_ns")
            want_id = conf.get("checkpoint_id")
        before_id = before["configurable"].get("checkpoint_id") if before else None
        remaining = limit
        loads = self._codec()[1]
        for thread_id in thread_ids:
            for ns, checkpoints in list(self.storage[thread_id].items()):
                if want_ns is not None and ns != want_ns:
                    continue
                for checkpoint_id in self._newest_first(thread_id, ns, checkpoints):
                    saved = checkpoints.get(checkpoint_id)
                    if saved is None or (want_id and checkpoint_id != want_id):
                        continue
                    if before_id and checkpoint_id >= before_id:
                        continue
                    metadata = thaw_metadata(saved[1], loads)
                    if filter and not all(
                        v == metadata.get(k) for k, v in filter.items()
                    ):
                        continue
                    if remaining is not None:
                        if remaining <= 0:
                            return
                        remaining -= 1
                    yield self._tuple(
                        _config(thread_id, ns, checkpoint_id),
                        thread_id, ns, checkpoint_id, saved, metadata,
                    )  # fmt: skip

    # The engine may compute these versions itself (same format, no parsing).
    padded_versions = True

    def get_next_version(self, current: str | None, channel: None) -> str:
        """Return ``"<n+1 zero-padded to 32>.<random fraction>"``.

        Args:
            current: Current version (string or int), or ``None``.
            channel: Unused; kept for compatibility.
        """
        return next_version(current)

    # -- helpers -------------------------------------------------------------


MemorySaver = InMemorySaver
"""Old name of ``InMemorySaver``, kept for compatibility."""
