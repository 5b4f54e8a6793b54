"""``StepWriter``: the engine's way of storing a run's steps in an ``InMemorySaver``.

A step's checkpoint is stored exactly as ``InMemorySaver.put_changes`` would
store it, but from the parts the engine has at hand: no checkpoint record is
assembled only to be taken apart, the thread and namespace are looked up once
per run, and the metadata the run's config adds to every checkpoint is worked
out once. A sequence of small steps spends most of its saving time on such
bookkeeping, so this is the path every step of a plain sync run takes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stategraph._constants import TASKS
from stategraph.channels.base import MISSING
from stategraph.checkpoint.memory._header import (
    _HEADER,
    _METADATA,
    _NEVER_COPIED,
    _NO_PARENTS,
    INT_RANGE,
    NONE_ROW,
    SCALAR,
    _copy_config,
    check_delta,
    freeze_delta,
)
from stategraph.checkpoint.memory._written import PutWritesMixin, store_writes
from stategraph.checkpoint.serde.jsonplus import UnserializableValueError

if TYPE_CHECKING:
    from stategraph.checkpoint.memory._lists import ListBlobs
    from stategraph.checkpoint.memory._saver import InMemorySaver

_EMPTY: Any = ("empty", b"")  # the row of a channel with no value
# ``store_values`` takes what a step wrote only when it stores a list.
_UNTAKEN: Any = object()
_INT_MIN, _INT_END = INT_RANGE


def store_values(
    saver: InMemorySaver,
    where: tuple[str, str],
    parent_id: str | None,
    new_versions: Any,
    values: dict[str, Any],
    source: Any,
    codec: tuple[Any, Any, Any, bool],
) -> None:
    """Store the row of each channel of ``new_versions`` (its value, or empty).

    ``where`` is the thread and namespace; ``parent_id`` and ``source`` tell
    which writes a list value may not reuse items of (see ``_lists``).
    ``values`` has no entry, or ``MISSING``, for a channel with no value;
    ``codec`` is the saver's ``_codec_entry()``.
    """
    # A ``None`` value (most channels of a step) stores as the serializer's
    # scalar row; only the default serializer (``plain``) has one.
    dumps, plain = codec[1], codec[3]
    thread_id, ns = where
    dirty: Any = _UNTAKEN
    blobs = saver.blobs
    for channel, version in new_versions.items():
        value = values.get(channel, MISSING)
        if value is None and plain:
            blob = NONE_ROW
        elif value is MISSING:
            blob = _EMPTY
        elif type(value) is int and plain and _INT_MIN <= value < _INT_END:
            blob = (SCALAR, value)  # ``dumps``' own row, without the call
        elif plain and type(value) is list and saver._lists is not None:
            if dirty is _UNTAKEN:
                dirty = saver._written.take(thread_id, ns, parent_id, source)
            at = (thread_id, ns, channel)
            blob = _list_row(saver._lists, at, version, value, dumps, dirty, blobs)
        else:
            try:
                blob = dumps(value)
            except UnserializableValueError as exc:
                raise exc.with_prefix(f"state[{channel!r}]") from None
        blobs[(thread_id, ns, channel, version)] = blob


def _list_row(
    lists: ListBlobs,
    where: tuple[str, str, str],
    version: Any,
    value: list[Any],
    dumps: Any,
    dirty: set[int] | None,
    blobs: Any,
) -> Any:
    """The row of a list value (``where``: thread, ns, channel); see ``_lists``."""
    try:
        if where[2] == TASKS:
            # This step's fresh ``Send``s: nothing to reuse or splice.
            return dumps(value)
        return lists.encode(where, version, value, dirty, dumps, blobs)
    except UnserializableValueError as exc:
        raise exc.with_prefix(f"state[{where[2]!r}]") from None


def config_extras(config: Any) -> dict[str, Any]:
    """What ``stored_metadata`` adds to the engine's metadata from ``config``.

    The keys of the ``metadata`` and ``configurable`` sections it copies;
    none named like the engine's own keys, which take precedence.
    """
    out: dict[str, Any] = {"source": None, "step": None, "parents": None}
    for section in (config.get("metadata"), config.get("configurable")):
        if section and not section.keys() <= _NEVER_COPIED:
            _copy_config(out, section)
    del out["source"], out["step"], out["parents"]
    return out


class StepWriter:
    """Stores the step checkpoints of one run (thread and namespace) in a saver.

    Made by ``InMemorySaver.step_writer``; only for the default serializer
    and a saver that keeps headers as changes (see ``put_changes``).
    """

    __slots__ = ("codec", "extras", "key", "ns", "saver", "stores_writes", "thread_id")

    def __init__(self, saver: InMemorySaver, config: Any) -> None:
        conf = config["configurable"]
        self.saver = saver
        self.thread_id: str = conf["thread_id"]
        self.ns: str = conf.get("checkpoint_ns", "")
        self.key = (self.thread_id, self.ns)
        self.extras = config_extras(config)
        self.codec = saver._codec_entry()
        # A subclass (or the instance) that sees every ``put_writes`` gets them.
        own = type(saver).put_writes is PutWritesMixin.put_writes
        self.stores_writes = own and "put_writes" not in vars(saver)

    def put(
        self,
        head: tuple[str, str, Any],
        parent_id: str,
        new_versions: dict[str, Any],
        values: dict[str, Any],
        versions: dict[str, Any],
        seen: dict[str, Any],
        seen_names: set[str],
        metadata: dict[str, Any],
    ) -> None:
        """Store a step's checkpoint, the changes since the stored ``parent_id``.

        Args:
            head: The checkpoint's ``ts``, ``id`` and ``updated_channels``.
            parent_id: Id of the checkpoint stored before it in this run.
            new_versions: Channels whose version moved since the parent, with
                their versions (kept, not copied).
            values: Values of those channels (``MISSING`` when empty).
            versions: Its ``channel_versions``: the parent's, but for these.
            seen: Its ``versions_seen``: the parent's, but for ``seen_names``.
            seen_names: Nodes whose ``versions_seen`` entry is new.
            metadata: The engine's ``source``, ``step`` and ``parents``.

        Raises:
            UnserializableValueError: When a value cannot be serialized.
        """
        saver = self.saver
        thread_id, ns = self.thread_id, self.ns
        key, source = self.key, metadata["source"]
        store_values(saver, key, parent_id, new_versions, values, source, self.codec)
        checkpoints = saver.storage[thread_id][ns]
        base = checkpoints.get(parent_id)
        header = None
        if base is not None:
            header = freeze_delta(
                base[0], versions, seen, new_versions, seen_names, head
            )
        if header is None:
            header = _whole(head, versions, seen)
        elif saver.check_deltas:
            check_delta(header, {"channel_versions": versions, "versions_seen": seen})
        parents = metadata["parents"]
        kept = {
            "source": metadata["source"],
            "step": metadata["step"],
            # The root graph's parents are empty: one shared dict, as reading
            # metadata back copies it (``thaw_metadata``).
            "parents": dict(parents) if parents else _NO_PARENTS,
        }
        if self.extras:
            kept.update(self.extras)
        checkpoint_id = head[1]
        checkpoints[checkpoint_id] = (header, (_METADATA, kept), parent_id)  # type: ignore[assignment]  # kept, not serialized
        latest = saver._latest
        if (last := latest.get(key)) is not None and checkpoint_id > last:
            latest[key] = checkpoint_id  # the usual case: in id order
        else:
            saver._track_latest(key, checkpoint_id, checkpoints)

    def put_writes(
        self, checkpoint_id: str, writes: Any, task_id: str, task_path: str
    ) -> None:
        """``InMemorySaver.put_writes`` of a task's writes against ``checkpoint_id``."""
        key = (self.thread_id, self.ns, checkpoint_id)
        store_writes(self.saver, key, writes, task_id, task_path, self.codec)


def _whole(head: tuple[str, str, Any], versions: Any, seen: Any) -> Any:
    """``freeze_header`` of the record ``head`` and the version maps make."""
    ts, checkpoint_id, updated = head
    return (
        _HEADER,
        {
            "v": 4,
            "ts": ts,
            "id": checkpoint_id,
            "channel_versions": dict(versions),
            "versions_seen": dict(seen),
            "updated_channels": updated,
        },
    )
