"""The store contract and its records, under LangGraph's import path.

``from stategraph.store.base import BaseStore, Item, PutOp`` works like the
same import from ``langgraph.store.base``. ``Embeddings`` (langchain's class,
listed by LangGraph here) is imported from langchain-core on first access.
"""

from __future__ import annotations

from typing import Any

from stategraph.errors import InvalidNamespaceError as InvalidNamespaceError
from stategraph.store.base._args import (  # noqa: F401
    ensure_refresh as _ensure_refresh,
    ensure_ttl as _ensure_ttl,
    validate_namespace as _validate_namespace,
    validate_namespace_labels as _validate_namespace_labels,
    validate_op_namespace as validate_op_namespace,
)
from stategraph.store.base._embed import (
    AEmbeddingsFunc as AEmbeddingsFunc,
    EmbeddingsFunc as EmbeddingsFunc,
    ensure_embeddings as ensure_embeddings,
    get_text_at_path as get_text_at_path,
    tokenize_path as tokenize_path,
)
from stategraph.store.base._records import (
    NOT_PROVIDED as NOT_PROVIDED,
    GetOp as GetOp,
    IndexConfig as IndexConfig,
    Item as Item,
    ListNamespacesOp as ListNamespacesOp,
    MatchCondition as MatchCondition,
    NamespaceMatchType as NamespaceMatchType,
    NamespacePath as NamespacePath,
    NotProvided as NotProvided,
    Op as Op,
    PutOp as PutOp,
    Result as Result,
    SearchItem as SearchItem,
    SearchOp as SearchOp,
    TTLConfig as TTLConfig,
)

# LangGraph's private helpers, which ported store subclasses import from here.
from stategraph.store.base._store import (
    BaseStore as BaseStore,
)

__all__ = (
    "BaseStore",
    "Embeddings",
    "GetOp",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NamespaceMatchType",
    "NamespacePath",
    "Op",
    "PutOp",
    "SearchOp",
    "ensure_embeddings",
    "get_text_at_path",
    "tokenize_path",
    "validate_op_namespace",
)


def __getattr__(name: str) -> Any:
    # langchain-core is optional: only this name needs it.
    if name == "Embeddings":
        from langchain_core.embeddings import Embeddings

        return Embeddings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
