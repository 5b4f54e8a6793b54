"""Values written in a step, so that ``InMemorySaver`` does not reuse them stale.

The list packing of ``_lists`` reuses the bytes of items that are the very
objects stored before. ``put_writes`` notes the identities of what a step's
tasks wrote; the step's ``put`` takes them, and items among them are packed
again (a message edited in place and written back to replace itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from stategraph._config import RunnableConfig
from stategraph._constants import TASKS, WRITES_IDX_MAP
from stategraph._types import Overwrite
from stategraph.checkpoint.memory._header import NONE_ROW
from stategraph.checkpoint.serde.jsonplus import UnserializableValueError

__all__ = ("IMMUTABLE", "PutWritesMixin", "Written", "mark_written")

IMMUTABLE = frozenset((str, int, float, bool, bytes, type(None)))
# The tag of a value stored as is (not serialized) by ``value_codec``'s dumps.
SCALAR = NONE_ROW[0]


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


StoredWrite = tuple[str, str, Any, str]


class PutWritesMixin:
    """``InMemorySaver.put_writes``: stores the writes ``Written`` watches."""

    writes: Any
    serde: Any
    _codec_cache: tuple[Any, Any, Any, bool] | None
    _lists: Any
    _written: Written
    _codec_entry: Callable[[], tuple[Any, Any, Any, bool]]  # the saver's

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes against the checkpoint in ``config``.

        A regular write is keyed by ``(task_id, index)`` and never replaced
        once stored; writes to the special channels of ``WRITES_IDX_MAP``
        (errors, interrupts, resumes, scheduled) use fixed negative indices
        and replace what was there.

        Args:
            config: Config with ``thread_id``, ``checkpoint_ns``, ``checkpoint_id``.
            writes: ``(channel, value)`` pairs.
            task_id: Id of the writing task.
            task_path: Path of the writing task (orders pending writes).
        """
        conf = config["configurable"]
        key = (conf["thread_id"], conf.get("checkpoint_ns", ""), conf["checkpoint_id"])
        codec = self._codec_cache
        if codec is None or codec[0] is not self.serde:
            codec = self._codec_entry()
        store_writes(self, key, writes, task_id, task_path, codec)


def store_writes(
    saver: Any,
    key: tuple[str, str, str],
    writes: Sequence[tuple[str, Any]],
    task_id: str,
    task_path: str,
    codec: tuple[Any, Any, Any, bool],
) -> None:
    """``InMemorySaver.put_writes`` against ``key`` (thread, namespace, checkpoint id).

    ``codec`` is the saver's ``_codec_entry()``.
    """
    thread_id, ns = key[0], key[1]
    existing = saver.writes.get(key)
    dumps, plain = codec[1], codec[3]
    lists = saver._lists
    if lists is not None and lists.watched and lists.watches(thread_id, ns):
        # Only reused items that can change in place depend on the writes.
        saver._written.note(thread_id, ns, key[2], writes)
    # In place: writes before one failing to serialize stay stored, as in
    # LangGraph's saver (a resume finds them); a new key's dict once filled.
    stored = {} if existing is None else existing
    idx = -1
    try:
        for channel, value in writes:
            idx += 1
            if channel not in WRITES_IDX_MAP:
                inner = (task_id, idx)
                if existing is not None and inner in stored:
                    continue
            else:
                inner = (task_id, WRITES_IDX_MAP[channel])
            if not plain:
                blob = dumps(value)
            elif value is None:
                blob = NONE_ROW
            elif type(value) is int and -(2**63) <= value < 2**64:
                blob = (SCALAR, value)  # as ``dumps`` stores it, without a call
            else:
                blob = dumps(value)
            stored[inner] = (task_id, channel, blob, task_path)
    except UnserializableValueError as exc:
        raise exc.with_prefix(f"update[{channel!r}]") from None
    finally:
        if existing is None and stored:
            saver.writes[key] = stored
