"""Delta-history helpers for LangGraph's SQLite checkpoint tables.

LangGraph's ``langgraph.checkpoint.sqlite`` module exposes the pieces its
``get_delta_channel_history`` is built from: a query of the writes of each
channel's ancestor chain (``build_delta_stage2_sql``, over LangGraph's
``writes`` table), a step of the walk up the ancestors whose checkpoints hold
``channel_values`` inline (``step_walk_with_row``) and the assembly of the
result (``build_delta_channels_writes_history``). They serve code that reads
a database LangGraph's saver wrote; stategraph's savers walk their own
``sg_*`` tables (see ``_delta``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stategraph.checkpoint.base import (
    DeltaChannelHistory,
    PendingWrite,
    writes_sort_key,
)

__all__ = (
    "build_delta_channels_writes_history",
    "build_delta_stage2_sql",
    "step_walk_with_row",
)

# (checkpoint_id, channel, task_id, idx, type, value, task_path)
Stage2Row = tuple[str, str, str, int, str, bytes, str]


def build_delta_stage2_sql(
    *, chain_lens: Sequence[int], has_task_path: bool = True
) -> str:
    """Query the writes of each channel on its chain of checkpoints.

    Args:
        chain_lens: Per channel, how many checkpoint ids its chain has: one
            ``UNION ALL`` branch each, bound to ``thread_id, checkpoint_ns,
            channel`` then that many ids.
        has_task_path: Whether ``writes`` has a ``task_path`` column.

    Returns:
        SQL yielding ``Stage2Row`` rows, or ``""`` for no channel.
    """
    task_path = "task_path" if has_task_path else "''"
    return " UNION ALL ".join(
        f"SELECT checkpoint_id, channel, task_id, idx, type, value, {task_path} "
        "FROM writes WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? "
        f"AND checkpoint_id IN ({','.join('?' * n)})"
        for n in chain_lens
    )


def step_walk_with_row(
    *,
    cid: str,
    type_tag: str,
    blob: bytes,
    target_id: str,
    serde: Any,
    chain_by_ch: dict[str, list[str]],
    seed_val_by_ch: dict[str, Any],
    walk_state: dict[str, Any],
    seeded: set[str],
    channels: Sequence[str],
) -> bool:
    """Take one checkpoint row of the walk from the target up its ancestors.

    Rows before the target are skipped, and so is the target itself (its own
    value and writes are not part of its history). Each ancestor is added to
    the chain of every channel still unseeded, and seeds the channels whose
    value it stores.

    Args:
        cid: The row's checkpoint id.
        type_tag: Serialization tag of ``blob``.
        blob: The serialized checkpoint, with its ``channel_values``.
        target_id: Id of the checkpoint whose history is wanted.
        serde: Loads ``(type_tag, blob)``.
        chain_by_ch: Channel -> ancestor ids so far, nearest first; updated.
        seed_val_by_ch: Channel -> seed value; updated.
        walk_state: The walk's own state between calls (start with ``{}``).
        seeded: Channels that found their seed; updated.
        channels: The channels asked for.

    Returns:
        Whether the walk is over: every channel seeded, or an id came back
        (a loop).
    """
    if "started" not in walk_state:
        if cid == target_id:
            walk_state["started"] = True
            walk_state["active"] = {ch for ch in channels if ch not in seeded}
            walk_state["walked"] = {cid}
        return False
    active: set[str] = walk_state["active"]
    walked: set[str] = walk_state["walked"]
    if not active or cid in walked:
        return True
    walked.add(cid)
    for ch in active:
        chain_by_ch[ch].append(cid)
    values: Mapping[str, Any] = (
        serde.loads_typed((type_tag, blob)).get("channel_values") or {}
    )
    found = active.intersection(values)
    for ch in found:
        seed_val_by_ch[ch] = values[ch]
    seeded.update(found)
    active.difference_update(found)
    return not active


def build_delta_channels_writes_history(
    *,
    channels: Sequence[str],
    chain_by_ch: Mapping[str, list[str]],
    seed_val_by_ch: Mapping[str, Any],
    seeded: set[str],
    stage2_rows: Sequence[Stage2Row],
    serde: Any,
) -> dict[str, DeltaChannelHistory]:
    """Assemble each channel's history from its chain and the fetched writes.

    Args:
        channels: The channels asked for.
        chain_by_ch: Channel -> ancestor ids, nearest first.
        seed_val_by_ch: Channel -> seed value, for the seeded channels.
        seeded: Channels whose walk found a stored value.
        stage2_rows: Rows of ``build_delta_stage2_sql``.
        serde: Loads each write's ``(type, value)``.

    Returns:
        Channel -> ``{"writes": [...], "seed": ...}``: writes oldest
        checkpoint first and in ``writes_sort_key`` order within one; no
        ``seed`` when the walk reached the root without one.
    """
    grouped: dict[tuple[str, str], list[Stage2Row]] = {}
    for row in stage2_rows:
        grouped.setdefault((row[1], row[0]), []).append(row)
    for rows in grouped.values():
        rows.sort(key=lambda r: writes_sort_key(r[6], r[2], r[3]))
    result: dict[str, DeltaChannelHistory] = {}
    for ch in channels:
        writes: list[PendingWrite] = [
            (row[2], ch, serde.loads_typed((row[4], row[5])))
            for cid in reversed(chain_by_ch.get(ch, []))
            for row in grouped.get((ch, cid), ())
        ]
        entry: DeltaChannelHistory = {"writes": writes}
        if ch in seeded:
            entry["seed"] = seed_val_by_ch[ch]
        result[ch] = entry
    return result
