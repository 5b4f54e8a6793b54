"""Reading and changing a thread's saved state: snapshots, history, updates.

Each function returns an effect generator (and the saver to run it against);
``Pregel`` hands it to the sync or async driver.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Sequence
from typing import Any

from stategraph._config import ensure_config, merge_configs
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_CHECKPOINTER,
    CONFIG_KEY_THREAD_ID,
    END,
    INPUT,
    INTERRUPT,
    NS_END,
    NS_SEP,
    NULL_TASK_ID,
)
from stategraph._engine._algo import apply_writes, prepare_tasks
from stategraph._engine._delta_run import load_history
from stategraph._engine._effects import (
    GetSubgraphState,
    ListCheckpoints,
    LoadCheckpoint,
)
from stategraph._engine._emit import patch_checkpoint_map, tasks_with_writes
from stategraph._engine._io import read_channels
from stategraph._engine._loop import Loop, _InputTask
from stategraph._engine._status import read_statuses
from stategraph._types import StateSnapshot
from stategraph.pregel._run import own_checkpoint_config, resolve_checkpointer
from stategraph.pregel._update import perform_superstep

Effects = Generator[Any, Any, Any]


def state_checkpointer(graph: Any, config: Any) -> Any:
    """The saver state methods use; raise when the graph has none."""
    saver = resolve_checkpointer(graph, ensure_config(config))
    if saver is None or saver is True or saver is False:
        raise ValueError("No checkpointer set")
    return saver


def subgraph_for(
    graph: Any, config: Any, saver: Any, *, for_update: bool = False
) -> Any:
    """The subgraph a namespaced config addresses, with the config to use."""
    ns = config.get(CONF, {}).get(CONFIG_KEY_CHECKPOINT_NS, "")
    if not ns or CONFIG_KEY_CHECKPOINTER in config[CONF]:
        return None
    recast = NS_SEP.join(
        part.split(NS_END)[0] for part in ns.split(NS_SEP) if not part.isdigit()
    )
    for _, sub in graph.get_subgraphs(namespace=recast, recurse=True):
        return sub, {**config, CONF: {**config[CONF], CONFIG_KEY_CHECKPOINTER: saver}}
    if for_update:
        raise ValueError(f"Subgraph {recast} not found")
    return None


def get_state(graph: Any, config: Any, *, subgraphs: bool) -> tuple[Effects, Any]:
    """Effects computing the thread's ``StateSnapshot``."""
    saver = state_checkpointer(graph, config)
    return _get_state(graph, config, saver, subgraphs), saver


def _get_state(graph: Any, config: Any, saver: Any, recurse: bool) -> Effects:
    target = subgraph_for(graph, config, saver)
    if target is not None:
        sub, sub_config = target
        # Nested task states are expanded only when asked, as LangGraph does.
        return (yield GetSubgraphState(sub, sub_config, recurse))
    config = merge_configs(graph.config, config) if graph.config else dict(config)
    config = own_checkpoint_config(graph, {**config, CONF: dict(config.get(CONF, {}))})
    if not isinstance(config[CONF].get(CONFIG_KEY_THREAD_ID), str):
        config[CONF][CONFIG_KEY_THREAD_ID] = str(config[CONF].get(CONFIG_KEY_THREAD_ID))
    saved = yield LoadCheckpoint(config)
    live = CONFIG_KEY_CHECKPOINT_ID not in config[CONF]
    return (
        yield from snapshot(graph, config, saved, saver, recurse=recurse, live=live)
    )


def get_history(
    graph: Any, config: Any, filter: Any, before: Any, limit: int | None
) -> tuple[Effects, Any]:
    """Effects listing the thread's snapshots, newest first."""
    config = ensure_config(config)
    saver = state_checkpointer(graph, config)
    return _get_history(graph, config, saver, filter, before, limit), saver


def _get_history(
    graph: Any, config: Any, saver: Any, filter: Any, before: Any, limit: Any
) -> Effects:
    target = subgraph_for(graph, config, saver)
    if target is not None:
        sub, sub_config = target
        # Through the same driver: the sync API of an asyncio saver cannot be
        # used from an async caller on the saver's loop.
        return (yield from _get_history(sub, sub_config, saver, filter, before, limit))
    config = merge_configs(
        graph.config,
        config,
        {
            CONF: {
                CONFIG_KEY_CHECKPOINT_NS: config[CONF].get(
                    CONFIG_KEY_CHECKPOINT_NS, ""
                ),
                CONFIG_KEY_THREAD_ID: str(config[CONF][CONFIG_KEY_THREAD_ID]),
            }
        },
    )
    config = own_checkpoint_config(graph, config)
    tuples = yield ListCheckpoints(config, filter, before, limit)
    out = []
    for saved in tuples:
        out.append((yield from snapshot(graph, saved.config, saved, saver)))
    return out


def snapshot(
    graph: Any,
    config: Any,
    saved: Any,
    saver: Any,
    *,
    recurse: bool = False,
    live: bool = False,
) -> Effects:
    """Build the ``StateSnapshot`` of a saved checkpoint."""
    if not saved:
        return StateSnapshot({}, (), config, None, None, None, (), ())
    checkpoint = dict(saved.checkpoint)
    if graph.migrate_checkpoint is not None:
        graph.migrate_checkpoint(checkpoint)
    histories = yield from load_history(graph, checkpoint, saver, saved.config)
    loop = Loop.detached(graph, saved.config, None)
    loop.frozen_versions = True
    loop.restore(checkpoint, histories)
    loop.pending_writes = [(str(t), c, v) for t, c, v in saved.pending_writes or ()]
    loop.step = saved.metadata.get("step", -1) + 1
    loop.stop = loop.step + 2
    tasks = prepare_tasks(loop, None)
    states = yield from _task_states(graph, saved, saver, tasks, recurse)
    null_writes = [w[1:] for w in loop.pending_writes if w[0] == NULL_TASK_ID]
    if null_writes:
        apply_writes(loop, [_InputTask(null_writes)])
    if live and loop.pending_writes:
        by_id = {t.id: t for t in tasks}
        for tid, status in read_statuses(loop.pending_writes).items():
            if tid in by_id:
                by_id[tid].writes.extend(status.output)
        if done := [t for t in tasks if t.writes]:
            apply_writes(loop, done)
    with_writes = tasks_with_writes(
        tasks, loop.pending_writes, states, graph.stream_channels_asis, live=live
    )
    return StateSnapshot(
        read_channels(loop.channels, graph.stream_channels_asis),
        tuple(t.name for t in tasks if not t.writes),
        patch_checkpoint_map(saved.config, saved.metadata),
        saved.metadata,
        saved.checkpoint["ts"],
        patch_checkpoint_map(saved.parent_config, saved.metadata),
        with_writes,
        tuple(i for t in with_writes for i in t.interrupts),
    )


def _task_states(
    graph: Any, saved: Any, saver: Any, tasks: Sequence[Any], recurse: bool
) -> Effects:
    subgraphs = dict(graph.get_subgraphs())
    parent_ns = saved.config[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")
    states: dict[str, Any] = {}
    for task in tasks:
        if task.name not in subgraphs:
            continue
        task_ns = f"{task.name}{NS_END}{task.id}"
        if parent_ns:
            task_ns = f"{parent_ns}{NS_SEP}{task_ns}"
        thread = saved.config[CONF]["thread_id"]
        if not recurse:
            states[task.id] = {
                CONF: {"thread_id": thread, CONFIG_KEY_CHECKPOINT_NS: task_ns}
            }
        else:
            sub_config = {
                CONF: {
                    CONFIG_KEY_CHECKPOINTER: saver,
                    "thread_id": thread,
                    CONFIG_KEY_CHECKPOINT_NS: task_ns,
                }
            }
            states[task.id] = yield GetSubgraphState(subgraphs[task.name], sub_config)
    return states


def bulk_update(
    graph: Any, config: Any, supersteps: Sequence[Sequence[Any]], *, is_async: bool
) -> tuple[Effects, Any]:
    """Effects applying ``supersteps`` of updates; returns the last config."""
    saver = state_checkpointer(graph, config)
    if len(supersteps) == 0:
        raise ValueError("No supersteps provided")
    if any(len(u) == 0 for u in supersteps):
        raise ValueError("No updates provided")
    return _bulk_update(graph, config, saver, supersteps, is_async), saver


def _bulk_update(
    graph: Any,
    config: Any,
    saver: Any,
    supersteps: Sequence[Sequence[Any]],
    is_async: bool,
) -> Effects:
    target = subgraph_for(graph, config, saver, for_update=True)
    if target is not None:
        sub, sub_config = target
        if not is_async:
            return sub.bulk_update_state(sub_config, supersteps)
        # The async caller's saver may only have the async API: run the
        # subgraph's update through the same effects, not its sync method.
        sub_saver = state_checkpointer(sub, sub_config)
        return (yield from _bulk_update(sub, sub_config, sub_saver, supersteps, True))
    current = {
        **config,
        CONF: {
            **config[CONF],
            CONFIG_KEY_THREAD_ID: str(config[CONF][CONFIG_KEY_THREAD_ID]),
        },
    }
    for i, superstep in enumerate(supersteps):
        current = yield from perform_superstep(graph, current, superstep, saver, i == 0)
    return current


_ = (END, INPUT, INTERRUPT, uuid)
