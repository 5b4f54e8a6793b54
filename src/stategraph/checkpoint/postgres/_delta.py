"""``get_delta_channel_history`` for the Postgres savers, in a few queries.

A plan of statements (run by the sync or the async saver): the parent chain
a page at a time, each ancestor with the requested channels it stores a value
for (inline in the checkpoint row, or a blob), then the seeds and the writes.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import orjson

from stategraph._config import RunnableConfig
from stategraph.checkpoint._delta_history import PAGE, ChainWalk, assemble
from stategraph.checkpoint._splice import base_of, is_spliced
from stategraph.checkpoint.base import DeltaChannelHistory
from stategraph.checkpoint.postgres._base import Rows, Statement, splice_bases_statement

__all__ = ("DeltaPlan", "delta_history_plan")

DeltaPlan = Generator[Statement, Rows, dict[str, DeltaChannelHistory]]

_LATEST = """SELECT checkpoint_id FROM checkpoints
 WHERE thread_id = %(thread_id)s AND checkpoint_ns = %(ns)s
 ORDER BY checkpoint_id DESC LIMIT 1"""
_STORED = """EXISTS (SELECT 1 FROM checkpoint_blobs AS b
 WHERE b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
  AND b.channel = ch AND b.version = c.checkpoint -> 'channel_versions' ->> ch
  AND b.type <> 'empty')"""
# An inline JSON null counts as no value (as in LangGraph: it cannot be told
# apart from a channel never written), so the walk goes on past it.
_CHAIN = f"""WITH RECURSIVE chain(n, checkpoint_id) AS (
 SELECT 0, parent_checkpoint_id FROM checkpoints WHERE thread_id = %(thread_id)s
  AND checkpoint_ns = %(ns)s AND checkpoint_id = %(start)s
 UNION ALL
 SELECT chain.n + 1, c.parent_checkpoint_id FROM chain JOIN checkpoints AS c
  ON c.thread_id = %(thread_id)s AND c.checkpoint_ns = %(ns)s
  AND c.checkpoint_id = chain.checkpoint_id WHERE chain.n < %(last)s)
SELECT c.checkpoint_id, c.parent_checkpoint_id,
 ARRAY(SELECT ch FROM unnest(%(channels)s::text[]) AS ch
  WHERE jsonb_typeof(c.checkpoint -> 'channel_values' -> ch) <> 'null'
   OR {_STORED})
FROM chain JOIN checkpoints AS c ON c.thread_id = %(thread_id)s
 AND c.checkpoint_ns = %(ns)s AND c.checkpoint_id = chain.checkpoint_id
ORDER BY chain.n"""
# A blob wins over the inline reading: LangGraph leaves a marker inline.
_SEED = """SELECT (c.checkpoint -> 'channel_values' -> %(channel)s)::text, b.type,
 b.blob FROM checkpoints AS c LEFT JOIN checkpoint_blobs AS b
 ON b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns
 AND b.channel = %(channel)s
 AND b.version = c.checkpoint -> 'channel_versions' ->> %(channel)s
 AND b.type <> 'empty'
WHERE c.thread_id = %(thread_id)s AND c.checkpoint_ns = %(ns)s
 AND c.checkpoint_id = %(id)s"""
_WRITES = """SELECT checkpoint_id, task_id, channel, type, blob FROM checkpoint_writes
WHERE thread_id = %(thread_id)s AND checkpoint_ns = %(ns)s
 AND checkpoint_id = ANY(%(chain)s::text[]) AND channel = ANY(%(channels)s::text[])
ORDER BY task_path, task_id, idx"""


def delta_history_plan(
    saver: Any, config: RunnableConfig, channels: Sequence[str]
) -> DeltaPlan:
    """Collect each channel's writes and seed along the ancestors of a checkpoint.

    Same contract as ``BaseCheckpointSaver.get_delta_channel_history``;
    ``saver`` loads the stored values.
    """
    if not channels:
        return {}
    conf = config["configurable"]
    keys = {"thread_id": str(conf["thread_id"]), "ns": conf.get("checkpoint_ns", "")}
    start = conf.get("checkpoint_id")
    if not start:
        latest = yield _LATEST, keys
        start = latest[0][0] if latest else None
    walk = ChainWalk(channels)
    while start is not None and walk.remaining:
        params = {**keys, "start": start, "last": PAGE - 1, "channels": walk.channels}
        start = _take_page(walk, (yield _CHAIN, params))
    seeds: dict[str, Any] = {}
    for name, ancestor in walk.seeds.items():
        rows = yield _SEED, {**keys, "channel": name, "id": ancestor}
        inline, tag, blob = rows[0]
        where = f"channel {name!r} of checkpoint {ancestor!r}"
        if tag is not None and is_spliced(tag):
            key = (keys["thread_id"], keys["ns"], name)
            chain = yield splice_bases_statement([(*key, base_of(tag))])
            bases = {tuple(row[:4]): (row[4], row[5]) for row in chain}
            tag, blob = saver._materialize(bases, key, tag, blob)
        seeds[name] = (
            saver._loads(tag, blob, where) if tag is not None else orjson.loads(inline)
        )
    rows = yield _WRITES, {**keys, "chain": walk.chain, "channels": walk.channels}
    writes = [
        (cid, task, ch, saver._loads(tag or "", blob, f"write of task {task!r}"))
        for cid, task, ch, tag, blob in rows
    ]
    return assemble(walk, seeds, writes)


def _take_page(walk: ChainWalk, rows: Rows) -> Any:
    """Feed one page to the walk; return where the next page starts, if any."""
    for ancestor, _, stored in rows:
        if not walk.take(ancestor, stored):
            return None
    if not rows or not walk.page_continues(len(rows), rows[-1][1]):
        return None
    return rows[-1][0]
