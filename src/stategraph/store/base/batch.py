"""``AsyncBatchedBaseStore``, under LangGraph's import path."""

from __future__ import annotations

from stategraph.store.base._batch import AsyncBatchedBaseStore as AsyncBatchedBaseStore

__all__ = ("AsyncBatchedBaseStore",)
