"""``RedisCache``: node-result cache kept in Redis, under LangGraph's import path.

``from stategraph.cache.redis import RedisCache`` works like LangGraph's:
``RedisCache(client, prefix="langgraph:cache:", serde=...)`` with
``get``/``set``/``clear`` and async twins. Entries use LangGraph's layout, so
the two libraries can share a cache:

* key ``<prefix><ns part>:<ns part>:...:<key>`` (``<prefix><key>`` for the
  empty namespace);
* value ``<type tag>:<payload>`` as made by the serializer's ``dumps_typed``;
* time to live set as a Redis expiry, so Redis itself drops stale entries.

Where the two differ, stategraph is stricter:

* ``%`` and ``:`` inside namespace parts and keys are written as ``%25`` and
  ``%3A``, so ``(("a", "b"), "c")`` and ``(("a",), "b:c")`` stay distinct
  (LangGraph maps both to ``a:b:c``). Parts without those characters give the
  same Redis key as LangGraph.
* Values are loaded with the safe ``JsonPlusSerializer`` by default; an entry
  that cannot be loaded (no type tag, ``pickle``, unknown tag, corrupt or
  unregistered payload) raises ``DeserializationError`` naming the Redis key,
  instead of being skipped silently. Nothing in it is ever executed.
* ``clear(namespaces)`` deletes exactly those namespaces, like the other
  caches; LangGraph's also deletes the namespaces nested below them (and
  ``clear([()])`` deletes everything there). Keys are found with ``SCAN``,
  not the blocking ``KEYS``, and glob characters in the prefix or namespace
  are escaped.
* A ``ttl`` of zero or less stores nothing and deletes the old entry (it
  expires at once, as in ``InMemoryCache``); LangGraph's Redis rejects it.

Failures of Redis itself (``redis.exceptions.RedisError``: connection
refused, timeouts) follow LangGraph where that is safe: ``get`` reports a
miss and ``set`` stores nothing, both logged as warnings on the
``"stategraph"`` logger, so an outage costs recomputation, not the run.
``clear`` raises instead, since a silently failed clear would later serve
results the caller asked to drop.

Async clients (``redis.asyncio.Redis`` and compatible) are awaited by
``aget``/``aset``/``aclear``; their sync twins then raise ``TypeError``. With
a sync client the async methods run the sync ones in a worker thread, so
they never block the event loop (LangGraph calls them inline).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from redis.exceptions import RedisError

from stategraph.cache.base import BaseCache, FullKey, Namespace, ValueT
from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.serde.jsonplus import DeserializationError

__all__ = ("RedisCache",)

logger = logging.getLogger("stategraph")

_SEP = ":"
_DELETE_BATCH = 500
_SCAN_COUNT = 1000
_GLOB_SPECIAL = re.compile(r"([\\*?\[\]])")


def _quote(part: str) -> str:
    """Make ``part`` free of the separator (``%`` first, so it round-trips)."""
    return part.replace("%", "%25").replace(_SEP, "%3A")


def _glob_escape(text: str) -> str:
    """Escape the characters Redis ``MATCH`` patterns treat specially."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def _is_async_client(client: Any) -> bool:
    return inspect.iscoroutinefunction(getattr(client, "execute_command", None))


def _check_binary(client: Any) -> None:
    get_encoder = getattr(client, "get_encoder", None)
    if get_encoder is not None and getattr(get_encoder(), "decode_responses", False):
        raise ValueError(
            "RedisCache needs a client created with decode_responses=False: "
            "cached values are binary"
        )


def _batches(names: Sequence[bytes]) -> Iterable[Sequence[bytes]]:
    for start in range(0, len(names), _DELETE_BATCH):
        yield names[start : start + _DELETE_BATCH]


class RedisCache(BaseCache[ValueT]):
    """Cache of node results in Redis, with expiry done by Redis.

    Args:
        redis: A ``redis.Redis`` or ``redis.asyncio.Redis`` client (or one with
            the same API) created with ``decode_responses=False``.
        serde: Serializer of cached values; defaults to ``JsonPlusSerializer``,
            which never unpickles.
        prefix: Start of every Redis key this cache writes; ``clear()``
            deletes every key starting with it, so give each cache its own.

    Raises:
        ValueError: When the client decodes responses to ``str``.

    Example:
        >>> import redis
        >>> cache = RedisCache(redis.Redis(), prefix="myapp:cache:")  # doctest: +SKIP
        >>> cache.set({(("node",), "k"): ({"answer": 42}, 60)})  # doctest: +SKIP
        >>> cache.get([(("node",), "k")])  # doctest: +SKIP
        {(('node',), 'k'): {'answer': 42}}
    """

    def __init__(
        self,
        redis: Any,
        *,
        serde: SerializerProtocol | None = None,
        prefix: str = "langgraph:cache:",
    ) -> None:
        super().__init__(serde=serde)
        _check_binary(redis)
        self.redis = redis
        self.prefix = prefix
        self._async = _is_async_client(redis)

    # -- keys and values -------------------------------------------------------

    def _ns_prefix(self, ns: Namespace) -> str:
        return self.prefix + "".join(_quote(part) + _SEP for part in ns)

    def _name(self, ns: Namespace, key: str) -> str:
        return self._ns_prefix(ns) + _quote(key)

    # LangGraph's name for the Redis key of an entry (tests write keys with it)
    _make_key = _name

    def _encode(self, value: ValueT) -> bytes:
        tag, payload = self.serde.dumps_typed(value)
        if _SEP in tag:
            raise ValueError(f"serializer type tag {tag!r} must not contain {_SEP!r}")
        return tag.encode() + _SEP.encode() + payload

    def _load(self, name: str, raw: bytes) -> ValueT:
        tag, sep, payload = raw.partition(_SEP.encode())
        if not sep or not tag.isascii():
            raise DeserializationError(
                f"cache entry {name!r} is not a '<type tag>:<payload>' value"
            )
        try:
            value: ValueT = self.serde.loads_typed((tag.decode(), payload))
        except DeserializationError as exc:
            raise DeserializationError(f"cache entry {name!r}: {exc}") from exc
        return value

    def _found(
        self, keys: Sequence[FullKey], names: Sequence[str], raw: Sequence[Any]
    ) -> dict[FullKey, ValueT]:
        found: dict[FullKey, ValueT] = {}
        for (ns, key), name, value in zip(keys, names, raw, strict=True):
            if value is not None:
                found[(tuple(ns), key)] = self._load(name, value)
        return found

    def _stage(
        self, pipe: Any, pairs: Mapping[FullKey, tuple[ValueT, int | None]]
    ) -> None:
        """Queue one ``SET`` (or ``DEL`` for an expired ttl) per entry on ``pipe``."""
        staged = [
            (self._name(tuple(ns), key), self._encode(value), ttl)
            for (ns, key), (value, ttl) in pairs.items()
        ]  # serialize everything first: a bad value stores nothing
        for name, data, ttl in staged:
            if ttl is None:
                pipe.set(name, data)
            elif ttl > 0:
                pipe.set(name, data, px=max(1, math.ceil(ttl * 1000)))
            else:
                pipe.delete(name)

    def _patterns(
        self, namespaces: Sequence[Namespace] | None
    ) -> list[tuple[str, bytes | None]]:
        """``(MATCH pattern, exact namespace prefix or None for any)`` pairs."""
        if namespaces is None:
            return [(_glob_escape(self.prefix) + "*", None)]
        patterns: list[tuple[str, bytes | None]] = []
        for ns in namespaces:
            start = self._ns_prefix(tuple(ns))
            patterns.append((_glob_escape(start) + "*", start.encode()))
        return patterns

    @staticmethod
    def _in_namespace(name: bytes, start: bytes | None) -> bool:
        # Keys are quoted, so a separator after ``start`` means a nested namespace.
        return start is None or _SEP.encode() not in name[len(start) :]

    def _require_sync(self, method: str) -> None:
        if self._async:
            raise TypeError(
                f"RedisCache.{method}() needs a sync Redis client; this one is "
                f"async, so use a{method}() instead"
            )

    # -- sync ------------------------------------------------------------------

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Return the live cached values of ``keys`` (missing keys are left out).

        Args:
            keys: ``(namespace, key)`` pairs.

        Returns:
            The values found; an unreachable Redis counts as all misses.

        Raises:
            DeserializationError: When a stored entry cannot be loaded safely.
            TypeError: When the client is async.
        """
        self._require_sync("get")
        if not keys:
            return {}
        names = [self._name(tuple(ns), key) for ns, key in keys]
        try:
            raw = self.redis.mget(names)
        except RedisError:
            logger.warning("RedisCache.get failed; treated as a miss", exc_info=True)
            return {}
        return self._found(keys, names, raw)

    def set(self, mapping: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Store values with their time to live in seconds (``None``: forever).

        Args:
            mapping: ``{(namespace, key): (value, ttl)}``.

        Raises:
            UnserializableValueError: When a value cannot be serialized
                (nothing is stored then).
            TypeError: When the client is async.
        """
        self._require_sync("set")
        if not mapping:
            return
        pipe = self.redis.pipeline(transaction=False)
        self._stage(pipe, mapping)
        try:
            pipe.execute()
        except RedisError:
            logger.warning("RedisCache.set failed; nothing cached", exc_info=True)

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces``, or every entry when ``None``.

        Args:
            namespaces: Exact namespaces to drop (nested ones are kept);
                ``None`` drops every key under the prefix.

        Raises:
            redis.exceptions.RedisError: When Redis cannot be reached.
            TypeError: When the client is async.
        """
        self._require_sync("clear")
        for pattern, start in self._patterns(namespaces):
            names = [
                name
                for name in self.redis.scan_iter(match=pattern, count=_SCAN_COUNT)
                if self._in_namespace(name, start)
            ]
            for batch in _batches(names):
                self.redis.delete(*batch)

    # -- async -----------------------------------------------------------------

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Async ``get``: awaits an async client, else runs ``get`` in a thread."""
        if not self._async:
            return await asyncio.to_thread(self.get, keys)
        if not keys:
            return {}
        names = [self._name(tuple(ns), key) for ns, key in keys]
        try:
            raw = await self.redis.mget(names)
        except RedisError:
            logger.warning("RedisCache.aget failed; treated as a miss", exc_info=True)
            return {}
        return self._found(keys, names, raw)

    async def aset(self, mapping: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Async ``set``: awaits an async client, else runs ``set`` in a thread."""
        if not self._async:
            await asyncio.to_thread(self.set, mapping)
            return
        if not mapping:
            return
        pipe = self.redis.pipeline(transaction=False)
        self._stage(pipe, mapping)
        try:
            await pipe.execute()
        except RedisError:
            logger.warning("RedisCache.aset failed; nothing cached", exc_info=True)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Async ``clear``: awaits an async client, else runs ``clear`` in a thread."""
        if not self._async:
            await asyncio.to_thread(self.clear, namespaces)
            return
        for pattern, start in self._patterns(namespaces):
            names = [
                name
                async for name in self.redis.scan_iter(match=pattern, count=_SCAN_COUNT)
                if self._in_namespace(name, start)
            ]
            for batch in _batches(names):
                await self.redis.delete(*batch)
