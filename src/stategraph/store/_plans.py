"""The SQL stores' operations as sans-IO plans, shared by SQLite and PostgreSQL.

``prepare`` validates a batch and lists the texts it needs embedded; given
the vectors, ``batch_plan`` is a generator of ``Query`` effects. Single
``get``/``search`` calls have shorter plans of their own; searches are
planned in ``_search_plans``.

Semantics (the same on every backend): reads see the store as it was before
the batch's writes; the last of several puts to one key wins; filters are
those of ``_match`` (what SQL cannot express exactly is applied in Python);
search without a query orders by ``updated_at`` descending, with a query by
best-field similarity, items without vectors last (through an ANN index,
``_ann``, when the dialect has one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from stategraph.store import _match
from stategraph.store._get_plans import (
    LoneGet as LoneGet,
    get_item as get_item,
    get_plan as get_plan,
    get_query as get_query,
)
from stategraph.store._search_plans import item_times, refresh_plan, run_search
from stategraph.store._sql import Dialect, Plan, Query, StoreSettings
from stategraph.store._sql_filters import not_expired
from stategraph.store.base._args import (
    validate_op_namespace,
)
from stategraph.store.base._embed import texts_to_embed
from stategraph.store.base._records import (
    GetOp,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    make_item,
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated batch and the texts it needs embedded before it runs.

    Attributes:
        ops: The operations, in order.
        puts: The puts, deduplicated (last wins).
        query_texts: Search queries to embed with ``embed_query``.
        pending: ``(put, field name)`` of each text of ``doc_texts``.
        doc_texts: Texts of the puts to embed with ``embed_documents``.
        transaction: The batch may run more than one statement that must
            succeed or fail together.
        writes: The batch has puts.
    """

    ops: Sequence[Op]
    puts: list[PutOp]
    query_texts: list[str]
    pending: list[tuple[PutOp, str]]
    doc_texts: list[str]
    transaction: bool
    writes: bool


def prepare(cfg: StoreSettings, ops: Sequence[Op]) -> Prepared:
    """Validate ``ops`` and collect what must be embedded.

    Raises:
        InvalidNamespaceError: If a namespace label is invalid.
        ValueError: If a filter uses an unknown operator.
    """
    queries: dict[str, None] = {}
    puts: dict[tuple[tuple[str, ...], str], PutOp] = {}
    for op in ops:
        validate_op_namespace(op)
        if isinstance(op, SearchOp):
            _match.check_filter(op.filter)
            if op.query and cfg.fields is not None:
                queries[op.query] = None
        elif isinstance(op, PutOp):
            puts[(op.namespace, op.key)] = op
        elif not isinstance(op, (GetOp, ListNamespacesOp)):
            raise ValueError(f"Unknown operation type: {type(op)}")
    pending: list[tuple[PutOp, str]] = []
    texts: list[str] = []
    if cfg.fields is not None:
        for op in puts.values():
            for name, text in texts_to_embed(op, cfg.fields):
                pending.append((op, name))
                texts.append(text)
    # A lone read, or a lone put without vectors, is one statement (a TTL
    # refresh after a read may follow, but needs no atomicity with it).
    single = len(ops) == 1 and (not puts or cfg.fields is None)
    return Prepared(
        ops,
        list(puts.values()),
        list(queries),
        pending,
        texts,
        transaction=not single,
        writes=bool(puts),
    )


def batch_plan(
    cfg: StoreSettings,
    prep: Prepared,
    query_vectors: Sequence[Any],
    doc_vectors: Sequence[Any],
    now: datetime,
) -> Plan[list[Result]]:
    """Plan a prepared batch, given its embeddings: reads first, then writes.

    Raises:
        ValueError: If the model returned a different number of vectors.
    """
    if len(doc_vectors) != len(prep.doc_texts):
        raise ValueError(
            f"Number of embeddings ({len(doc_vectors)}) does not match number of "
            f"texts to embed ({len(prep.doc_texts)})"
        )
    by_query = dict(zip(prep.query_texts, query_vectors, strict=True))
    ops = prep.ops
    results: list[Result] = [None] * len(ops)
    gets = [(i, op) for i, op in enumerate(ops) if isinstance(op, GetOp)]
    if gets:
        yield from _run_gets(cfg, gets, results, now)
    for i, op in enumerate(ops):
        if isinstance(op, SearchOp):
            vector = by_query.get(op.query) if op.query else None
            results[i] = yield from run_search(cfg, op, vector, now)
        elif isinstance(op, ListNamespacesOp):
            results[i] = yield from _run_list(cfg, op, now)
    if prep.puts:
        yield from _run_puts(cfg, prep.puts, prep.pending, list(doc_vectors), now)
    return results


def search_plan(
    cfg: StoreSettings, op: SearchOp, now: datetime
) -> Plan[list[SearchItem]]:
    """Plan a lone ``search`` without a vector query.

    Raises:
        InvalidNamespaceError: If a namespace label is invalid.
        ValueError: If the filter uses an unknown operator.
    """
    validate_op_namespace(op)
    _match.check_filter(op.filter)
    return (yield from run_search(cfg, op, None, now))


def _run_gets(
    cfg: StoreSettings,
    gets: list[tuple[int, GetOp]],
    results: list[Result],
    now: datetime,
) -> Plan[None]:
    d = cfg.dialect
    by_ns: dict[tuple[str, ...], list[tuple[int, GetOp]]] = {}
    for i, op in gets:
        by_ns.setdefault(op.namespace, []).append((i, op))
    expiry, expiry_params = not_expired(cfg, now)
    for namespace, entries in by_ns.items():
        prefix = ".".join(namespace)
        keys = list(dict.fromkeys(op.key for _, op in entries))
        marks = ",".join([d.P] * len(keys))
        rows = yield Query(
            f"SELECT s.key, {d.VALUE}, s.created_at, s.updated_at, s.ttl_minutes"
            " FROM store s"
            f" WHERE s.prefix = {d.P} AND s.key IN ({marks}){expiry}",
            [prefix, *keys, *expiry_params],
        )
        found = {row[0]: row for row in rows}
        for i, op in entries:
            row = found.get(op.key)
            results[i] = None if row is None else _item(d, namespace, row)
        fresh = {op.key for _, op in entries if op.refresh_ttl and op.key in found}
        yield from refresh_plan(cfg, [(prefix, k, found[k][4]) for k in fresh], now)


def _item(d: Dialect, namespace: tuple[str, ...], row: Sequence[Any]) -> Item:
    created, updated = item_times(d, row[2], row[3])
    value = d.decode_value(row[1])
    return make_item(tuple(namespace), row[0], value, created, updated)


def _run_list(
    cfg: StoreSettings, op: ListNamespacesOp, now: datetime
) -> Plan[list[tuple[str, ...]]]:
    d = cfg.dialect
    expiry, params = not_expired(cfg, now)
    clauses = "1 = 1" + expiry
    # A plain (wildcard-free) prefix narrows the scan with the prefix index;
    # the exact matching, truncation and ordering happen in Python.
    for cond in op.match_conditions or ():
        if cond.match_type == "prefix" and cond.path and "*" not in cond.path:
            sql, args = d.prefix_condition(tuple(cond.path))
            clauses += " AND " + sql
            params = [*params, *args]
            break
    rows = yield Query(f"SELECT DISTINCT s.prefix FROM store s WHERE {clauses}", params)
    names = (tuple(row[0].split(".")) for row in rows)
    return _match.list_namespaces(names, op, as_text=True)


def _run_puts(
    cfg: StoreSettings,
    puts: list[PutOp],
    pending: list[tuple[PutOp, str]],
    vectors: list[Any],
    now: datetime,
) -> Plan[None]:
    d = cfg.dialect
    if cfg.fields is not None:
        yield Query(
            f"DELETE FROM store_vectors WHERE prefix = {d.P} AND key = {d.P}",
            [(".".join(op.namespace), op.key) for op in puts],
            many=True,
        )
    deletes = [(".".join(op.namespace), op.key) for op in puts if op.value is None]
    if deletes:
        yield Query(
            f"DELETE FROM store WHERE prefix = {d.P} AND key = {d.P}",
            deletes,
            many=True,
        )
    stamp = d.encode_time(now)
    rows = [
        (
            ".".join(op.namespace),
            op.key,
            d.encode_value(dict(op.value)),
            stamp,
            stamp,
            None if op.ttl is None else d.encode_time(now + timedelta(minutes=op.ttl)),
            op.ttl,
        )
        for op in puts
        if op.value is not None
    ]
    if rows:
        yield Query(UPSERT.replace("?", d.P), rows, many=True)
    if pending:
        yield Query(
            "INSERT INTO store_vectors (prefix, key, field_name, embedding, created_at,"
            f" updated_at) VALUES ({d.P}, {d.P}, {d.P}, {d.VEC}, {d.P}, {d.P})",
            [
                (
                    ".".join(op.namespace),
                    op.key,
                    name,
                    d.encode_vector(vec),
                    stamp,
                    stamp,
                )
                for (op, name), vec in zip(pending, vectors, strict=True)
            ],
            many=True,
        )


UPSERT = (
    "INSERT INTO store (prefix, key, value, created_at, updated_at, expires_at,"
    " ttl_minutes) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (prefix, key) DO UPDATE"
    " SET value = excluded.value, updated_at = excluded.updated_at,"
    " expires_at = excluded.expires_at, ttl_minutes = excluded.ttl_minutes"
)


def sweep_plan(cfg: StoreSettings, now: datetime) -> Plan[int]:
    """Delete expired items (and their vectors); return how many went."""
    d = cfg.dialect
    rows = yield Query(
        "SELECT prefix, key FROM store"
        f" WHERE expires_at IS NOT NULL AND expires_at < {d.P}",
        [d.encode_time(now)],
    )
    if not rows:
        return 0
    keys = [(row[0], row[1]) for row in rows]
    if cfg.fields is not None:
        yield Query(
            f"DELETE FROM store_vectors WHERE prefix = {d.P} AND key = {d.P}",
            keys,
            many=True,
        )
    yield Query(
        f"DELETE FROM store WHERE prefix = {d.P} AND key = {d.P}", keys, many=True
    )
    return len(keys)
