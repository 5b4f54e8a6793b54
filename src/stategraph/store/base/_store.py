"""``BaseStore``: the store contract, with ``batch``/``abatch`` as its narrow waist.

Every convenience method validates its arguments, builds one operation and
runs it through ``batch`` (or ``abatch``); backends implement only those two.
Argument checks live in ``_args``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

from stategraph.store.base._args import (
    ensure_refresh,
    ensure_ttl,
    list_namespaces_op,
    validate_namespace,
    validate_namespace_labels,
)
from stategraph.store.base._records import (
    NOT_PROVIDED,
    GetOp,
    Item,
    NamespacePath,
    NotProvided,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
)


class BaseStore(ABC):
    """Persistent key-value store of JSON documents, organised by namespace.

    Subclasses implement ``batch`` and ``abatch``; ``get``, ``search``,
    ``put``, ``delete`` and ``list_namespaces`` (and their ``a``-prefixed
    async twins) are built on them. Within one batch, reads see the store as
    it was before the batch's writes, and of several puts to one key the
    last wins.

    Attributes:
        supports_ttl: Whether ``put(..., ttl=...)`` is accepted.
        ttl_config: The store's TTL settings, if any.
    """

    supports_ttl: bool = False
    ttl_config: TTLConfig | None = None
    # Whether reads refresh TTLs when neither they nor ``ttl_config`` say.
    _refresh_on_read_default: bool = True

    __slots__ = ("__weakref__",)

    @abstractmethod
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run operations in one go and return their results in order.

        Args:
            ops: ``GetOp``, ``SearchOp``, ``PutOp`` or ``ListNamespacesOp``.

        Returns:
            One result per operation (``None`` for puts).
        """

    @abstractmethod
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run operations in one go and return their results in order (async)."""

    def _put_op(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None,
        ttl: float | NotProvided | None,
    ) -> PutOp:
        validate_namespace(namespace)
        self._check_ttl(ttl)
        return PutOp(
            namespace, str(key), value, index, ensure_ttl(self.ttl_config, ttl)
        )

    def _check_ttl(self, ttl: float | NotProvided | None) -> None:
        if ttl is not NOT_PROVIDED and ttl is not None and not self.supports_ttl:
            raise NotImplementedError(
                f"TTL is not supported by {type(self).__name__}. Use a store "
                "implementation that supports TTL or set ttl=None."
            )

    def _search_op(
        self,
        namespace_prefix: tuple[str, ...],
        query: str | None,
        filter: dict[str, Any] | None,
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> SearchOp:
        validate_namespace_labels(namespace_prefix)
        refresh = ensure_refresh(
            self.ttl_config, refresh_ttl, self._refresh_on_read_default
        )
        return SearchOp(namespace_prefix, filter, limit, offset, query, refresh)

    def _get_op(
        self, namespace: tuple[str, ...], key: str, refresh_ttl: bool | None
    ) -> GetOp:
        validate_namespace_labels(namespace)
        refresh = ensure_refresh(
            self.ttl_config, refresh_ttl, self._refresh_on_read_default
        )
        return GetOp(namespace, str(key), refresh)

    def get(
        self,
        namespace: tuple[str, ...],
        key: str,
        *,
        refresh_ttl: bool | None = None,
    ) -> Item | None:
        """Return the item at ``namespace``/``key``, or ``None``.

        Args:
            namespace: The item's namespace.
            key: The item's key.
            refresh_ttl: Restart the item's TTL clock (default: the store's
                ``refresh_on_read`` setting).

        Raises:
            InvalidNamespaceError: If a namespace label is invalid.
        """
        return cast(
            "Item | None", self.batch([self._get_op(namespace, key, refresh_ttl)])[0]
        )

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
        """Return items under ``namespace_prefix``, filtered and ranked.

        Args:
            namespace_prefix: Only items whose namespace starts with this.
            query: Rank by vector similarity to this text (indexed stores).
            filter: Exact matches or ``$eq/$ne/$gt/$gte/$lt/$lte`` comparisons
                on top-level fields of the value.
            limit: Maximum number of items.
            offset: Matching items skipped first.
            refresh_ttl: Restart the TTL clock of returned items.

        Raises:
            InvalidNamespaceError: If a namespace label is invalid.
            ValueError: If the filter uses an unsupported operator.
        """
        op = self._search_op(
            namespace_prefix, query, filter, limit, offset, refresh_ttl
        )
        return cast("list[SearchItem]", self.batch([op])[0])

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Store ``value`` at ``namespace``/``key``, replacing any previous one.

        Args:
            namespace: The item's namespace (non-empty, not under "langgraph").
            key: The item's key.
            value: The JSON-serialisable dictionary to store.
            index: Fields to embed (``None``: the store's; ``False``: none).
            ttl: Minutes until the item expires (default: the store's
                ``default_ttl``; ``None``: never).

        Raises:
            InvalidNamespaceError: If the namespace is invalid.
            NotImplementedError: If a TTL is given to a store without TTLs.
        """
        self.batch([self._put_op(namespace, key, value, index, ttl)])

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete the item at ``namespace``/``key`` (no error if absent).

        Raises:
            InvalidNamespaceError: If a namespace label is invalid.
        """
        validate_namespace_labels(namespace)
        self.batch([PutOp(namespace, str(key), None, ttl=None)])

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """List the namespaces holding items, sorted.

        Args:
            prefix: Keep namespaces starting with this (``"*"`` matches any label).
            suffix: Keep namespaces ending with this.
            max_depth: Truncate namespaces to this many labels, deduplicated.
            limit: Maximum number of namespaces.
            offset: Namespaces skipped first.

        Raises:
            InvalidNamespaceError: If a pattern label is invalid.
        """
        op = list_namespaces_op(prefix, suffix, max_depth, limit, offset)
        return cast("list[tuple[str, ...]]", self.batch([op])[0])

    async def aget(
        self,
        namespace: tuple[str, ...],
        key: str,
        *,
        refresh_ttl: bool | None = None,
    ) -> Item | None:
        """Async ``get``."""
        op = self._get_op(namespace, key, refresh_ttl)
        return cast("Item | None", (await self.abatch([op]))[0])

    async def asearch(
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
        """Async ``search``."""
        op = self._search_op(
            namespace_prefix, query, filter, limit, offset, refresh_ttl
        )
        return cast("list[SearchItem]", (await self.abatch([op]))[0])

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Async ``put``."""
        await self.abatch([self._put_op(namespace, key, value, index, ttl)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Async ``delete``."""
        validate_namespace_labels(namespace)
        await self.abatch([PutOp(namespace, str(key), None)])

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Async ``list_namespaces``."""
        op = list_namespaces_op(prefix, suffix, max_depth, limit, offset)
        return cast("list[tuple[str, ...]]", (await self.abatch([op]))[0])


class SyncOnlyStore(BaseStore):
    """Base of stores with a sync API only: ``abatch`` points to the async twin."""

    _ASYNC_TWIN = "the store's async class"

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Not supported.

        Raises:
            NotImplementedError: Always, naming the async class to use.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not support async methods. "
            f"Consider using {self._ASYNC_TWIN} instead."
        )


class ThreadedStore(BaseStore):
    """Base of sync stores whose async API runs ``batch`` in the default executor."""

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``batch`` in a worker thread and await its results."""
        import asyncio  # only async callers need it; keep importing the base light

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.batch, list(ops))
