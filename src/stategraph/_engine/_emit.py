"""Stream events of a run: values, updates, tasks, checkpoints and debug.

Each helper checks whether anybody listens before building a payload, so a
run without a stream pays nothing for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph._clock import utc_now_iso
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    INTERRUPT,
    NS_END,
    NS_SEP,
    PUSH,
)
from stategraph._engine._io import (
    ERROR,
    is_hidden,
    map_updates,
    read_channels,
    strip_private,
    task_payload,
    task_result_payload,
)
from stategraph._engine._status import read_statuses
from stategraph.channels._binop import BinaryOperatorAggregate

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop
    from stategraph._engine._task import Task

_MISSING = object()


class StreamSink:
    """Where a loop sends chunks: a ``put`` callable and the modes it accepts.

    ``seen_messages`` holds the ids of messages this sink has already had (or
    that were input to a node streaming into it), so that a message emitted
    inside a subgraph is not emitted again when the parent node returns it.
    """

    __slots__ = ("modes", "put", "seen_messages")

    def __init__(self, put: Any, modes: set[str]) -> None:
        self.put = put
        self.modes = modes
        self.seen_messages: set[str] = set()


_INSIDE_MODES = frozenset(("messages", "custom", "tools"))


def made_inside(chunk: Any) -> bool:
    """Whether a chunk comes from inside a running task, not from its end.

    Model tokens, custom and tool writes, and anything a subgraph emits are
    made while a node runs; a live stream must hand them over at once.
    """
    return bool(chunk[0]) or chunk[1] in _INSIDE_MODES


def learn_streaming(tasks: Sequence[Task], streamed: bool) -> None:
    """Remember the nodes of a step that streamed while running.

    Live streams then always run them apart (``PregelNode.streams_inside``).
    """
    if streamed:
        for task in tasks:
            task.node.streams_inside = True


def send(loop: Loop, mode: str, payload: Any) -> None:
    """Put one event of ``mode`` into every sink that listens to it."""
    _send(loop, mode, payload)


def _send(loop: Loop, mode: str, payload: Any) -> None:
    debug_remap = mode in ("checkpoints", "tasks")
    for sink in loop.stream:
        if mode in sink.modes:
            sink.put((loop.ns, mode, payload))
        if debug_remap and "debug" in sink.modes:
            sink.put((loop.ns, "debug", _debug_wrap(loop, mode, payload)))


def _debug_wrap(loop: Loop, mode: str, payload: Any) -> dict[str, Any]:
    kind = (
        "checkpoint"
        if mode == "checkpoints"
        else "task_result"
        if "result" in payload
        else "task"
    )
    return {
        "step": loop.step - 1 if mode == "checkpoints" else loop.step,
        "timestamp": utc_now_iso(),
        "type": kind,
        "payload": payload,
    }


def wants(loop: Loop, mode: str) -> bool:
    """Whether any sink of ``loop`` listens to ``mode``."""
    return mode in loop.modes


def values(loop: Loop, writes: Sequence[tuple[str, Any]] | bool) -> None:
    """Emit the output values if ``writes`` touched an output channel."""
    keys = loop.output_keys
    if writes is not True:
        single = isinstance(keys, str)
        for write in writes:  # type: ignore[union-attr]
            if write[0] == keys if single else write[0] in keys:
                break
        else:
            return
    loop.values_emitted = True
    if "values" in loop.modes:
        _send(loop, "values", read_channels(loop.channels, keys))


def interrupt_chunk(loop: Loop, interrupts: Any) -> None:
    """Emit ``{"__interrupt__": ...}`` for a breakpoint (no interrupt values)."""
    if "updates" in loop.modes:
        _send(loop, "updates", {INTERRUPT: interrupts})


def task_output(
    loop: Loop, task: Task, writes: Sequence[tuple[str, Any]], cached: bool = False
) -> None:
    """Emit what a finished (or interrupted) task wrote."""
    if is_hidden(task) or not writes:
        return
    if writes[0][0] == INTERRUPT:
        if task.path[0] == PUSH and task.path[-1] is True:
            return
        ints = tuple(
            v
            for w in writes
            if w[0] == INTERRUPT
            for v in (w[1] if isinstance(w[1], Sequence) else (w[1],))
        )
        loop.interrupts.extend(ints)
        # one dict for both modes, as LangGraph: a v2 "values" part pops the
        # interrupts out of it, which empties an "updates" part kept by then
        shared = {INTERRUPT: ints}
        if "updates" in loop.modes:
            _send(loop, "updates", shared)
        loop.values_emitted = True
        if "values" in loop.modes:
            current = read_channels(loop.channels, loop.output_keys)
            if isinstance(current, dict):
                current[INTERRUPT] = ints
                _send(loop, "values", current)
            else:
                _send(loop, "values", shared)
    elif writes[0][0] != ERROR and "updates" in loop.modes:
        chunk = map_updates(loop.output_keys, [(task, writes)], cached)
        if chunk is not None:
            _send(loop, "updates", chunk)
    if (
        not cached
        and ("tasks" in loop.modes or "debug" in loop.modes)
        and not _cancelled(writes)
    ):
        _send(loop, "tasks", task_result_payload(task, writes, loop.stream_keys))


def _cancelled(writes: Sequence[tuple[str, Any]]) -> bool:
    # A task cancelled because a sibling failed reports no result event.
    return any(
        c == ERROR and not isinstance(v, Exception) and isinstance(v, BaseException)
        for c, v in writes
    )


def tasks_started(loop: Loop, tasks: Sequence[Task]) -> None:
    """Emit a ``tasks`` event for each task about to run."""
    if "tasks" not in loop.modes and "debug" not in loop.modes:
        return
    for task in tasks:
        if not is_hidden(task):
            _send(loop, "tasks", task_payload(task))


def checkpoint(loop: Loop) -> None:
    """Emit the ``checkpoints`` event for the checkpoint the next step starts from."""
    if loop.checkpointer is None:
        return
    if "checkpoints" not in loop.modes and "debug" not in loop.modes:
        return
    config = {
        **loop.checkpoint_config,
        CONF: {
            **loop.checkpoint_config[CONF],
            CONFIG_KEY_CHECKPOINT_ID: loop.checkpoint_id,
        },
    }
    _send(loop, "checkpoints", checkpoint_payload(loop, config))


def checkpoint_payload(loop: Loop, config: dict[str, Any]) -> dict[str, Any]:
    """Payload of a ``checkpoints`` event (same shape as a state snapshot)."""
    states = {}
    parent_ns = config[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")
    for task in loop.tasks:
        if task.node.subgraphs:
            task_ns = f"{task.name}{NS_END}{task.id}"
            if parent_ns:
                task_ns = f"{parent_ns}{NS_SEP}{task_ns}"
            states[task.id] = {
                CONF: {
                    "thread_id": config[CONF]["thread_id"],
                    CONFIG_KEY_CHECKPOINT_NS: task_ns,
                }
            }
    metadata = loop.metadata
    return {
        "config": strip_private(patch_checkpoint_map(config, metadata)),
        "parent_config": strip_private(
            patch_checkpoint_map(loop.prev_checkpoint_config, metadata)
        ),
        "values": read_channels(loop.channels, loop.stream_keys),
        "metadata": metadata,
        "next": [t.name for t in loop.tasks],
        "tasks": [
            _task_entry(t)
            for t in tasks_with_writes(
                loop.tasks, loop.pending_writes, states, loop.output_keys
            )
        ],
    }


def _task_entry(t: Any) -> dict[str, Any]:
    if t.error:
        return {"id": t.id, "name": t.name, "error": t.error, "state": t.state}
    entry: dict[str, Any] = {"id": t.id, "name": t.name}
    if t.result:
        entry["result"] = t.result
    entry["interrupts"] = tuple(dataclasses.asdict(i) for i in t.interrupts)
    entry["state"] = t.state
    return entry


def patch_checkpoint_map(config: Any, metadata: Any) -> Any:
    """Add the ``checkpoint_map`` (parents plus this checkpoint) to a config."""
    if config is None:
        return None
    parents = metadata.get("parents") if metadata else None
    if not parents:
        return config
    conf = config[CONF]
    return {
        **config,
        CONF: {
            **conf,
            "checkpoint_map": {
                **parents,
                conf[CONFIG_KEY_CHECKPOINT_NS]: conf[CONFIG_KEY_CHECKPOINT_ID],
            },
        },
    }


def tasks_with_writes(
    tasks: Sequence[Any],
    pending: Sequence[tuple[str, str, Any]] | None,
    states: dict[str, Any] | None,
    output_keys: str | Sequence[str],
    *,
    live: bool = False,
) -> tuple[Any, ...]:
    """Turn tasks into ``PregelTask`` records with their errors, interrupts, results."""
    from stategraph._engine._io import RETURN, fold_writes
    from stategraph._types import PregelTask

    statuses = read_statuses(pending or [])
    out = []
    for task in tasks:
        status = statuses.get(task.id)
        output = status.output if status else ()
        rtn = next((v for c, v in output if c == RETURN), _MISSING)
        plain = [(c, v) for c, v in output if c != RETURN]
        if rtn is not _MISSING:
            result: Any = rtn
        elif isinstance(output_keys, str):
            folded = fold_writes([(c, v) for c, v in plain if c == output_keys])
            result = folded.get(str(output_keys)) if folded else None
        else:
            filtered = [(c, v) for c, v in plain if c in output_keys]
            result = fold_writes(filtered) if filtered else {}
        interrupts = ()
        if status is not None:
            interrupts = status.pending_interrupts if live else status.interrupts
        out.append(
            PregelTask(
                task.id,
                task.name,
                task.path,
                status.error if status else None,  # type: ignore[arg-type]
                interrupts,
                states.get(task.id) if states else None,
                result if status is not None and status.finished else None,
            )
        )
    return tuple(out)


def local_read(loop: Loop, task: Task, select: Any, fresh: bool) -> Any:
    """Read channels for a conditional edge, optionally with the task's writes."""
    channels: Any = loop.channels
    if fresh:
        written: dict[str, list[Any]] = {}
        for chan, value in task.writes:
            if chan in channels:
                written.setdefault(chan, []).append(value)
        if written:
            overrides = {}
            for chan, vals in written.items():
                base = channels[chan]
                copy = base.copy()
                copy.update(vals)
                overrides[chan] = copy
                if _reusable(base, vals):
                    # The barrier takes this reduction instead of repeating
                    # it; the edge reads its own list, so that what it does
                    # to the list stays out of the state, as in LangGraph.
                    reduced = copy.value
                    copy.value = list(reduced)
                    if task.fresh is None:
                        task.fresh = {}
                    task.fresh[chan] = (base, base.value, vals, reduced)
            channels = _Overlay(channels, overrides)
    if isinstance(select, str):
        return read_channels(channels, select)
    if not loop.managed:
        return read_channels(channels, select)
    managed = [k for k in select if k in loop.managed]
    plain = [k for k in select if k not in loop.managed]
    values = read_channels(channels, plain)
    for k in managed:
        values[k] = loop.managed[k].get(task.scratchpad)
    return values


_MESSAGES: list[Any] = []


def _reusable(base: Any, vals: list[Any]) -> bool:
    """Whether reducing ``vals`` into ``base`` twice gives the same result.

    So it is for ``add_messages`` on messages (no conversion makes new
    objects; ids missing are given in place, once): the barrier may then take
    a fresh read's result. Other reducers may count calls or not be pure.
    """
    if type(base) is not BinaryOperatorAggregate:
        return False
    if not _MESSAGES:  # imported on first use: the graph package imports this
        from stategraph.graph import _messages

        _MESSAGES.append(_messages)
    messages = _MESSAGES[0]
    api = messages._langchain() if base.operator is messages.add_messages else None
    if api is None:
        return False
    is_plain = api.is_plain
    for val in vals:
        for item in val if type(val) is list else (val,):
            if not is_plain(type(item)):
                return False
    return True


class _Overlay:
    """Channels with a few replaced by updated copies, without copying the rest."""

    __slots__ = ("base", "overrides")

    def __init__(self, base: Any, overrides: dict[str, Any]) -> None:
        self.base = base
        self.overrides = overrides

    def __getitem__(self, key: str) -> Any:
        found = self.overrides.get(key)
        return found if found is not None else self.base[key]
