"""Vector search through an approximate (ANN) index: pgvector's HNSW or IVFFlat.

The exact search (``_plans``) scores every stored vector; an index can only
answer ``ORDER BY <distance operator> ASC LIMIT n`` over ``store_vectors``, so
here the nearest ``n`` vectors are read that way (joined to their items, with
the namespace and filter conditions), duplicates of multi-field items are
dropped keeping each item's nearest field, and ``n`` grows until the page is
full or the vectors run out. Items without vectors come after all items with
them, newest first, as in the exact search and the in-memory store.

An index scan may return fewer rows than asked (HNSW stops at
``hnsw.ef_search`` candidates, filters apply after the scan), as in
LangGraph's ``PostgresStore``, unless the dialect's ``ann_settings`` turn on
iterative scans (pgvector 0.8 and later), which scan on until the ``LIMIT``
is met; the search then runs in a transaction, which those settings last
for. Results are approximate either way, as an ANN index makes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stategraph.store._sql import Plan, Query, StoreSettings
from stategraph.store.base._records import SearchOp

Row = Sequence[Any]
_UNINDEXED = (
    "NOT EXISTS (SELECT 1 FROM store_vectors sv"
    " WHERE sv.prefix = s.prefix AND sv.key = s.key)"
)


def ann_rows(
    cfg: StoreSettings,
    op: SearchOp,
    vector: Any,
    cols: str,
    filters: tuple[str, list[Any]],
) -> Plan[list[Row]]:
    """Plan the rows of one page of a vector search, scores in the last column.

    Args:
        cfg: The store's settings (its dialect has ``ann`` set).
        op: The search (non-negative ``offset``).
        vector: The query's embedding.
        cols: The selected item columns (``s.`` is ``store``).
        filters: `` AND ...`` SQL on ``s`` and its parameters.
    """
    d = cfg.dialect
    want = op.offset + max(op.limit, 0)
    if want <= 0:
        return []
    ns_sql, ns_params = "1 = 1", list[Any]()
    if op.namespace_prefix:
        ns_sql, ns_params = d.prefix_condition(op.namespace_prefix)
    fsql, fparams = filters
    distance = d.ann_distance()
    nearest = (
        f"SELECT {cols}, {distance} AS distance FROM store_vectors sv"
        " JOIN store s ON s.prefix = sv.prefix AND s.key = sv.key"
        f" WHERE {ns_sql.replace('s.prefix', 'sv.prefix')}{fsql}"
        f" ORDER BY distance LIMIT {d.P}"
    )
    params = [d.encode_vector(vector), *ns_params, *fparams]
    settings = d.ann_settings()
    if settings is not None:
        yield Query(settings)
    # Room for every field of each item, twice over: LangGraph's estimate.
    cap = want * max(1, len(cfg.fields or ())) * 2 + 1
    while True:
        rows = yield Query(nearest, [*params, cap])
        best: dict[tuple[str, str], Row] = {}
        for row in rows:  # nearest first: an item's first row is its best
            best.setdefault((row[0], row[1]), row)
        exhausted = len(rows) < cap
        if exhausted or len(best) >= want:
            break
        cap *= 4
    # Equally near items newest first, as the exact search orders them.
    ranked = sorted(best.values(), key=lambda row: row[4], reverse=True)
    ranked.sort(key=lambda row: row[6])
    found: list[Row] = [(*row[:6], d.ann_score(float(row[6]))) for row in ranked]
    page: list[Row] = found[op.offset : want]
    if exhausted and len(page) < op.limit:
        # Items without vectors come last, newest first.
        sql = (
            f"SELECT {cols}, NULL FROM store s WHERE {ns_sql}{fsql} AND {_UNINDEXED}"
            f" ORDER BY s.updated_at DESC LIMIT {d.P} OFFSET {d.P}"
        )
        skip = max(0, op.offset - len(found))
        page += yield Query(sql, [*ns_params, *fparams, op.limit - len(page), skip])
    return page
