"""Lone reads of the SQL stores: ``get`` as a statement, a bound reader or a plan.

A lone ``get`` is the hottest store call, so besides ``get_plan`` (for
drivers with round trips) it is offered as ``get_query`` + ``get_item`` and as
``LoneGet``, which binds the statement and row decoding once per store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from stategraph.store._search_plans import item_times, refresh_plan
from stategraph.store._sql import Plan, Query, StoreSettings
from stategraph.store.base._records import GetOp, Item, make_item


def get_query(
    cfg: StoreSettings,
    op: GetOp,
    clock: Callable[[], datetime],
    prefix: str | None = None,
) -> Query:
    """The one statement of a lone ``get`` (``get_item`` reads its rows).

    Takes the store's clock rather than the time: most reads never need it.
    A lone get is the hottest store call, so it is a statement and a
    function rather than a generator plan. ``prefix`` is the namespace's
    stored text, when the caller has it.
    """
    if prefix is None:
        prefix = ".".join(op.namespace)
    if cfg.omit_expired:
        now = cfg.dialect.encode_time(clock())
        return Query(cfg.get_sql, (prefix, op.key, now))
    return Query(cfg.get_sql, (prefix, op.key))


def get_item(
    cfg: StoreSettings, op: GetOp, row: Sequence[Any], clock: Callable[[], datetime]
) -> tuple[Item, Plan[None] | None]:
    """The item a lone ``get`` found, and the TTL refresh to run after, if any."""
    d = cfg.dialect
    raw, created_at, updated_at, ttl = row
    created, updated = item_times(d, created_at, updated_at)
    namespace = tuple(op.namespace)
    item = make_item(namespace, op.key, d.decode_value(raw), created, updated)
    if op.refresh_ttl and ttl is not None:
        return item, refresh_plan(cfg, [(".".join(namespace), op.key, ttl)], clock())
    return item, None


_new_item = Item.__new__


class LoneGet:
    """A lone ``get`` of one store: its statement and row decoding, bound once.

    The hottest store call: drivers run ``sql`` with ``params`` and build the
    item with ``item``, without a plan generator or per-call lookups.
    """

    __slots__ = (
        "_cfg",
        "_decode_value",
        "_encode_time",
        "sql",
        "timeless",
    )

    def __init__(self, cfg: StoreSettings) -> None:
        d = cfg.dialect
        self._cfg = cfg
        self.sql = cfg.get_sql
        self._decode_value = d.value_decoder()
        self._encode_time = d.encode_time if cfg.omit_expired else None
        # Without a time to bind, drivers pass ``(prefix, key)`` themselves.
        self.timeless = self._encode_time is None

    def params(
        self, prefix: str, key: str, clock: Callable[[], datetime]
    ) -> tuple[Any, ...]:
        """Parameters of ``sql`` (the time only when expired items are omitted)."""
        if self._encode_time is None:
            return (prefix, key)
        return (prefix, key, self._encode_time(clock()))

    def item(self, namespace: tuple[str, ...], key: str, row: Sequence[Any]) -> Item:
        """The item of the row ``sql`` returned."""
        created, updated = row[1], row[2]
        if type(created) is str and type(updated) is str:  # item_times, inlined
            if updated == created:  # never updated: one object, parsed once
                updated = created
        else:
            created, updated = item_times(self._cfg.dialect, created, updated)
        # make_item inlined: this runs once per get.
        item = _new_item(Item)
        item.namespace = namespace if type(namespace) is tuple else tuple(namespace)
        item.key = key
        item.value = self._decode_value(row[0])
        item._created = created
        item._updated = updated
        return item

    def refresh(
        self, prefix: str, key: str, row: Sequence[Any], clock: Callable[[], datetime]
    ) -> Plan[None] | None:
        """The TTL refresh after reading ``row``, if the item has a TTL."""
        ttl = row[3]
        return (
            None
            if ttl is None
            else refresh_plan(self._cfg, [(prefix, key, ttl)], clock())
        )


def get_plan(
    cfg: StoreSettings, op: GetOp, clock: Callable[[], datetime]
) -> Plan[Item | None]:
    """``get_query`` and ``get_item`` as one plan (for drivers with round trips)."""
    rows = yield get_query(cfg, op, clock)
    if not rows:
        return None
    item, refresh = get_item(cfg, op, rows[0], clock)
    if refresh is not None:
        yield from refresh
    return item
