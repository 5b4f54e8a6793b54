"""``update_state``: apply values as if a node wrote them, saving a new checkpoint.

One superstep per call of ``perform_superstep``; runs the chosen node's
writers (so its edges and branches fire) without running the node.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Sequence
from typing import Any

from stategraph._clock import utc_now_iso
from stategraph._config import ensure_config
from stategraph._constants import (
    CONF,
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    END,
    INPUT,
    INTERRUPT,
    NULL_TASK_ID,
    PUSH,
)
from stategraph._engine._algo import apply_writes, path_str, prepare_tasks
from stategraph._engine._delta import COUNTERS, seen_without_bumps
from stategraph._engine._delta_run import load_history
from stategraph._engine._effects import (
    AwaitWriter,
    LoadCheckpoint,
    SaveCheckpoint,
    SaveWrites,
)
from stategraph._engine._io import map_input
from stategraph._engine._loop import Loop, _InputTask, empty_checkpoint
from stategraph._engine._status import read_statuses
from stategraph._engine._task import Task
from stategraph.channels._delta_ids import ensure_message_ids
from stategraph.checkpoint.base.id import uuid6
from stategraph.errors import InvalidUpdateError
from stategraph.pregel._run import own_checkpoint_config
from stategraph.pregel._update_delta import UpdatePlan

Effects = Generator[Any, Any, Any]


class _UpdateTask(Task):
    """A task standing for ``as_node`` while its writers run on given values."""

    __slots__ = ()


def perform_superstep(
    graph: Any,
    input_config: Any,
    updates: Sequence[Any],
    saver: Any,
    is_first: bool = False,
) -> Effects:
    """Apply one superstep of ``updates``; return the config of the new checkpoint."""
    config = own_checkpoint_config(graph, ensure_config(graph.config, input_config))
    saved = yield LoadCheckpoint(config)
    loop = Loop.detached(graph, config, saver)
    plan = UpdatePlan(graph, saved, is_first)
    step, ckpt_config = yield from _restore(graph, loop, config, saved, saver)
    loop.step, loop.stop = step + 1, step + 3
    previous = dict(loop.versions)
    parents = saved.metadata.get("parents", {}) if saved else {}
    values, as_node = updates[0][:2]
    if values is None and as_node == END:
        if len(updates) > 1:
            raise InvalidUpdateError(
                "Cannot apply multiple updates when clearing state"
            )
        updated = _finish_pending(loop) if saved is not None else set()
        meta = {"source": "update", "step": step + 1, "parents": parents}
        plan.plan(loop, meta, updated)
        return (yield from _save(loop, ckpt_config, meta, step, previous, saved, plan))
    if as_node == INPUT:
        if len(updates) > 1:
            raise InvalidUpdateError(
                "Cannot apply multiple updates when updating as input"
            )
        writes = map_input(graph.input_channels, values)
        if not writes:
            raise InvalidUpdateError(
                f"Received no input writes for {graph.input_channels}"
            )
        input_id = str(uuid.uuid5(uuid.UUID(loop.checkpoint_id), INPUT))
        yield from _store_writes(
            config, saved, ckpt_config, [(input_id, writes, None)], is_first, plan
        )
        updated = apply_writes(loop, [_InputTask(writes)])
        plan.overwritten(writes)
        next_step = step + 1 if saved and saved.metadata.get("step") is not None else -1
        meta = {"source": "input", "step": next_step, "parents": parents}
        plan.plan(loop, meta, updated)
        return (
            yield from _save(loop, ckpt_config, meta, next_step, previous, saved, plan)
        )
    if as_node == "__copy__":
        return (yield from _copy(graph, loop, saved, values, saver, step))
    return (
        yield from _as_nodes(
            graph, loop, saved, updates, ckpt_config, step, previous, config, plan
        )
    )


def _restore(graph: Any, loop: Loop, config: Any, saved: Any, saver: Any) -> Effects:
    """Load ``saved`` (or an empty thread) into ``loop``; return step and config."""
    if saved is None:
        loop.restore(empty_checkpoint())
        ns = config[CONF].get(CONFIG_KEY_CHECKPOINT_NS, "")
        return -1, {**config, CONF: {**config[CONF], CONFIG_KEY_CHECKPOINT_NS: ns}}
    checkpoint = dict(saved.checkpoint)
    if graph.migrate_checkpoint is not None:
        graph.migrate_checkpoint(checkpoint)
    histories = yield from load_history(graph, checkpoint, saver, saved.config)
    loop.restore(checkpoint, histories)
    loop.pending_writes = [(str(t), c, v) for t, c, v in saved.pending_writes or ()]
    step = saved.metadata.get("step", -1)
    return step, {**config, CONF: {**config[CONF], **saved.config[CONF]}}


def _finish_pending(loop: Loop) -> set[str]:
    tasks = prepare_tasks(loop, None)
    updated: set[str] = set()
    null_writes = [w[1:] for w in loop.pending_writes if w[0] == NULL_TASK_ID]
    if null_writes:
        updated |= apply_writes(loop, [_InputTask(null_writes)])
    by_id = {t.id: t for t in tasks}
    for tid, status in read_statuses(loop.pending_writes).items():
        if tid in by_id:
            by_id[tid].writes.extend(status.output)
    return updated | apply_writes(loop, tasks)


def _save(
    loop: Loop,
    config: Any,
    metadata: dict[str, Any],
    step: int,
    previous: dict[str, Any],
    saved: Any,
    plan: UpdatePlan,
) -> Effects:
    loop._ckpt_id = str(uuid6(clock_seq=step))
    loop.legacy_ids = False
    checkpoint = loop.snapshot(plan.due)
    checkpoint["updated_channels"] = None
    new_versions = {
        k: v
        for k, v in checkpoint["channel_versions"].items()
        if k not in previous or v > previous[k]
    }
    next_config = yield SaveCheckpoint(config, checkpoint, metadata, new_versions)
    from stategraph._engine._emit import patch_checkpoint_map

    return patch_checkpoint_map(next_config, saved.metadata if saved else None)


def _copy(
    graph: Any, loop: Loop, saved: Any, values: Any, saver: Any, step: int
) -> Effects:
    if saved is None:
        raise InvalidUpdateError("Cannot copy a non-existent checkpoint")
    checkpoint = dict(saved.checkpoint)
    checkpoint["id"] = str(uuid6(clock_seq=step))
    # A copy is a new checkpoint: its own time, and no record of which
    # channels the step before it updated, so a run from it plans its first
    # step over all nodes in declaration order, as LangGraph's copy does.
    checkpoint["ts"] = utc_now_iso()
    checkpoint["updated_channels"] = None
    target = saved.parent_config or {
        **saved.config,
        CONF: {**saved.config[CONF], CONFIG_KEY_CHECKPOINT_ID: None},
    }
    meta = {
        "source": "fork",
        "step": step + 1,
        "parents": saved.metadata.get("parents", {}),
        # The copy has the same values and the same parent.
        **{k: v for k, v in saved.metadata.items() if k == COUNTERS},
    }
    next_config = yield SaveCheckpoint(target, checkpoint, meta, {})
    from stategraph._engine._emit import patch_checkpoint_map

    if isinstance(values, list) and values:
        loop._ckpt_id = checkpoint["id"]
        loop.step, loop.stop = step + 2, step + 4
        by_name: dict[str, list[str]] = {}
        for task in prepare_tasks(loop, None):
            by_name.setdefault(task.name, []).append(task.id)
        grouped: dict[str, list[Any]] = {}
        from stategraph._types import StateUpdate

        for item in values:
            if not isinstance(item, Sequence):
                raise InvalidUpdateError(
                    f"Invalid update item: {item} when copying checkpoint"
                )
            item_values, item_node = item[:2]
            group = grouped.setdefault(item_node, [])
            ids = by_name.get(item_node, [])
            task_id = ids[len(group)] if len(group) < len(ids) else None
            group.append(StateUpdate(item_values, item_node, task_id))
        return (
            yield from perform_superstep(
                graph,
                patch_checkpoint_map(next_config, saved.metadata),
                [u for g in grouped.values() for u in g],
                saver,
            )
        )
    return patch_checkpoint_map(next_config, saved.metadata)


def _store_writes(
    config: Any,
    saved: Any,
    ckpt_config: Any,
    items: Sequence[tuple[str, Any, Any]],
    is_first: bool,
    plan: UpdatePlan,
) -> Effects:
    """Save an update's writes on the checkpoint it builds on (shown as task results).

    Delta channels rebuild their values from these writes. When the thread
    already moved past that checkpoint, whose other children would see them,
    they are not saved and the new checkpoint snapshots those channels.
    """
    for _, writes, _ in items:
        ensure_message_ids(plan.specs, writes)
    if saved is None:
        return
    if is_first and config[CONF].get(CONFIG_KEY_CHECKPOINT_ID):
        latest = yield LoadCheckpoint(
            {**config, CONF: {**config[CONF], CONFIG_KEY_CHECKPOINT_ID: None}}
        )
        if latest is not None and latest.checkpoint["id"] != saved.checkpoint["id"]:
            plan.superseded(w for _, writes, _ in items for w in writes)
            return
    for task_id, writes, task in items:
        if kept := [w for w in writes if w[0] != "__pregel_push"]:
            yield SaveWrites(
                ckpt_config, kept, task_id, path_str(task.path) if task else ""
            )


def _as_nodes(
    graph: Any,
    loop: Loop,
    saved: Any,
    updates: Sequence[Any],
    ckpt_config: Any,
    step: int,
    previous: dict[str, Any],
    config: Any,
    plan: UpdatePlan,
) -> Effects:
    run_tasks, run_ids = yield from _write_as_nodes(graph, loop, saved, updates)
    writes = [w for t in run_tasks for w in t.writes]
    plan.overwritten(writes)
    yield from _store_writes(
        config,
        saved,
        ckpt_config,
        [(i, t.writes, t) for i, t in zip(run_ids, run_tasks, strict=False)],
        plan.is_first,
        plan,
    )
    apply_writes(loop, run_tasks)
    meta = {
        "source": "update",
        "step": step + 1,
        "parents": saved.metadata.get("parents", {}) if saved else {},
    }
    plan.plan(loop, meta, {c for c, _ in writes if c != PUSH})
    next_config = yield from _save(
        loop, ckpt_config, meta, step + 1, previous, None, plan
    )
    for task_id, task in zip(run_ids, run_tasks, strict=False):
        if push := [w for w in task.writes if w[0] == "__pregel_push"]:
            yield SaveWrites(next_config, push, task_id, "")
    from stategraph._engine._emit import patch_checkpoint_map

    return patch_checkpoint_map(next_config, saved.metadata if saved else None)


def _write_as_nodes(
    graph: Any, loop: Loop, saved: Any, updates: Sequence[Any]
) -> Generator[Any, Any, tuple[list[Task], list[str]]]:
    """Run the writers of each update's node; return the tasks and their ids.

    A task takes the id given, else that of its node's pending task (in order),
    else a new one.
    """
    node_task_ids: dict[str, list[str]] = {}
    if saved is not None and saved.pending_writes is not None:
        for t in prepare_tasks(loop, None):
            node_task_ids.setdefault(t.name, []).append(t.id)
    valid = _valid_updates(graph, loop, updates)
    run_tasks: list[Task] = []
    run_ids: list[str] = []
    for i, (as_node, values, given_id) in enumerate(valid):
        node = graph.nodes[as_node]
        if not node.writers:
            raise InvalidUpdateError(f"Node {as_node} has no writers")
        task: Task = _UpdateTask(
            loop, node, as_node, (INTERRUPT, i), (INTERRUPT,), values
        )
        ids = node_task_ids.get(as_node, [])
        task_id = given_id or (
            ids.pop(0) if ids else _update_task_id(loop.checkpoint_id, i)
        )
        task._id = task_id
        for writer in node.writers:
            pending = writer(task, values)
            if pending is not None:
                # An async conditional edge: its routing is awaited here,
                # in writer order, so the task's writes keep their order.
                yield AwaitWriter(pending)
        run_tasks.append(task)
        run_ids.append(task_id)
    return run_tasks, run_ids


def _valid_updates(
    graph: Any, loop: Loop, updates: Sequence[Any]
) -> list[tuple[str, Any, Any]]:
    if len(updates) == 1:
        values, as_node, task_id = ((*tuple(updates[0]), None, None))[:3]
        if as_node is None:
            as_node = _infer_as_node(graph, loop.versions_seen)
        if as_node is None:
            raise InvalidUpdateError("Ambiguous update, specify as_node")
        if as_node not in graph.nodes:
            raise InvalidUpdateError(f"Node {as_node} does not exist")
        return [(as_node, values, task_id)]
    out = []
    for update in updates:
        values, as_node, task_id = ((*tuple(update), None, None))[:3]
        if as_node is None:
            raise InvalidUpdateError(
                "as_node is required when applying multiple updates"
            )
        if as_node not in graph.nodes:
            raise InvalidUpdateError(f"Node {as_node} does not exist")
        out.append((as_node, values, task_id))
    return out


def _infer_as_node(graph: Any, versions_seen: dict[str, Any]) -> str | None:
    if len(graph.nodes) == 1:
        return str(next(iter(graph.nodes)))
    versions_seen = seen_without_bumps(versions_seen)
    if not any(v for vv in versions_seen.values() for v in vv.values()):
        if (
            isinstance(graph.input_channels, str)
            and graph.input_channels in graph.nodes
        ):
            return graph.input_channels
        return None
    last = sorted(
        (v, n) for n, s in versions_seen.items() if n in graph.nodes for v in s.values()
    )
    if len(last) == 1 or (last and last[-1][0] != last[-2][0]):
        return last[-1][1]
    return None


def _update_task_id(checkpoint_id: str, i: int) -> str:
    return str(
        uuid.uuid5(
            uuid.UUID(checkpoint_id), INTERRUPT if i == 0 else f"{INTERRUPT}:{i}"
        )
    )
