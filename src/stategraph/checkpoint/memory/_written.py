"""Values written in a step, so that ``InMemorySaver`` does not reuse them stale.

The list packing of ``_lists`` reuses the bytes of items that are the very
objects stored before. ``put_writes`` notes the identities of what a step's
tasks wrote; the step's ``put`` takes them, and items among them are packed
again (a message edited in place and written back to replace itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stategraph._constants import TASKS
from stategraph._types import Overwrite

__all__ = ("IMMUTABLE", "Written", "mark_written")

IMMUTABLE = frozenset((str, int, float, bool, bytes, type(None)))


def mark_written(dirty: set[int], value: Any) -> None:
    """Add the identities of a written value and of its items to ``dirty``."""
    kind = type(value)
    if kind in IMMUTABLE:
        return  # cannot have been edited in place
    dirty.add(id(value))
    if kind is list or kind is tuple:
        for item in value:
            if type(item) not in IMMUTABLE:
                dirty.add(id(item))
    elif kind is Overwrite:
        mark_written(dirty, value.value)


_MAX_WRITTEN = 4096
_MAX_THREADS = 1024


class Written:
    """Identities of the values written against each namespace's checkpoint.

    ``put_writes`` notes them; the next ``put`` takes them: items among them
    are packed again even where they are the objects stored before.
    """

    def __init__(self) -> None:
        # (thread, ns) -> (checkpoint id, identities, or None: too many to keep)
        self._by_ns: dict[tuple[str, str], tuple[str, set[int] | None]] = {}

    def note(
        self, thread_id: str, ns: str, checkpoint_id: str, writes: Iterable[Any]
    ) -> None:
        """Remember the values of ``writes`` saved against ``checkpoint_id``."""
        where = (thread_id, ns)
        written = self._by_ns.get(where)
        if written is None or written[0] != checkpoint_id:
            if len(self._by_ns) > _MAX_THREADS:
                self._by_ns.clear()  # runs that never put again: stay bounded
            written = self._by_ns[where] = (checkpoint_id, set())
        dirty = written[1]
        if dirty is None:
            return
        for channel, value in writes:
            # ``Send`` packets (to the tasks channel) are never edited in place.
            if type(value) not in IMMUTABLE and channel != TASKS:
                mark_written(dirty, value)
        if len(dirty) > _MAX_WRITTEN:
            # A wide step (thousands of tasks): rather than hold every id,
            # let the next put pack its lists in full.
            self._by_ns[where] = (checkpoint_id, None)

    def take(
        self, thread_id: str, ns: str, parent_id: Any, source: Any
    ) -> set[int] | None:
        """What the put of a step's checkpoint may not reuse (``None``: all).

        Only a step (``source == "loop"``) whose writes were all noted against
        its parent may reuse items: the engine saves every task's writes
        before the step's checkpoint unless durability is ``exit``.
        """
        written = self._by_ns.pop((thread_id, ns), None)
        if written is None or written[0] != parent_id or source != "loop":
            return None
        return written[1]

    def forget(self, thread_id: str) -> None:
        """Drop what is noted for a thread."""
        for key in [k for k in self._by_ns if k[0] == thread_id]:
            del self._by_ns[key]
