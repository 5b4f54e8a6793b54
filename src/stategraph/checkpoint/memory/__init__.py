"""In-memory checkpoint saver, under LangGraph's import path.

``from stategraph.checkpoint.memory import InMemorySaver`` (or the older name
``MemorySaver``).
"""

from __future__ import annotations

from stategraph.checkpoint.memory._persistent import PersistentDict as PersistentDict
from stategraph.checkpoint.memory._saver import (
    InMemorySaver as InMemorySaver,
    MemorySaver as MemorySaver,
)

__all__ = ("InMemorySaver", "MemorySaver", "PersistentDict")
