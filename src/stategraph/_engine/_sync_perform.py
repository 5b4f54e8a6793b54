"""``perform``: the sync driver's handler of one I/O effect.

Kept apart from the driver loop so the task runner (``_sync_tasks``) and the
driver (``_sync``) share it without importing each other.
"""

from __future__ import annotations

from typing import Any

from stategraph._engine._effects import (
    TAKES_TASK_PATH,
    AwaitWriter,
    FlushSteps,
    GetSubgraphState,
    ListCheckpoints,
    LoadCheckpoint,
    LoadDeltaHistory,
    ReadCache,
    SaveCheckpoint,
    SaveWrites,
    WriteCache,
)
from stategraph._engine._runner import no_sync_writer


def perform(effect: Any, saver: Any, cache: Any) -> Any:
    """Carry out one I/O effect with sync calls."""
    kind = type(effect)
    if kind is SaveWrites:
        method = saver.put_writes
        if TAKES_TASK_PATH.get(getattr(method, "__func__", None)):
            w = effect
            return method(w.config, w.writes, w.task_id, w.task_path)
        return method(*effect.args(method))
    if kind is SaveCheckpoint:
        if effect.writes or not effect.durable:
            return saver.put_step(
                effect.config,
                effect.checkpoint,
                effect.metadata,
                effect.new_versions,
                effect.step_writes(),
                durable=effect.durable,
            )
        if effect.since is not None:
            return saver.put_changes(
                effect.config,
                effect.checkpoint,
                effect.metadata,
                effect.new_versions,
                effect.since,
            )
        return saver.put(
            effect.config, effect.checkpoint, effect.metadata, effect.new_versions
        )
    if kind is FlushSteps:
        return saver.flush_steps(effect.config)
    if kind is LoadCheckpoint:
        return saver.get_tuple(effect.config)
    if kind is LoadDeltaHistory:
        return saver.get_delta_channel_history(
            config=effect.config, channels=effect.channels
        )
    if kind is ListCheckpoints:
        return list(
            saver.list(
                effect.config,
                filter=effect.filter,
                before=effect.before,
                limit=effect.limit,
            )
        )
    if kind is ReadCache:
        return cache.get(effect.keys)
    if kind is WriteCache:
        return cache.set(effect.pairs)
    if kind is GetSubgraphState:
        return effect.graph.get_state(effect.config, subgraphs=effect.subgraphs)
    if kind is AwaitWriter:
        raise no_sync_writer(effect.pending)
    raise TypeError(f"Unknown effect {effect!r}")
