"""Server storage backends behind one abstract ``Storage`` interface."""

from stategraph.server._storage.base import (
    Page as Page,
    Query as Query,
    Record as Record,
    Storage as Storage,
)
from stategraph.server._storage.memory import InMemoryStorage as InMemoryStorage

__all__ = ("InMemoryStorage", "Page", "Query", "Record", "Storage")
