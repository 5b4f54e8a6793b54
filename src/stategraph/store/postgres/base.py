"""Sync PostgreSQL store, its base class and settings, under LangGraph's import path.

The store records and helpers LangGraph's module re-imports are importable
from here too. ``MIGRATIONS`` are the statements ``setup()`` runs for the
``store`` table (the tables are LangGraph's). LangGraph's ``VECTOR_MIGRATIONS``
(``Migration`` records computed from its index settings) and
``get_distance_operator`` (fragments of its own search query) have no
counterpart: ``setup()`` creates the vector table for pgvector or, without it,
for the exact ``real[]`` fallback, and searches with its own SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from stategraph.store._match import (
    namespace_match_pattern as _namespace_match_pattern,  # noqa: F401  # LangGraph's
)
from stategraph.store.base._args import validate_op_namespace as validate_op_namespace
from stategraph.store.base._embed import (
    ensure_embeddings as ensure_embeddings,
    get_text_at_path as get_text_at_path,
    tokenize_path as tokenize_path,
)
from stategraph.store.base._records import (
    GetOp as GetOp,
    IndexConfig as IndexConfig,
    Item as Item,
    ListNamespacesOp as ListNamespacesOp,
    PutOp as PutOp,
    SearchItem as SearchItem,
    SearchOp as SearchOp,
    TTLConfig as TTLConfig,
)
from stategraph.store.base._store import BaseStore as BaseStore
from stategraph.store.postgres._base import (
    MIGRATIONS as MIGRATIONS,
    ANNIndexConfig as ANNIndexConfig,
    BasePostgresStore as BasePostgresStore,
    C as C,
    HNSWConfig as HNSWConfig,
    IVFFlatConfig as IVFFlatConfig,
    PoolConfig as PoolConfig,
    PostgresIndexConfig as PostgresIndexConfig,
    Row as Row,
    _escape_like as _escape_like_literal,  # noqa: F401  # LangGraph's private name
)
from stategraph.store.postgres._sync import PostgresStore as PostgresStore

__all__ = (
    "MIGRATIONS",
    "ANNIndexConfig",
    "BasePostgresStore",
    "Migration",
    "Row",
    "HNSWConfig",
    "IVFFlatConfig",
    "PoolConfig",
    "PostgresIndexConfig",
    "PostgresStore",
)


class Migration(NamedTuple):
    """A schema migration of LangGraph's PostgreSQL store, as a record.

    Attributes:
        sql: The statement, with ``%(name)s`` placeholders.
        params: Name -> function of the store giving the placeholder's text.
        condition: Function of the store saying whether to run it at all.
    """

    sql: str
    params: dict[str, Any] | None = None
    condition: Callable[[BasePostgresStore[Any]], bool] | None = None
