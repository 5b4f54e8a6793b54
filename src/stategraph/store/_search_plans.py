"""Search plans of the SQL stores, and the row decoding they share with gets.

``run_search`` plans one search: the newest items of a namespace prefix
(``_recent_query``), the nearest through an ANN index (``_ann``), or the exact
scoring of every vector; then decodes the rows and restarts TTL clocks.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from stategraph.store import _match
from stategraph.store._ann import ann_rows
from stategraph.store._sql import Dialect, Plan, Query, StoreSettings
from stategraph.store._sql_filters import search_filters
from stategraph.store.base._records import SearchItem, SearchOp, make_search_item


def refresh_plan(
    cfg: StoreSettings, rows: Sequence[tuple[str, str, Any]], now: datetime
) -> Plan[None]:
    """Restart the TTL clock of ``(prefix, key, ttl_minutes)`` rows that have one."""
    d = cfg.dialect
    # The new expiries are computed here rather than in SQL because date
    # arithmetic differs between the dialects.
    updates = [
        (d.encode_time(now + timedelta(minutes=float(ttl))), prefix, key)
        for prefix, key, ttl in rows
        if ttl is not None
    ]
    if updates:
        yield Query(
            f"UPDATE store SET expires_at = {d.P} WHERE prefix = {d.P} AND key = {d.P}",
            updates,
            many=True,
        )


def item_times(d: Dialect, created: Any, updated: Any) -> tuple[Any, Any]:
    """A row's ``created_at`` and ``updated_at`` as an ``Item`` keeps them.

    ISO text (SQLite's) stays raw: the item parses it if it is ever read
    (``decode_moment``), which most callers never do. Other values are
    decoded by the dialect now.
    """
    # Never-updated items have equal timestamps: one object, parsed once.
    if type(created) is str and type(updated) is str:
        return created, created if updated == created else updated
    first = d.decode_time(created)
    return first, first if updated == created else d.decode_time(updated)


def run_search(
    cfg: StoreSettings, op: SearchOp, vector: Any, now: datetime
) -> Plan[list[SearchItem]]:
    """Plan one search (``vector``: the query's embedding, or ``None``)."""
    d = cfg.dialect
    filters, fparams, residual = search_filters(cfg, op, now)
    page = "" if residual else f" LIMIT {d.P} OFFSET {d.P}"
    page_params = [] if residual else [op.limit, op.offset]
    cols = f"s.prefix, s.key, {d.VALUE}, s.created_at, s.updated_at, s.ttl_minutes"
    if vector is None and not residual and op.namespace_prefix and op.offset >= 0:
        rows = yield _recent_query(cfg, op, cols, filters, fparams)
    elif vector is not None and d.ann and not residual and op.offset >= 0:
        rows = yield from ann_rows(cfg, op, vector, cols, (filters, fparams))
    else:
        ns_sql, ns_params = "1 = 1", list[Any]()
        if op.namespace_prefix:
            ns_sql, ns_params = d.prefix_condition(op.namespace_prefix)
        where = ns_sql + filters
        if vector is None:
            sql = f"SELECT {cols}, NULL FROM store s WHERE {where}"
            sql += " ORDER BY s.updated_at DESC"
            rows = yield Query(sql + page, [*ns_params, *fparams, *page_params])
        else:
            sv_sql = ns_sql.replace("s.prefix", "sv.prefix")
            scores = (
                f"SELECT sv.prefix, sv.key, MAX({d.similarity()}) AS score"
                f" FROM store_vectors sv WHERE {sv_sql}"
                " GROUP BY sv.prefix, sv.key"
            )
            sql = (
                f"SELECT {cols}, v.score FROM store s LEFT JOIN ({scores}) v"
                " ON v.prefix = s.prefix AND v.key = s.key WHERE"
                f" {where} ORDER BY v.score IS NULL, v.score DESC, s.updated_at DESC"
            )
            qparams = [d.encode_vector(vector), *ns_params, *ns_params, *fparams]
            rows = yield Query(sql + page, [*qparams, *page_params])
    items = _search_items(d, rows)
    if residual:
        kept = [
            (item, row)
            for item, row in zip(items, rows, strict=True)
            if _match.matches_filter(item.value, residual, d.field)
        ][op.offset : op.offset + op.limit]
        items, rows = [item for item, _ in kept], [row for _, row in kept]
    if op.refresh_ttl and any(row[5] is not None for row in rows):
        yield from refresh_plan(cfg, [(row[0], row[1], row[5]) for row in rows], now)
    return items


def _recent_query(
    cfg: StoreSettings, op: SearchOp, cols: str, filters: str, fparams: list[Any]
) -> Query:
    """The newest matching items, as the union of the namespace and its children.

    Split this way, each half is an index range on ``(prefix, updated_at)``
    read in order and cut at ``offset + limit`` rows, instead of every row
    under the prefix being read and sorted. SQLite merges the plain compound
    lazily, the namespace's half straight from the index (its own ``LIMIT``
    subqueries would each be sorted again into a temporary tree).
    """
    d = cfg.dialect
    prefix = ".".join(op.namespace_prefix)
    below, below_params = d.descendants_condition(op.namespace_prefix)
    sql = _recent_sql(d.P, d.merges_compounds, below, cols, filters)
    if d.merges_compounds:
        params = [prefix, *fparams, *below_params, *fparams, op.limit, op.offset]
    else:
        cut = op.offset + max(op.limit, 0)
        params = [prefix, *fparams, cut, *below_params, *fparams, cut]
        params += [op.limit, op.offset]
    return Query(sql, params)


@functools.lru_cache(maxsize=256)
def _recent_sql(p: str, compound: bool, below: str, cols: str, filters: str) -> str:
    # Built once per filter shape: the text is the same for every search.
    half = f"SELECT {cols}, NULL AS score FROM store s WHERE {{}}{filters}"
    if not compound:
        half += f" ORDER BY s.updated_at DESC LIMIT {p}"
    exact = half.replace("{}", f"s.prefix = {p}")
    children = half.replace("{}", below)
    if not compound:
        exact, children = f"SELECT * FROM ({exact}) a", f"SELECT * FROM ({children}) b"
    return f"{exact} UNION ALL {children} ORDER BY 5 DESC LIMIT {p} OFFSET {p}"


def _search_items(d: Dialect, rows: Sequence[Sequence[Any]]) -> list[SearchItem]:
    namespaces: dict[str, tuple[str, ...]] = {}  # rows often share a namespace
    decode_value = d.value_decoder()
    items = []
    for row in rows:
        prefix, score = row[0], row[6]
        namespace = namespaces.get(prefix)
        if namespace is None:
            namespace = namespaces[prefix] = tuple(prefix.split("."))
        created, updated = item_times(d, row[3], row[4])
        value = decode_value(row[2])
        score = None if score is None else float(score)
        items.append(
            make_search_item(namespace, row[1], value, created, updated, score)
        )
    return items
