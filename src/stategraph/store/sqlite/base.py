"""Sync SQLite store, its base class and settings, under LangGraph's import path.

The store records and helpers LangGraph's module re-imports are importable
from here too. ``MIGRATIONS`` and ``VECTOR_MIGRATIONS`` are the statements
``setup()`` runs for the ``store`` and ``store_vectors`` tables (LangGraph's
tables).
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

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
from stategraph.store.sqlite._base import (
    MIGRATIONS as MIGRATIONS,
    NS_MATCH_FUNCTION as NS_MATCH_FUNCTION,
    VECTOR_MIGRATIONS as VECTOR_MIGRATIONS,
    BaseSqliteStore as BaseSqliteStore,
    SqliteIndexConfig as SqliteIndexConfig,
    escape_glob_literal as _escape_glob_literal,  # noqa: F401  # LangGraph's
)
from stategraph.store.sqlite._sync import SqliteStore as SqliteStore

__all__ = (
    "MIGRATIONS",
    "NS_MATCH_FUNCTION",
    "VECTOR_MIGRATIONS",
    "BaseSqliteStore",
    "PreparedGetQuery",
    "SqliteIndexConfig",
    "SqliteStore",
)


class PreparedGetQuery(NamedTuple):
    """One prepared read of a batch, as LangGraph's SQLite store plans them.

    Attributes:
        query: The SQL to run.
        params: Its parameters.
        namespace: The namespace the read is for.
        items: The ``(index, op)`` entries of the batch it answers.
        kind: ``"get"`` to read the items, ``"refresh"`` to extend their TTL.
    """

    query: str
    params: tuple[Any, ...]
    namespace: tuple[str, ...]
    items: list[Any]
    kind: Literal["get", "refresh"]
