"""``get_delta_channel_history`` for the SQLite savers, in a few queries.

The parent chain is read a page at a time with a recursive query that also
says, per ancestor, which requested channels store a value there; the walk
stops at the page where every channel has found its seed. Then one query per
seed and one for all the writes. Runs as a plan, like ``_read``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from stategraph._config import RunnableConfig
from stategraph.checkpoint._delta_history import PAGE, ChainWalk, assemble
from stategraph.checkpoint._splice import base_of, is_spliced
from stategraph.checkpoint.base import DeltaChannelHistory
from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.sqlite._base import (
    SELECT_LATEST,
    SELECT_SPLICE_CHAIN,
    Plan,
    Query,
)
from stategraph.checkpoint.sqlite._read import _load, keys_of, unsplice

__all__ = ("delta_history_plan",)

# Ancestors of ?3 (itself excluded), nearest first, at most ?5 + 1 of them,
# one row per requested channel (?4, a JSON list) each stores a value for
# (or one row with a NULL channel when none).
SELECT_CHAIN = """WITH RECURSIVE chain(n, checkpoint_id) AS (
        SELECT 0, parent_checkpoint_id FROM sg_checkpoints
        WHERE thread_id = ?1 AND checkpoint_ns = ?2 AND checkpoint_id = ?3
        UNION ALL
        SELECT chain.n + 1, c.parent_checkpoint_id
        FROM chain JOIN sg_checkpoints AS c ON c.thread_id = ?1
            AND c.checkpoint_ns = ?2 AND c.checkpoint_id = chain.checkpoint_id
        WHERE chain.n < ?5)
    SELECT chain.n, chain.checkpoint_id, c.parent_checkpoint_id, b.channel, b.version
    FROM chain JOIN sg_checkpoints AS c ON c.thread_id = ?1
        AND c.checkpoint_ns = ?2 AND c.checkpoint_id = chain.checkpoint_id
    LEFT JOIN json_each(CASE WHEN json_valid(c.channel_versions)
        THEN c.channel_versions ELSE '{}' END) AS j
        ON j.key IN (SELECT value FROM json_each(?4))
    LEFT JOIN sg_blobs AS b ON b.thread_id = ?1 AND b.checkpoint_ns = ?2
        AND b.channel = j.key AND b.version = j.value AND b.type <> 'empty'
    ORDER BY chain.n"""
SELECT_SEED = """SELECT type, blob FROM sg_blobs
    WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?"""
SELECT_CHAIN_WRITES = """SELECT checkpoint_id, task_id, channel, type, value
    FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ?
        AND checkpoint_id IN (SELECT value FROM json_each(?))
        AND channel IN (SELECT value FROM json_each(?))
    ORDER BY task_path, task_id, idx"""


def delta_history_plan(
    serde: SerializerProtocol, config: RunnableConfig, channels: Sequence[str]
) -> Plan[dict[str, DeltaChannelHistory]]:
    """Collect each channel's writes and seed along the ancestors of a checkpoint.

    Same contract as ``BaseCheckpointSaver.get_delta_channel_history``.
    """
    if not channels:
        return {}
    thread_id, ns, checkpoint_id = keys_of(config)
    if not checkpoint_id:
        latest = yield Query(SELECT_LATEST, (thread_id, ns))
        checkpoint_id = latest[0][3] if latest else None
    walk = ChainWalk(channels)
    versions: dict[tuple[str, str], Any] = {}
    start = checkpoint_id
    while start is not None and walk.remaining:
        rows = yield Query(
            SELECT_CHAIN, (thread_id, ns, start, json.dumps(walk.channels), PAGE - 1)
        )
        start = _take_page(walk, rows, versions)
    seeds: dict[str, Any] = {}
    for name, ancestor in walk.seeds.items():
        version = versions[name, ancestor]
        found = yield Query(SELECT_SEED, (thread_id, ns, name, version))
        where = f"channel {name!r} of checkpoint {ancestor!r}"
        tag, blob = found[0][0], found[0][1]
        if is_spliced(tag):
            wanted = [[thread_id, ns, name, base_of(tag)]]
            chain = yield Query(SELECT_SPLICE_CHAIN, (json.dumps(wanted),))
            bases = {tuple(row[:4]): (row[4], row[5]) for row in chain}
            tag, blob = unsplice(bases, (thread_id, ns, name), tag, blob)
        seeds[name] = _load(serde, (tag, blob), where)
    rows = yield Query(
        SELECT_CHAIN_WRITES,
        (thread_id, ns, json.dumps(walk.chain), json.dumps(walk.channels)),
    )
    writes = [
        (cid, task, ch, _load(serde, (tag, value), f"write of task {task!r}"))
        for cid, task, ch, tag, value in rows
    ]
    return assemble(walk, seeds, writes)


def _take_page(
    walk: ChainWalk, rows: list[Any], versions: dict[tuple[str, str], Any]
) -> Any:
    """Feed one page to the walk; return where the next page starts, if any."""
    stored: dict[int, list[str]] = {}
    ancestors: list[tuple[int, str, Any]] = []
    for n, ancestor, parent, channel, version in rows:
        if n not in stored:
            stored[n] = []
            ancestors.append((n, ancestor, parent))
        if channel is not None:
            stored[n].append(channel)
            versions[channel, ancestor] = version
    for n, ancestor, _ in ancestors:
        if not walk.take(ancestor, stored[n]):
            return None
    if not ancestors or not walk.page_continues(len(ancestors), ancestors[-1][2]):
        return None
    return ancestors[-1][1]
