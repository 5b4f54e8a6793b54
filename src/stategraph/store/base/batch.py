"""``AsyncBatchedBaseStore``, under LangGraph's import path.

The store records LangGraph's module re-imports (``GetOp``, ``PutOp``,
``NOT_PROVIDED``...) are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from stategraph.store.base._batch import AsyncBatchedBaseStore as AsyncBatchedBaseStore
from stategraph.store.base._records import (
    NOT_PROVIDED as NOT_PROVIDED,
    GetOp as GetOp,
    Item as Item,
    ListNamespacesOp as ListNamespacesOp,
    MatchCondition as MatchCondition,
    NotProvided as NotProvided,
    PutOp as PutOp,
    SearchItem as SearchItem,
    SearchOp as SearchOp,
)
from stategraph.store.base._store import BaseStore as BaseStore

__all__ = ("AsyncBatchedBaseStore",)

F = TypeVar("F", bound=Callable[..., Any])
"""Type of a decorated store method (LangGraph's name)."""
