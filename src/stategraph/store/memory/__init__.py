"""In-memory store, under LangGraph's import path.

``from stategraph.store.memory import InMemoryStore`` works like
``from langgraph.store.memory import InMemoryStore``.
"""

from __future__ import annotations

from stategraph.store._memory import InMemoryStore as InMemoryStore

__all__ = ("InMemoryStore",)
