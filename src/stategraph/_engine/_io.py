"""Mapping between the outside world and channels: input, commands, stream payloads.

Pure functions; the loop decides when to call them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from stategraph._constants import (
    CONF,
    ERROR,
    INTERRUPT,
    NULL_TASK_ID,
    RESUME,
    RETURN,
    START,
    TAG_HIDDEN,
    TASKS,
)
from stategraph._engine._apply import PLAIN_VALUE
from stategraph._types import Command, Send
from stategraph.channels._base import MISSING
from stategraph.errors import EmptyChannelError, InvalidUpdateError

__all__ = ["CONTROL_WRITES", "ERROR", "RETURN", "map_input", "read_channels"]

logger = logging.getLogger("stategraph")
_MISSING = object()
CONTROL_WRITES = frozenset((ERROR, "__error_source_node__", INTERRUPT, RESUME))
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


def read_channels(
    channels: Mapping[str, Any], select: Sequence[str] | str
) -> dict[str, Any] | Any:
    """Read one channel (``None`` when empty) or a dict of the non-empty ones."""
    if isinstance(select, str):
        ch = channels[select]
        return ch.get() if ch.is_available() else None
    values: dict[str, Any] = {}
    plain = PLAIN_VALUE
    for k in select:
        ch = channels[k]
        if type(ch) in plain:
            found = ch.value
            if found is not MISSING:
                values[k] = found
        elif ch.is_available():
            # Not ``contextlib.suppress``: it makes an object per channel read.
            try:  # noqa: SIM105
                values[k] = ch.get()
            except EmptyChannelError:
                pass
    return values


def map_input(input_channels: str | Sequence[str], chunk: Any) -> list[tuple[str, Any]]:
    """Turn graph input into writes to the input channels."""
    if chunk is None:
        return []
    if isinstance(input_channels, str):
        return [(input_channels, chunk)]
    if not isinstance(chunk, dict):
        raise TypeError(f"Expected chunk to be a dict, got {type(chunk).__name__}")
    out = []
    for k in chunk:
        if k in input_channels:
            out.append((k, chunk[k]))
        else:
            logger.warning("Input channel %s not found in %s", k, input_channels)
    return out


def map_command(cmd: Command[Any]) -> Iterator[tuple[str, str, Any]]:
    """Turn a ``Command`` given as input into pending writes of the null task."""
    if cmd.graph == Command.PARENT:
        raise InvalidUpdateError("There is no parent graph")
    if cmd.goto:
        sends = cmd.goto if isinstance(cmd.goto, (tuple, list)) else [cmd.goto]
        for send in sends:
            if isinstance(send, Send):
                yield (NULL_TASK_ID, TASKS, send)
            elif isinstance(send, str):
                yield (NULL_TASK_ID, f"branch:to:{send}", START)
            else:
                raise TypeError(
                    f"In Command.goto, expected Send/str, got {type(send).__name__}"
                )
    if cmd.resume is not None:
        yield (NULL_TASK_ID, RESUME, cmd.resume)
    if cmd.update:
        for k, v in cmd._update_as_tuples():
            yield (NULL_TASK_ID, k, v)


def is_hidden(task: Any) -> bool:
    """Whether the task is internal (``__start__``) and kept out of streams."""
    tags = task.node.tags
    return bool(tags) and TAG_HIDDEN in tags


def map_updates(
    output_keys: str | Sequence[str],
    items: Sequence[tuple[Any, Sequence[tuple[str, Any]]]],
    cached: bool = False,
) -> dict[str, Any] | None:
    """Build the ``updates`` chunk for tasks that finished: ``{node: update}``."""
    tasks = [
        (t, ww)
        for t, ww in items
        if not is_hidden(t) and ww[0][0] != ERROR and ww[0][0] != INTERRUPT
    ]
    if not tasks:
        return None
    keys = frozenset(output_keys) if not isinstance(output_keys, str) else None
    updated: list[tuple[str, Any]] = []
    # Plain loops: generators driven by builtins cost more than the rest of
    # this, and it runs for every task of a stream of updates.
    for task, writes in tasks:
        rtn = _MISSING
        for c, v in writes:
            if c == RETURN:
                rtn = v
                break
        if rtn is not _MISSING:
            updated.append((task.name, rtn))
        elif keys is None:
            for c, v in writes:
                if c == output_keys:
                    updated.append((task.name, v))
        else:
            mine = [(c, v) for c, v in writes if c in keys]
            if not mine:
                continue
            if len({c for c, _ in mine}) < len(mine):
                # A key written twice: one update per write, as LangGraph.
                for c, v in mine:
                    updated.append((task.name, {c: v}))
            else:
                updated.append((task.name, dict(mine)))
    grouped: dict[str, Any] = {t.name: [] for t, _ in tasks}
    for name, value in updated:
        grouped[name].append(value)
    for name, values in grouped.items():
        if len(values) == 0:
            grouped[name] = None
        elif len(values) == 1:
            grouped[name] = values[0]
    if cached:
        grouped["__metadata__"] = {"cached": cached}
    return grouped


def user_metadata(
    metadata: Mapping[str, Any] | None, tags: Sequence[str] | None
) -> dict[str, Any]:
    """The metadata a ``tasks`` event carries: the user's keys and tags.

    The engine's own keys (``langgraph_node``, ``thread_id``, ...) repeat what
    the event already says, and ``seq:step:*`` tags are bookkeeping.
    """
    md = {k: v for k, v in (metadata or {}).items() if k not in EXCLUDED_METADATA_KEYS}
    kept = [t for t in tags or () if not t.startswith("seq:step")]
    if kept:
        md["tags"] = kept
    return md


def task_payload(task: Any) -> dict[str, Any]:
    """The ``tasks`` stream event sent when a task starts."""
    payload: dict[str, Any] = {
        "id": task.id,
        "name": task.name,
        "input": task.input,
        "triggers": task.triggers,
    }
    config = task.loop.config
    metadata = {**(config.get("metadata") or {}), **(task.node.metadata or {})}
    md = user_metadata(metadata, [*(config.get("tags") or ()), *(task.node.tags or ())])
    if md:
        payload["metadata"] = md
    return payload


def fold_writes(writes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """Fold writes into ``{channel: value}``; repeated channels become ``$writes``."""
    result: dict[str, Any] = {}
    for channel, value in writes:
        existing = result.get(channel)
        if existing is not None:
            if isinstance(existing, dict) and isinstance(existing.get("$writes"), list):
                existing["$writes"].append(value)
            else:
                result[channel] = {"$writes": [existing, value]}
        else:
            result[channel] = value
    return result


def task_result_payload(
    task: Any, writes: Sequence[tuple[str, Any]], stream_keys: str | Sequence[str]
) -> dict[str, Any]:
    """The ``tasks`` stream event sent when a task ends."""
    keys = [stream_keys] if isinstance(stream_keys, str) else stream_keys
    return {
        "id": task.id,
        "name": task.name,
        "error": next((w[1] for w in writes if w[0] == ERROR), None),
        "result": fold_writes([w for w in writes if w[0] in keys or w[0] == RETURN]),
        "interrupts": [
            dataclasses.asdict(v)
            for w in writes
            if w[0] == INTERRUPT
            for v in (w[1] if isinstance(w[1], Sequence) else [w[1]])
        ],
    }


def strip_private(config: Any) -> Any:
    """Keep only the public ``configurable`` keys of a config."""
    if config is None:
        return None
    return {
        CONF: {
            k: v
            for k, v in config.get(CONF, {}).items()
            if not k.startswith("__pregel_")
        }
    }
