"""The WHERE clauses of SQL store searches: filters and expiry.

A search's filter becomes SQL once per filter (compiled text and parameters
are cached), so repeated searches with the same filter reuse both the text
and, through the driver's statement cache, SQLite's or PostgreSQL's plan.
Conditions SQL cannot express exactly are returned to be applied in Python.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stategraph.store._sql import Dialect, StoreSettings
from stategraph.store.base._records import SearchOp


def not_expired(cfg: StoreSettings, now: datetime) -> tuple[str, list[Any]]:
    """`` AND ...`` SQL skipping expired items (when the store omits them)."""
    if not cfg.omit_expired:
        return "", []
    return f" AND (s.expires_at IS NULL OR s.expires_at > {cfg.dialect.P})", [
        cfg.dialect.encode_time(now)
    ]


def search_filters(
    cfg: StoreSettings, op: SearchOp, now: datetime
) -> tuple[str, list[Any], dict[str, Any]]:
    """A search's filter and expiry SQL (`` AND ...``), with its parameters.

    Also returns the filters SQL cannot express exactly (left for Python).
    """
    sql, params = "", ()
    residual: dict[str, Any] = {}
    if op.filter:
        key = _filter_key(op.filter)
        if key is None:
            sql, params, residual = _compile_filter(cfg.dialect, op.filter)
        else:
            sql, params, residual = _cached_filter(cfg.dialect, key, op.filter)
    expiry, expiry_params = not_expired(cfg, now)
    return sql + expiry, [*params, *expiry_params], residual


def _filter_key(flt: dict[str, Any]) -> tuple[Any, ...] | None:
    """A hashable key naming a filter's SQL, or ``None`` if it has none.

    Types are part of the key: ``1``, ``1.0`` and ``True`` are equal (and
    hash alike) in Python but compile to different SQL.
    """
    parts: list[Any] = []
    for name, wanted in flt.items():
        if type(wanted) is dict:
            parts.append((name, tuple((o, type(a), a) for o, a in wanted.items())))
        else:
            parts.append((name, type(wanted), wanted))
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:  # lists or nested dicts: compiled on each search
        return None
    return key


_FILTER_CACHE: dict[tuple[Dialect, tuple[Any, ...]], Any] = {}
_FILTER_CACHE_SIZE = 512


def _cached_filter(
    d: Dialect, key: tuple[Any, ...], flt: dict[str, Any]
) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    # Applications search with a handful of filter shapes and values: their
    # SQL is built once (and SQLite's statement cache then reuses the plan).
    found = _FILTER_CACHE.get((d, key))
    if found is None:
        if len(_FILTER_CACHE) >= _FILTER_CACHE_SIZE:
            _FILTER_CACHE.clear()
        found = _FILTER_CACHE[d, key] = _compile_filter(d, flt)
    return found


def _compile_filter(
    d: Dialect, flt: dict[str, Any]
) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    residual: dict[str, Any] = {}
    for key, wanted in flt.items():
        conditions = wanted if _is_operator_dict(wanted) else {"$eq": wanted}
        pushed = [
            d.filter_condition(key, name, arg) for name, arg in conditions.items()
        ]
        if any(p is None for p in pushed):
            residual[key] = wanted
            continue
        for sql, args in (p for p in pushed if p is not None):
            clauses.append(sql)
            params.extend(args)
    return "".join(" AND " + c for c in clauses), tuple(params), residual


def _is_operator_dict(value: Any) -> bool:
    return isinstance(value, dict) and any(str(k).startswith("$") for k in value)
