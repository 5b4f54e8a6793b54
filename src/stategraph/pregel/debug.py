"""Debug-stream helpers under LangGraph's ``langgraph.pregel.debug`` path.

The engine builds its ``tasks``/``debug``/``checkpoints`` events itself; these
functions give code ported from LangGraph the same payloads from task objects.
Most are the engine's own helpers under LangGraph's names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from uuid import UUID

from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_NS,
    NS_END,
    NS_SEP,
    TAG_HIDDEN,
)
from stategraph._engine._emit import (
    _task_entry,
    patch_checkpoint_map as patch_checkpoint_map,
    tasks_with_writes as tasks_w_writes,
)
from stategraph._engine._io import (
    fold_writes as map_task_result_writes,
    read_channels as read_channels,
    strip_private as rm_pregel_keys,
    task_result_payload,
    user_metadata,
)
from stategraph._engine._status import (
    TaskStatus as TaskStatus,
    read_statuses as read_task_statuses,
)
from stategraph._stream_parts import (
    CheckpointPayload as CheckpointPayload,
    TaskPayload as TaskPayload,
    TaskResultPayload as TaskResultPayload,
)
from stategraph._types import (
    PregelExecutableTask as PregelExecutableTask,
    PregelTask as PregelTask,
    StateSnapshot as StateSnapshot,
)
from stategraph.channels.base import BaseChannel as BaseChannel
from stategraph.checkpoint.base import CheckpointMetadata as CheckpointMetadata

__all__ = (
    "filter_to_user_tags",
    "map_debug_tasks",
    "map_debug_task_results",
    "map_debug_checkpoint",
    "map_task_result_writes",
    "is_multiple_channel_write",
    "tasks_w_writes",
    "rm_pregel_keys",
    "patch_checkpoint_map",
    "read_channels",
    "read_task_statuses",
    "TaskStatus",
    "get_colored_text",
    "get_bolded_text",
    "COLOR_MAPPING",
    "TASK_NAMESPACE",
    "BaseChannel",
    "CheckpointMetadata",
    "CheckpointPayload",
    "PregelExecutableTask",
    "PregelTask",
    "StateSnapshot",
    "TaskPayload",
    "TaskResultPayload",
)

# The uuid5 namespace LangGraph's module declares for task ids.
TASK_NAMESPACE = UUID("6ba7b831-9dad-11d1-80b4-00c04fd430c8")

# ANSI colour codes of ``get_colored_text`` (bold + colour).
COLOR_MAPPING = {
    "black": "0;30",
    "red": "0;31",
    "green": "0;32",
    "yellow": "0;33",
    "blue": "0;34",
    "magenta": "0;35",
    "cyan": "0;36",
    "white": "0;37",
    "gray": "1;30",
}


def filter_to_user_tags(tags: Sequence[str] | None) -> list[str] | None:
    """Drop the engine's ``seq:step:*`` bookkeeping tags.

    Args:
        tags: Tags of a run or task config.

    Returns:
        The remaining tags, or ``None`` when none remain.
    """
    kept = [t for t in tags or () if not t.startswith("seq:step")]
    return kept or None


def map_debug_tasks(tasks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Yield the ``tasks`` event payload of each task about to run.

    Hidden tasks (tagged ``langsmith:hidden``) are skipped. The payload carries
    ``metadata`` only when the task's config has user metadata or tags.

    Args:
        tasks: Objects with ``id``, ``name``, ``input``, ``triggers`` and
            ``config`` (a ``PregelExecutableTask`` or similar).

    Yields:
        ``{"id", "name", "input", "triggers"[, "metadata"]}`` dicts.
    """
    for task in tasks:
        config = task.config
        if config is not None and TAG_HIDDEN in config.get("tags", ()):
            continue
        payload: dict[str, Any] = {
            "id": task.id,
            "name": task.name,
            "input": task.input,
            "triggers": task.triggers,
        }
        if config is not None:
            md = user_metadata(config.get("metadata"), config.get("tags"))
            if md:
                payload["metadata"] = md
        yield payload


def is_multiple_channel_write(value: Any) -> bool:
    """Say whether ``value`` already folds several writes to one channel.

    Args:
        value: A value of a folded result dict.

    Returns:
        True for a ``{"$writes": [...]}`` dict.
    """
    return isinstance(value, dict) and isinstance(value.get("$writes", None), list)


def map_debug_task_results(
    task_tup: tuple[Any, Sequence[tuple[str, Any]]],
    stream_keys: str | Sequence[str],
) -> Iterator[dict[str, Any]]:
    """Yield the ``tasks`` event payload of a task that finished.

    Args:
        task_tup: The task and the writes it made.
        stream_keys: The channel (or channels) the graph streams.

    Yields:
        One ``{"id", "name", "error", "result", "interrupts"}`` dict.
    """
    task, writes = task_tup
    yield task_result_payload(task, writes, stream_keys)


def map_debug_checkpoint(
    config: Any,
    channels: Mapping[str, Any],
    stream_channels: str | Sequence[str],
    metadata: Any,
    tasks: Iterable[Any],
    pending_writes: list[tuple[str, str, Any]],
    parent_config: Any,
    output_keys: str | Sequence[str],
) -> Iterator[dict[str, Any]]:
    """Yield the ``checkpoints`` event payload of a saved checkpoint.

    Args:
        config: The checkpoint's config (with ``thread_id`` and ``checkpoint_ns``).
        channels: The channels after the step.
        stream_channels: The channels whose values the event carries.
        metadata: The checkpoint's metadata.
        tasks: The tasks of the next step (objects with ``id``, ``name``,
            ``path`` and ``subgraphs``).
        pending_writes: ``(task_id, channel, value)`` writes already made.
        parent_config: The previous checkpoint's config, or ``None``.
        output_keys: The graph's output channel (or channels).

    Yields:
        One dict shaped like a state snapshot.
    """
    tasks = list(tasks)
    parent_ns = config[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")
    states: dict[str, Any] = {}
    for task in tasks:
        if not task.subgraphs:
            continue
        # A config pointing at the subgraph's namespace says its checkpoints exist.
        task_ns = f"{task.name}{NS_END}{task.id}"
        states[task.id] = {
            CONF: {
                "thread_id": config[CONF]["thread_id"],
                CONFIG_KEY_CHECKPOINT_NS: (
                    f"{parent_ns}{NS_SEP}{task_ns}" if parent_ns else task_ns
                ),
            }
        }
    yield {
        "config": rm_pregel_keys(patch_checkpoint_map(config, metadata)),
        "parent_config": rm_pregel_keys(patch_checkpoint_map(parent_config, metadata)),
        "values": read_channels(channels, stream_channels),
        "metadata": metadata,
        "next": [t.name for t in tasks],
        "tasks": [
            _task_entry(t)
            for t in tasks_w_writes(tasks, pending_writes, states, output_keys)
        ],
    }


def get_colored_text(text: str, color: str) -> str:
    """Wrap ``text`` in the ANSI codes of a bold ``color`` (a ``COLOR_MAPPING`` key).

    Args:
        text: The text to colour.
        color: One of ``COLOR_MAPPING``'s keys.

    Returns:
        The text between the colour code and the reset code.
    """
    return f"\033[1;3{COLOR_MAPPING[color]}m{text}\033[0m"


def get_bolded_text(text: str) -> str:
    """Wrap ``text`` in the ANSI codes for bold.

    Args:
        text: The text to make bold.

    Returns:
        The text between the bold code and the reset code.
    """
    return f"\033[1m{text}\033[0m"
