"""Embedding helpers of the store, under LangGraph's import path."""

from __future__ import annotations

from stategraph.store.base._embed import (
    AEmbeddingsFunc as AEmbeddingsFunc,
    EmbeddingsFunc as EmbeddingsFunc,
    EmbeddingsLambda as EmbeddingsLambda,
    ensure_embeddings as ensure_embeddings,
    get_text_at_path as get_text_at_path,
    tokenize_path as tokenize_path,
)

__all__ = ("AEmbeddingsFunc", "EmbeddingsFunc", "ensure_embeddings")
