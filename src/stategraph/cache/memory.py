"""``InMemoryCache``: a dict of serialized node results with expiry times.

Entries are serialized with the cache's serializer, so a cached value handed
back twice is two independent copies. Expired entries are dropped when read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

from stategraph.cache.base import BaseCache, FullKey, Namespace, ValueT
from stategraph.checkpoint import _fork
from stategraph.checkpoint.serde.base import SerializerProtocol

__all__ = ("InMemoryCache",)


class InMemoryCache(BaseCache[ValueT]):
    """Cache kept in process memory, safe to share between threads.

    Args:
        serde: Serializer of cached values.

    Example:
        >>> cache = InMemoryCache()
        >>> cache.set({(("node",), "k"): ({"answer": 42}, 60)})
        >>> cache.get([(("node",), "k")])
        {(('node',), 'k'): {'answer': 42}}
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self._cache: dict[Namespace, dict[str, tuple[str, bytes, float | None]]] = {}
        self._lock = threading.RLock()
        _fork.track(self)

    def _after_fork_in_child(self) -> None:
        # A thread of the parent may have held the lock at the fork.
        self._lock = _fork.renew(self._lock)

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Return the live values of ``keys``; expired entries are deleted."""
        if not keys:
            return {}
        now = time.time()
        found: dict[FullKey, ValueT] = {}
        with self._lock:
            for ns, key in keys:
                namespace = tuple(ns)
                entries = self._cache.get(namespace)
                entry = entries.get(key) if entries else None
                if entry is None:
                    continue
                tag, data, expiry = entry
                if expiry is None or now < expiry:
                    found[(namespace, key)] = self.serde.loads_typed((tag, data))
                elif entries is not None:
                    del entries[key]
        return found

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Async ``get``."""
        return self.get(keys)

    def set(self, keys: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Store values; a ``ttl`` of ``None`` never expires."""
        now = time.time()
        staged = []
        for (ns, key), (value, ttl) in keys.items():
            expiry = None if ttl is None else now + ttl
            staged.append((ns, key, (*self.serde.dumps_typed(value), expiry)))
        with self._lock:
            for ns, key, entry in staged:
                self._cache.setdefault(ns, {})[key] = entry

    async def aset(self, keys: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Async ``set``."""
        self.set(keys)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces``, or all entries when ``None``."""
        with self._lock:
            if namespaces is None:
                self._cache.clear()
                return
            for ns in namespaces:
                self._cache.pop(ns, None)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Async ``clear``."""
        self.clear(namespaces)
