"""Checkpoint records and the helpers that build and read them.

The record shapes (``Checkpoint``, ``CheckpointMetadata``, ``CheckpointTuple``)
match ``langgraph.checkpoint.base`` key for key, so data written by either
library reads the same in the other.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal, NamedTuple, TypedDict, TypeVar, cast

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base.id import uuid6
from stategraph.checkpoint.serde.types import ChannelProtocol
from stategraph.errors import EmptyChannelError

V = TypeVar("V", int, float, str)
"""Type of channel versions a saver hands out."""

PendingWrite = tuple[str, str, Any]
"""A write waiting to be applied: ``(task_id, channel, value)``."""

ChannelVersions = dict[str, str | int | float]
"""Channel name to the version it had when the checkpoint was taken."""

LATEST_VERSION = 2
"""Format version written by ``empty_checkpoint``/``create_checkpoint``."""

EXCLUDED_METADATA_KEYS = frozenset(
    {
        "thread_id",
        "checkpoint_id",
        "checkpoint_ns",
        "checkpoint_map",
        "langgraph_step",
        "langgraph_node",
        "langgraph_triggers",
        "langgraph_path",
        "langgraph_checkpoint_ns",
    }
)
"""Config keys never copied into checkpoint metadata."""


class CheckpointMetadata(TypedDict, total=False):
    """Metadata saved with a checkpoint.

    Attributes:
        source: ``"input"`` (made from run input), ``"loop"`` (made by a step),
            ``"update"`` (made by ``update_state``) or ``"fork"`` (a copy).
        step: ``-1`` for the input checkpoint, then ``0``, ``1``, ...
        parents: Checkpoint namespace to checkpoint id of parent graphs.
        run_id: Id of the run that made the checkpoint.
        counters_since_delta_snapshot: Per delta channel,
            ``(updates, supersteps)`` since its last full snapshot.
    """

    source: Literal["input", "loop", "update", "fork"]
    step: int
    parents: dict[str, str]
    run_id: str
    counters_since_delta_snapshot: dict[str, tuple[int, int]]


class Checkpoint(TypedDict):
    """The state of a thread between two steps.

    Attributes:
        v: Format version.
        id: Unique id; ids of one thread sort in creation order.
        ts: Creation time, ISO 8601.
        channel_values: Channel name to its checkpointed value.
        channel_versions: Channel name to its current version.
        versions_seen: Node name to the channel versions it last ran on.
        updated_channels: Channels written in the step that made it.
    """

    v: int
    id: str
    ts: str
    channel_values: dict[str, Any]
    channel_versions: ChannelVersions
    versions_seen: dict[str, ChannelVersions]
    updated_channels: NotRequired[list[str] | None]


class CheckpointTuple(NamedTuple):
    """A checkpoint with its config, metadata, parent and pending writes."""

    config: RunnableConfig
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_config: RunnableConfig | None = None
    pending_writes: list[PendingWrite] | None = None


class DeltaChannelHistory(TypedDict):
    """What one delta channel contributed along a checkpoint's ancestors.

    Attributes:
        writes: The channel's writes on the path, oldest first.
        seed: Stored value at the nearest ancestor that has one; absent when
            the walk reached the root without finding any.
    """

    writes: list[PendingWrite]
    seed: NotRequired[Any]


def writes_sort_key(
    task_path: str, task_id: str = "", idx: int = 0
) -> tuple[str, str, int]:
    """Return the key that orders the writes of one step as the run applied them.

    Args:
        task_path: Path string of the task that wrote.
        task_id: Id of that task.
        idx: Index of the write in the task's writes.
    """
    return (task_path, task_id, idx)


def copy_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """Copy a checkpoint deep enough that updating channels leaves the copy intact.

    Args:
        checkpoint: The checkpoint to copy.

    Returns:
        A copy with its own ``channel_values``, ``channel_versions`` and
        ``versions_seen`` dicts (values themselves are shared).
    """
    copied: dict[str, Any] = {
        "v": checkpoint["v"],
        "ts": checkpoint["ts"],
        "id": checkpoint["id"],
        "channel_values": checkpoint["channel_values"].copy(),
        "channel_versions": checkpoint["channel_versions"].copy(),
        "versions_seen": {k: v.copy() for k, v in checkpoint["versions_seen"].items()},
        "pending_sends": list(cast(Any, checkpoint).get("pending_sends", ())),
        "updated_channels": checkpoint.get("updated_channels"),
    }
    return copied  # type: ignore[return-value]


def empty_checkpoint() -> Checkpoint:
    """Return a checkpoint with no channels, stamped now."""
    empty: dict[str, Any] = {
        "v": LATEST_VERSION,
        "id": str(uuid6(clock_seq=-2)),
        "ts": datetime.now(timezone.utc).isoformat(),
        "channel_values": {},
        "channel_versions": {},
        "versions_seen": {},
        "pending_sends": [],
        "updated_channels": None,
    }
    return empty  # type: ignore[return-value]


def create_checkpoint(
    checkpoint: Checkpoint,
    channels: Mapping[str, ChannelProtocol[Any, Any, Any]] | None,
    step: int,
    *,
    id: str | None = None,
) -> Checkpoint:
    """Return a new checkpoint holding the values of ``channels``.

    Args:
        checkpoint: The checkpoint whose versions are carried over.
        channels: Channels to snapshot; ``None`` keeps ``checkpoint``'s values.
            Channels without a version, and empty ones, are left out.
        step: Step number, used as the id's clock sequence.
        id: Id to use instead of a new one.
    """
    if channels is None:
        values = checkpoint["channel_values"]
    else:
        values = {}
        versions = checkpoint["channel_versions"]
        for name, channel in channels.items():
            if name not in versions:
                continue
            with contextlib.suppress(EmptyChannelError):
                values[name] = channel.checkpoint()
    created: dict[str, Any] = {
        "v": LATEST_VERSION,
        "ts": datetime.now(timezone.utc).isoformat(),
        "id": id or str(uuid6(clock_seq=step)),
        "channel_values": values,
        "channel_versions": checkpoint["channel_versions"],
        "versions_seen": checkpoint["versions_seen"],
        "pending_sends": cast(Any, checkpoint).get("pending_sends", []),
        "updated_channels": None,
    }
    return created  # type: ignore[return-value]


def get_checkpoint_id(config: RunnableConfig) -> str | None:
    """Return the ``checkpoint_id`` of ``config``, if any."""
    checkpoint_id: str | None = config["configurable"].get("checkpoint_id")
    return checkpoint_id


def get_checkpoint_metadata(
    config: RunnableConfig, metadata: CheckpointMetadata
) -> CheckpointMetadata:
    """Return ``metadata`` plus scalars from the config's metadata and configurable.

    Keys already in ``metadata``, keys starting with ``__`` and the keys in
    ``EXCLUDED_METADATA_KEYS`` are not copied; NUL characters are dropped
    from strings.

    Args:
        config: The run config.
        metadata: The metadata made by the run.
    """
    out: dict[str, Any] = dict(metadata)
    for key, value in out.items():
        if isinstance(value, str) and "\x00" in value:
            out[key] = value.replace("\x00", "")
    for source in (config.get("metadata"), config.get("configurable")):
        if not source:
            continue
        for key, value in source.items():
            if key in out or key in EXCLUDED_METADATA_KEYS or key[:2] == "__":
                continue
            if isinstance(value, str):
                out[key] = value.replace("\x00", "") if "\x00" in value else value
            elif isinstance(value, (int, float, bool)):
                out[key] = value
    return out  # type: ignore[return-value]


def get_serializable_checkpoint_metadata(
    config: RunnableConfig, metadata: CheckpointMetadata
) -> CheckpointMetadata:
    """Like ``get_checkpoint_metadata``, without the legacy ``writes`` key."""
    out = get_checkpoint_metadata(config, metadata)
    out.pop("writes", None)  # type: ignore[typeddict-item]
    return out


def next_version(current: str | int | None) -> str:
    """Return the channel version after ``current``: ``"<n+1, 32 digits>.<random>"``.

    Same format as ``InMemorySaver`` and LangGraph's savers, so versions of
    one thread compare correctly as strings whichever saver wrote them.
    """
    if current is None:
        number = 0
    elif isinstance(current, int):
        number = current
    else:
        number = int(current.split(".", 1)[0])
    return f"{number + 1:032}.{random.random():016}"
