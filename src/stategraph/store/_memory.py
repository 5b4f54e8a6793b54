"""``InMemoryStore``: the dict-backed store, for tests and single processes.

Items live in ``_data[namespace][key]`` and vectors in
``_vectors[namespace][key][field]`` (LangGraph's attribute names, which the
LangGraph server reads); searching them is ``_memory_search``'s. Imports
neither langchain nor numpy.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from stategraph.store._match import check_filter, list_namespaces
from stategraph.store._memory_search import MemorySearch, Vectors
from stategraph.store.base._args import (
    validate_namespace,
    validate_namespace_labels,
)
from stategraph.store.base._embed import (
    ensure_embeddings,
    texts_to_embed,
    tokenized_fields,
)
from stategraph.store.base._records import (
    NOT_PROVIDED,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    NotProvided,
    Op,
    PutOp,
    Result,
    SearchOp,
    make_item,
)

# Items keep the raw clock reading (see ``decode_moment``): the ``datetime``
# is built only if a caller reads the timestamp.
_clock = time.time_ns
_new_item = Item.__new__
Field = tuple[str, "str | list[str]"]


class InMemoryStore(MemorySearch):
    """A store kept in Python dicts, with optional vector search.

    Search without a query returns items in storage order (namespaces, then
    keys, in first-insertion order); with a query and an index, by cosine
    similarity of each item's best-matching field, items without vectors
    last. No TTL support (``put(..., ttl=...)`` raises), as in LangGraph.

    Args:
        index: Vector search settings (``dims``, ``embed``, ``fields``).

    Example:
        >>> store = InMemoryStore()
        >>> store.put(("users", "1"), "prefs", {"theme": "dark"})
        >>> store.get(("users", "1"), "prefs").value
        {'theme': 'dark'}
    """

    def __init__(self, *, index: IndexConfig | None = None) -> None:
        self._data: dict[tuple[str, ...], dict[str, Item]] = {}
        self._vectors: dict[tuple[str, ...], dict[str, Vectors]] = {}
        self._prefix_groups: dict[
            tuple[str, ...], tuple[int, list[dict[str, Item]]]
        ] = {}
        self.index_config: dict[str, Any] | None = None
        self.embeddings: Any = None
        if index:
            self.index_config = dict(index)
            self.embeddings = ensure_embeddings(index.get("embed"))
            self.index_config["__tokenized_fields"] = tokenized_fields(
                index.get("fields")
            )

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops``: reads first (before this batch's writes), then puts."""
        results, puts, searches = self._read(ops)
        if searches:
            queries = self._queries(searches)
            vectors = [self.embeddings.embed_query(q) for q in queries]
            self._finish_searches(
                searches, dict(zip(queries, vectors, strict=True)), results
            )
        pending = self._pending_texts(puts)
        if pending:
            embedded = self.embeddings.embed_documents([t for *_, t in pending])
            self._apply(puts, pending, embedded)
        else:
            self._apply(puts, [], [])
        return results

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Async ``batch``; embeddings use the model's async methods."""
        import asyncio  # imported by whoever runs this coroutine already

        results, puts, searches = self._read(ops)
        if searches:
            queries = self._queries(searches)
            found = await asyncio.gather(
                *(self.embeddings.aembed_query(q) for q in queries)
            )
            self._finish_searches(
                searches, dict(zip(queries, found, strict=True)), results
            )
        pending = self._pending_texts(puts)
        embedded: list[list[float]] = []
        if pending:
            embedded = await self.embeddings.aembed_documents([t for *_, t in pending])
        self._apply(puts, pending, embedded)
        return results

    # -- direct paths ------------------------------------------------------------
    # Single operations skip the batch machinery; they behave exactly as a
    # one-op batch (the dict operations are the same), only faster.

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Return the item at ``namespace``/``key``, or ``None``."""
        try:
            items = self._data.get(namespace)
        except TypeError:  # unhashable: report a bad label first, as batch would
            validate_namespace_labels(namespace)
            raise
        if items is None:
            # Namespaces in _data were validated when first written.
            validate_namespace_labels(namespace)
            return None
        return items.get(key if type(key) is str else str(key))

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Async ``get``."""
        return self.get(namespace, key)

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Store ``value`` at ``namespace``/``key`` (see ``BaseStore.put``)."""
        if self.embeddings is not None or (ttl is not NOT_PROVIDED and ttl is not None):
            # The general path: embeddings, or the TTL error after validation.
            self.batch([self._put_op(namespace, key, value, index, ttl)])
            return
        if type(key) is not str:
            key = str(key)
        try:
            items = self._data[namespace]  # cheaper than .get() when found
        except KeyError:
            # Namespaces already in _data were validated when first written.
            validate_namespace(namespace)
            items = self._data[namespace] = {}
        except TypeError:  # unhashable: report a bad label first, as batch would
            validate_namespace(namespace)
            raise
        # make_item inlined, with the clock bound: this is the hot path.
        item = _new_item(Item)
        item.namespace = namespace
        item.key = key
        # A shallow copy, as LangGraph's (dict.copy clones the hash table).
        item.value = value.copy() if type(value) is dict else dict(value)
        item._updated = item._created = _clock()
        old = items.setdefault(key, item)  # one lookup for a new key
        if old is not item:
            item._created = old._created
            items[key] = item

    # -- reads -------------------------------------------------------------------

    def _read(
        self, ops: Iterable[Op]
    ) -> tuple[
        list[Result], dict[tuple[tuple[str, ...], str], PutOp], dict[int, SearchOp]
    ]:
        results: list[Result] = []
        puts: dict[tuple[tuple[str, ...], str], PutOp] = {}
        searches: dict[int, SearchOp] = {}
        for i, op in enumerate(ops):
            if isinstance(op, GetOp):
                items = self._data.get(op.namespace)
                results.append(items.get(op.key) if items else None)
            elif isinstance(op, SearchOp):
                check_filter(op.filter)
                searches[i] = op
                results.append(None)
            elif isinstance(op, ListNamespacesOp):
                names = (ns for ns, items in self._data.items() if items)
                results.append(list_namespaces(names, op, as_text=False))
            elif isinstance(op, PutOp):
                puts[(op.namespace, op.key)] = op
                results.append(None)
            else:
                raise ValueError(f"Unknown operation type: {type(op)}")
        for i, op in searches.items():
            results[i] = self._candidates(op)
        return results, puts, searches

    # -- writes ------------------------------------------------------------------

    def _pending_texts(
        self, puts: dict[tuple[tuple[str, ...], str], PutOp]
    ) -> list[tuple[tuple[str, ...], str, str, str]]:
        if not (puts and self.index_config and self.embeddings):
            return []
        fields = self.index_config["__tokenized_fields"]
        return [
            (op.namespace, op.key, name, text)
            for op in puts.values()
            for name, text in texts_to_embed(op, fields)
        ]

    def _apply(
        self,
        puts: dict[tuple[tuple[str, ...], str], PutOp],
        pending: list[tuple[tuple[str, ...], str, str, str]],
        embedded: Sequence[list[float]],
    ) -> None:
        if len(pending) != len(embedded):
            raise ValueError(
                f"Number of embeddings ({len(embedded)}) does not match number of "
                f"texts to embed ({len(pending)})"
            )
        if not puts:
            return
        now = _clock()
        for (namespace, key), op in puts.items():
            self._write(namespace, key, op.value, now)
        for (namespace, key, name, _), vector in zip(pending, embedded, strict=True):
            self._vectors.setdefault(namespace, {}).setdefault(key, {})[name] = vector

    def _write(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any] | None,
        now: int,
    ) -> None:
        items = self._data.get(namespace)
        vectors = self._vectors.get(namespace)
        if vectors is not None:
            vectors.pop(key, None)
        if value is None:
            if items is not None:
                items.pop(key, None)
            return
        if items is None:
            items = self._data[namespace] = {}
        old = items.get(key)
        created = old._created if old is not None else now
        items[key] = make_item(namespace, key, dict(value), created, now)
