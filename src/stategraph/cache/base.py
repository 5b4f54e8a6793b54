"""``BaseCache``: the interface of node-result caches, keyed by namespace and key.

A full key is ``(namespace, key)`` where the namespace is a tuple of strings
(the engine uses the node's path) and the key a string derived from the
node's input. Values are stored with a time to live in seconds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Generic, TypeVar

from stategraph.checkpoint.serde.base import SerializerProtocol
from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = ("BaseCache", "FullKey", "Namespace", "ValueT")

ValueT = TypeVar("ValueT")
Namespace = tuple[str, ...]
FullKey = tuple[Namespace, str]


class BaseCache(ABC, Generic[ValueT]):
    """Base class of caches of node results.

    Args:
        serde: Serializer of cached values; defaults to a shared
            ``JsonPlusSerializer``.

    Attributes:
        serde: The serializer in use.
    """

    serde: SerializerProtocol = JsonPlusSerializer()

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        self.serde = serde or self.serde

    @abstractmethod
    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Return the live cached values of ``keys`` (missing keys are left out)."""

    @abstractmethod
    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Async ``get``."""

    @abstractmethod
    def set(self, pairs: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Store values with their time to live in seconds (``None``: forever)."""

    @abstractmethod
    async def aset(self, pairs: Mapping[FullKey, tuple[ValueT, int | None]]) -> None:
        """Async ``set``."""

    @abstractmethod
    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces``, or every entry when ``None``."""

    @abstractmethod
    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Async ``clear``."""
