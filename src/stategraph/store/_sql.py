"""Shared pieces of the SQL stores: statements, dialects and settings.

A ``Plan`` is a generator of ``Query`` effects (one statement each, answered
with its rows); the plans themselves are in ``_plans``. Backends supply a
``Dialect`` (SQL text, parameter encoding, row decoding) and a small sync or
async driver; nothing here touches a connection or an embedding model.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

from stategraph.store.base._embed import ensure_embeddings, tokenized_fields
from stategraph.store.base._records import IndexConfig, TTLConfig

T = TypeVar("T")


class Query(NamedTuple):
    """Run one statement; the plan is sent its rows (``[]`` for ``many``).

    A named tuple rather than a dataclass: plans build one per statement,
    and a tuple is the cheapest record to build.
    """

    sql: str
    params: Sequence[Any] = ()
    many: bool = False


Plan = Generator[Query, Any, T]


class Dialect(ABC):
    """What a SQL backend supplies to the shared plan: SQL text and codecs."""

    P: str
    """The parameter placeholder (``?`` or ``%s``)."""
    VALUE: str = "s.value"
    """The selected value column (PostgreSQL reads it as text, parsed here)."""
    VEC: str
    """The placeholder of a stored embedding (with any cast it needs)."""
    ann: bool = False
    """Vector searches order by ``ann_distance()`` so an ANN index can answer."""
    merges_compounds: bool = False
    """An ordered ``UNION ALL`` with one ``LIMIT`` reads each arm lazily in
    index order (SQLite), rather than needing a ``LIMIT`` per arm."""

    @abstractmethod
    def prefix_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        """SQL matching ``s.prefix`` of namespaces under ``prefix`` (non-empty)."""

    @abstractmethod
    def descendants_condition(self, prefix: tuple[str, ...]) -> tuple[str, list[Any]]:
        """SQL matching ``s.prefix`` of namespaces strictly below ``prefix``."""

    @abstractmethod
    def filter_condition(
        self, key: str, op: str, value: Any
    ) -> tuple[str, list[Any]] | None:
        """SQL for one top-level comparison on ``s.value``, or ``None`` if inexact."""

    def field(self, value: dict[str, Any], key: str) -> Any:
        """The field a filter key names, for conditions checked in Python."""
        return value.get(key)

    @abstractmethod
    def similarity(self) -> str:
        """SQL scoring ``sv.embedding`` against one query-vector parameter."""

    def ann_distance(self) -> str:
        """SQL distance of ``sv.embedding`` to the query vector (if ``ann``)."""
        raise NotImplementedError("this dialect has no ANN index")

    def ann_settings(self) -> str | None:
        """SQL run before an ANN query, in its transaction (if ``ann``; or none)."""
        return None

    def ann_score(self, distance: float) -> float:
        """The score of an ``ann_distance`` value (if ``ann``)."""
        raise NotImplementedError("this dialect has no ANN index")

    @abstractmethod
    def encode_value(self, value: dict[str, Any]) -> Any:
        """Parameter for a value to store."""

    @abstractmethod
    def decode_value(self, raw: Any) -> dict[str, Any]:
        """A stored value from its column."""

    def value_decoder(self) -> Callable[[Any], dict[str, Any]]:
        """``decode_value`` as the plainest callable, for per-row loops."""
        return self.decode_value

    @abstractmethod
    def encode_time(self, moment: datetime) -> Any:
        """Parameter for a timestamp."""

    @abstractmethod
    def decode_time(self, raw: Any) -> datetime:
        """An aware timestamp from its column."""

    @abstractmethod
    def encode_vector(self, vector: Sequence[float]) -> Any:
        """Parameter for an embedding (stored or queried)."""


@dataclass(frozen=True)
class StoreSettings:
    """The per-store options the plan needs."""

    dialect: Dialect
    ttl: TTLConfig | None
    fields: list[tuple[str, Any]] | None
    """Tokenized index fields; ``None`` when the store has no vector index."""

    @property
    def omit_expired(self) -> bool:
        """Whether reads skip expired, not yet swept items."""
        return bool(self.ttl and self.ttl.get("omit_expired"))

    @functools.cached_property
    def get_sql(self) -> str:
        """The statement of a lone ``get`` (built once per store; no key column)."""
        d = self.dialect
        expiry = (
            f" AND (s.expires_at IS NULL OR s.expires_at > {d.P})"
            if self.omit_expired
            else ""
        )
        return (
            f"SELECT {d.VALUE}, s.created_at, s.updated_at, s.ttl_minutes"
            f" FROM store s WHERE s.prefix = {d.P} AND s.key = {d.P}{expiry}"
        )


def store_settings(
    dialect: Dialect, index: IndexConfig | None, ttl: TTLConfig | None
) -> tuple[StoreSettings, Any, dict[str, Any] | None]:
    """Build the plan settings, the embeddings object and the stored index config."""
    if not index:
        return StoreSettings(dialect, ttl, None), None, None
    config: dict[str, Any] = dict(index)
    fields = tokenized_fields(index.get("fields"))
    config["__tokenized_fields"] = fields
    return (
        StoreSettings(dialect, ttl, fields),
        ensure_embeddings(index.get("embed")),
        config,
    )


class SqlStoreMixin:
    """Configuration shared by the four SQL store classes."""

    supports_ttl = True
    ttl_config: TTLConfig | None
    index_config: dict[str, Any] | None
    embeddings: Any
    _cfg: StoreSettings

    def _configure(
        self, dialect: Dialect, index: IndexConfig | None, ttl: TTLConfig | None
    ) -> None:
        self.ttl_config = ttl
        self._cfg, self.embeddings, self.index_config = store_settings(
            dialect, index, ttl
        )

    def _now(self) -> datetime:
        # The store's clock for timestamps and TTLs (tests replace it).
        return datetime.now(timezone.utc)
