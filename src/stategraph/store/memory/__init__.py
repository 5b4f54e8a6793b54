"""In-memory store, under LangGraph's import path.

``from stategraph.store.memory import InMemoryStore`` works like
``from langgraph.store.memory import InMemoryStore``; the records and embedding
helpers LangGraph's module re-imports are importable from here too.
"""

from __future__ import annotations

from stategraph.store._memory import InMemoryStore as InMemoryStore
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
    MatchCondition as MatchCondition,
    PutOp as PutOp,
    SearchItem as SearchItem,
    SearchOp as SearchOp,
)
from stategraph.store.base._store import BaseStore as BaseStore

__all__ = ("InMemoryStore",)
