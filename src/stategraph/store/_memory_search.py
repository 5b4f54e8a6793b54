"""Search over ``InMemoryStore``'s dicts: the page walk, filters and ranking.

``MemorySearch`` is the base ``InMemoryStore`` adds the writes and batches
to; it reads ``_data`` and ``_vectors`` and caches, per namespace prefix, the
item dicts under it. Imports neither langchain nor numpy.
"""

from __future__ import annotations

from itertools import islice
from typing import Any, cast

from stategraph.store._match import check_filter, compile_filter, rank
from stategraph.store.base._args import validate_namespace_labels
from stategraph.store.base._records import (
    Item,
    Result,
    SearchItem,
    SearchOp,
    make_search_item,
)
from stategraph.store.base._store import BaseStore

Vectors = dict[str, list[float]]
_MAX_CACHED_PREFIXES = 1024


def _hits(items: list[Item]) -> list[SearchItem]:
    """Unscored search results for ``items`` (the hot loop of ``search``)."""
    new = SearchItem.__new__
    hits = []
    for item in items:
        hit = new(SearchItem)
        hit.namespace = item.namespace
        hit.key = item.key
        hit.value = item.value
        hit._created = item._created
        hit._updated = item._updated
        hit.score = None
        hits.append(hit)
    return hits


def _search_item(item: Item, score: float | None = None) -> SearchItem:
    return make_search_item(
        item.namespace, item.key, item.value, item._created, item._updated, score
    )


class MemorySearch(BaseStore):
    """The search half of ``InMemoryStore`` (see its docstring)."""

    _data: dict[tuple[str, ...], dict[str, Item]]
    _vectors: dict[tuple[str, ...], dict[str, Vectors]]
    _prefix_groups: dict[tuple[str, ...], tuple[int, list[dict[str, Item]]]]
    embeddings: Any

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Search items (see ``BaseStore.search``)."""
        if (
            filter is None
            and not (query and self.embeddings is not None)
            and type(limit) is int
            and type(offset) is int
            and limit >= 0
            and offset >= 0
        ):
            groups = self._groups(namespace_prefix)
            if groups is not None:  # the common case, without a SearchOp
                stop = offset + limit
                found: list[Item] = []  # not list[Item](): a slow generic call
                for items in groups:
                    if len(found) >= stop:
                        break
                    found.extend(islice(items.values(), stop - len(found)))
                return _hits(found[offset:] if offset else found)
        op = self._search_op(namespace_prefix, query, filter, limit, offset, None)
        if op.query and self.embeddings is not None:
            return cast("list[SearchItem]", self.batch([op])[0])
        check_filter(op.filter)
        return _hits(self._candidates(op)[op.offset : op.offset + op.limit])

    def _groups(self, prefix: tuple[str, ...]) -> list[dict[str, Item]] | None:
        """The item dicts of the namespaces under ``prefix``, in storage order.

        Cached per prefix until a namespace is added (namespaces are never
        removed from ``_data``); ``None`` for an unhashable prefix.
        """
        try:
            cached = self._prefix_groups.get(prefix)
        except TypeError:
            return None
        if cached is not None and cached[0] == len(self._data):
            return cached[1]
        validate_namespace_labels(prefix)
        n = len(prefix)
        groups = [items for ns, items in self._data.items() if ns[:n] == prefix]
        if len(self._prefix_groups) >= _MAX_CACHED_PREFIXES:
            self._prefix_groups.clear()
        self._prefix_groups[prefix] = (len(self._data), groups)
        return groups

    def _candidates(self, op: SearchOp) -> list[Item]:
        prefix, n = op.namespace_prefix, len(op.namespace_prefix)
        ranked = bool(op.query and self.embeddings)
        # Unranked searches keep storage order, so they stop at the page's end.
        stop = (
            op.offset + op.limit
            if not ranked and min(op.offset, op.limit) >= 0
            else None
        )
        if stop == 0:
            return []
        test = compile_filter(op.filter) if op.filter else None
        found: list[Item] = []
        for namespace, items in self._data.items():
            if namespace[:n] != prefix:
                continue
            if test is None:
                if stop is None:
                    found.extend(items.values())
                    continue
                found.extend(islice(items.values(), stop - len(found)))
                if len(found) == stop:
                    return found
                continue
            for item in items.values():
                if test(item.value):
                    found.append(item)
                    if len(found) == stop:
                        return found
        return found

    def _queries(self, searches: dict[int, SearchOp]) -> list[str]:
        if not self.embeddings:
            return []
        return list(dict.fromkeys(op.query for op in searches.values() if op.query))

    def _finish_searches(
        self,
        searches: dict[int, SearchOp],
        vectors: dict[str, list[float]],
        results: list[Result],
    ) -> None:
        for i, op in searches.items():
            found: list[Item] = results[i]  # type: ignore[assignment]
            if op.query and op.query in vectors:
                pairs = (
                    (
                        it,
                        list(
                            self._vectors.get(it.namespace, {}).get(it.key, {}).values()
                        ),
                    )
                    for it in found
                )
                ranked = rank(vectors[op.query], pairs, op.offset, op.limit)
                results[i] = [_search_item(it, s) for s, it in ranked]
            else:
                results[i] = _hits(found[op.offset : op.offset + op.limit])
