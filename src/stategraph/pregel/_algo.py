"""LangGraph's stand-alone superstep functions (``langgraph.pregel._algo``).

LangGraph plans and commits steps with free functions over a checkpoint dict;
stategraph's engine (``_engine._algo``) does the same over its loop. Each
function here wraps the caller's checkpoint, channels and nodes in a view
shaped like that loop and calls the engine, so both share one implementation.
Nothing here is used by the engine itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from stategraph._constants import CONF, INTERRUPT, TAG_HIDDEN
from stategraph._engine import _algo, _emit
from stategraph._engine._algo import consumers_of, unsteady_of
from stategraph._engine._calls import Call
from stategraph._engine._loop import Loop
from stategraph._engine._task import Task
from stategraph._runtime import DEFAULT_RUNTIME
from stategraph._types import PregelTask
from stategraph.checkpoint.base import Checkpoint

__all__ = [
    "Call",
    "PregelTaskWrites",
    "WritesProtocol",
    "apply_writes",
    "checkpoint_null_version",
    "increment",
    "local_read",
    "prepare_next_tasks",
    "should_interrupt",
    "task_path_str",
]

GetNextVersion = Callable[[Any, None], Any]

task_path_str: Callable[[Any], str] = _algo.path_str
"""The sort key of a task path: ints zero-padded, nested paths flattened."""


class WritesProtocol(Protocol):
    """What ``apply_writes`` reads from a task: its path, name, writes, triggers."""

    @property
    def path(self) -> tuple[str | int | tuple[Any, ...], ...]:
        """The task's path (its write order at the barrier)."""

    @property
    def name(self) -> str:
        """The node name, the key of its ``versions_seen``."""

    @property
    def writes(self) -> Sequence[tuple[str, Any]]:
        """``(channel, value)`` pairs to apply."""

    @property
    def triggers(self) -> Sequence[str]:
        """Channels whose versions the task saw (and consumes)."""


class PregelTaskWrites(NamedTuple):
    """Writes that no running task made (graph input, ``update_state``)."""

    path: tuple[str | int | tuple[Any, ...], ...]
    name: str
    writes: Sequence[tuple[str, Any]]
    triggers: Sequence[str]


def increment(current: int | None, channel: None) -> int:
    """Return the next integer channel version (``1`` for a new channel).

    Args:
        current: The highest version so far, or ``None``.
        channel: Unused; kept for LangGraph's ``get_next_version`` signature.
    """
    return current + 1 if current is not None else 1


def checkpoint_null_version(checkpoint: Checkpoint) -> Any:
    """Return the "no version" value of the checkpoint's version type.

    ``0`` for int versions, ``""`` for string ones, ``None`` when the
    checkpoint has no versions yet.
    """
    for version in checkpoint["channel_versions"].values():
        return type(version)()
    return None


def should_interrupt(
    checkpoint: Checkpoint,
    interrupt_nodes: Any,
    tasks: Iterable[Any],
) -> list[Any]:
    """Return the tasks a static breakpoint stops before (or after).

    Args:
        checkpoint: The current checkpoint.
        interrupt_nodes: ``"*"`` or the node names to interrupt at.
        tasks: The step's tasks.

    Returns:
        The matching tasks, or ``[]`` when no channel changed since the last
        interrupt (so a resumed run does not stop at the same place again).
    """
    versions = checkpoint["channel_versions"]
    null = checkpoint_null_version(checkpoint)
    seen = checkpoint["versions_seen"].get(INTERRUPT, {})
    if not any(v > seen.get(chan, null) for chan, v in versions.items()):
        return []
    if interrupt_nodes == "*":
        return [t for t in tasks if TAG_HIDDEN not in _tags(t)]
    return [t for t in tasks if t.name in interrupt_nodes]


def _tags(task: Any) -> Sequence[str]:
    config = task.config
    return (config.get("tags") or ()) if config else ()


class _CheckpointView:
    """A checkpoint dict and its channels, seen as the engine's loop.

    Versions are the checkpoint's own dicts, so the engine's updates land in
    the checkpoint, as LangGraph's functions mutate it.
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        channels: Mapping[str, Any],
        get_next_version: GetNextVersion | None,
        trigger_to_nodes: Mapping[str, Sequence[str]] | None,
    ) -> None:
        self.channels = channels
        self.versions = checkpoint["channel_versions"]
        self.versions_seen = checkpoint["versions_seen"]
        self.trigger_to_nodes = trigger_to_nodes
        # LangGraph offers every channel the end of the run, not a subset.
        self.finishable = list(channels)
        self.unsteady = unsteady_of(channels)
        self.consumers = consumers_of(channels)
        self.live = {k for k, ch in channels.items() if ch.is_available()}
        self.changed: dict[str, Any] = {}
        self.seen_changed: set[str] = set()
        self.touched: set[str] = set()
        self._get_next_version = get_next_version

    def next_version(self) -> Any:
        if self._get_next_version is None:
            return None
        current = max(self.versions.values()) if self.versions else None
        return self._get_next_version(current, None)

    def note_version(self, version: Any) -> None:
        """The engine caches the top version; here it is read from the dict."""


def apply_writes(
    checkpoint: Checkpoint,
    channels: Mapping[str, Any],
    tasks: Iterable[WritesProtocol],
    get_next_version: GetNextVersion | None,
    trigger_to_nodes: Mapping[str, Sequence[str]],
) -> set[str]:
    """Apply a step's writes to ``channels`` and bump versions in ``checkpoint``.

    Args:
        checkpoint: Its ``channel_versions`` and ``versions_seen`` are updated.
        channels: The live channels, updated in place.
        tasks: The tasks whose writes to apply, in any order (sorted by path).
        get_next_version: Makes the next version from the highest one;
            ``None`` leaves versions untouched.
        trigger_to_nodes: Channels that trigger nodes; when none was updated,
            channels are told the run may be finishing.

    Returns:
        The channels updated (and available) after this step.
    """
    view = _CheckpointView(checkpoint, channels, get_next_version, trigger_to_nodes)
    return _algo.apply_writes(view, list(tasks))  # type: ignore[arg-type]  # loop-shaped view


class _Reader:
    """Channels and managed values, seen as the loop by ``_emit.local_read``."""

    def __init__(self, channels: Mapping[str, Any], managed: Mapping[str, Any]) -> None:
        self.channels = channels
        self.managed = managed


class _ReadingTask:
    """A task seen by ``_emit.local_read``: its writes and a given scratchpad."""

    def __init__(self, task: WritesProtocol, scratchpad: Any) -> None:
        self.writes = task.writes
        self.scratchpad = scratchpad


def local_read(
    scratchpad: Any,
    channels: Mapping[str, Any],
    managed: Mapping[str, Any],
    task: WritesProtocol,
    select: list[str] | str,
    fresh: bool = False,
) -> Any:
    """Read state as a conditional edge of ``task`` sees it.

    Args:
        scratchpad: Passed to managed values.
        channels: The live channels (never changed).
        managed: Managed values by name.
        task: The task whose own writes ``fresh`` applies to copies.
        select: One channel (its value) or several (a dict).
        fresh: Whether to include the task's writes.
    """
    reader = _Reader(channels, managed)
    reading = _ReadingTask(task, scratchpad)
    return _emit.local_read(reader, reading, select, fresh)  # type: ignore[arg-type]  # loop-shaped view


class _Nodes:
    """What a planning loop needs of a graph, from LangGraph's arguments."""

    def __init__(
        self,
        processes: Mapping[str, Any],
        managed: Mapping[str, Any],
        trigger_to_nodes: Mapping[str, Sequence[str]] | None,
        channels: Mapping[str, Any],
    ) -> None:
        self.nodes = processes
        self.managed = managed
        self.trigger_to_nodes = trigger_to_nodes
        self.finishable = list(channels)
        self.unsteady = unsteady_of(channels)
        self.consumers = consumers_of(channels)
        self.stream_channels_asis = list(channels)


def _planning_loop(
    checkpoint: Checkpoint,
    pending_writes: Sequence[Any],
    nodes: _Nodes,
    channels: Mapping[str, Any],
    config: Mapping[str, Any],
    step: int,
    stop: int,
    checkpointer: Any,
    store: Any,
) -> Loop:
    """A loop that is never run, holding the caller's checkpoint and channels."""
    conf = dict(config.get(CONF) or {})
    loop = Loop.detached(nodes, {**config, CONF: conf}, checkpointer)
    loop.channels = dict(channels)
    loop.versions = checkpoint["channel_versions"]
    loop.versions_seen = checkpoint["versions_seen"]
    loop.live = {k for k, ch in channels.items() if ch.is_available()}
    loop._ckpt_id = checkpoint["id"]
    loop.legacy_ids = checkpoint.get("v", 4) <= 1
    loop.step = step
    loop.stop = stop
    loop.pending_writes = list(pending_writes)
    if store is not None:
        loop.runtime = DEFAULT_RUNTIME.override(store=store)
    return loop


def prepare_next_tasks(
    checkpoint: Checkpoint,
    pending_writes: Sequence[Any],
    processes: Mapping[str, Any],
    channels: Mapping[str, Any],
    managed: Mapping[str, Any],
    config: Mapping[str, Any],
    step: int,
    stop: int,
    *,
    for_execution: bool,
    store: Any = None,
    checkpointer: Any = None,
    manager: Any = None,
    trigger_to_nodes: Mapping[str, Sequence[str]] | None = None,
    updated_channels: set[str] | None = None,
    retry_policy: Sequence[Any] = (),
    cache_policy: Any = None,
) -> dict[str, Any]:
    """Plan the next step: ``Send`` packets first, then triggered nodes.

    Args:
        checkpoint: The current checkpoint (its id seeds the task ids).
        pending_writes: ``(task_id, channel, value)`` writes already saved.
        processes: The graph's nodes by name.
        channels: The live channels.
        managed: Managed values by name.
        config: The run's config.
        step: The step being planned.
        stop: The step at which the run stops (for managed values).
        for_execution: Return runnable tasks instead of ``PregelTask`` records.
        store: The store nodes' runtime gets.
        checkpointer: The saver nodes' config carries.
        manager: Unused: stategraph makes callbacks when a task runs.
        trigger_to_nodes: Channels to the nodes they trigger; with
            ``updated_channels``, only those nodes are checked.
        updated_channels: Channels the previous step updated.
        retry_policy: Unused: retries are the node's own policies.
        cache_policy: Unused: caching is the node's own policy.

    Returns:
        The tasks by id.
    """
    nodes = _Nodes(processes, managed, trigger_to_nodes, channels)
    loop = _planning_loop(
        checkpoint,
        pending_writes,
        nodes,
        channels,
        config,
        step,
        stop,
        checkpointer,
        store,
    )
    tasks: list[Task] = _algo.prepare_tasks(loop, updated_channels)
    if for_execution:
        return {t.id: t for t in tasks}
    return {t.id: PregelTask(t.id, t.name, t.path) for t in tasks}
