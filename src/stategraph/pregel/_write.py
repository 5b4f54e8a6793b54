"""``ChannelWrite``: LangGraph's declarative node writer, as an engine writer.

A ``ChannelWrite`` lists what a node writes (``ChannelWriteEntry`` per
channel, ``ChannelWriteTupleEntry`` for computed writes, ``Send`` packets).
Called as ``writer(task, output)`` it appends those writes to the task, which
is the only writer protocol the engine knows; ``do_write`` writes them from
inside a running node. It never reads channels or touches the engine's state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar

from stategraph._constants import CONF, CONFIG_KEY_SEND, TASKS
from stategraph._types import Send
from stategraph.errors import InvalidUpdateError

__all__ = [
    "PASSTHROUGH",
    "SKIP_WRITE",
    "ChannelWrite",
    "ChannelWriteEntry",
    "ChannelWriteTupleEntry",
]

R = TypeVar("R")


class _Marker:
    """A named sentinel value."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


PASSTHROUGH: Any = _Marker("PASSTHROUGH")
"""Write the node's output itself (the default ``value`` of an entry)."""

SKIP_WRITE: Any = _Marker("SKIP_WRITE")
"""Returned by an entry's ``mapper`` to drop that write."""

_STATIC = "_is_channel_writer"


class ChannelWriteEntry(NamedTuple):
    """A write of one channel.

    Attributes:
        channel: The channel written.
        value: The value, or ``PASSTHROUGH`` for the node's output.
        skip_none: Drop the write when the value is ``None``.
        mapper: Transforms the value before it is written.
    """

    channel: str
    value: Any = PASSTHROUGH
    skip_none: bool = False
    mapper: Callable[..., Any] | None = None


class ChannelWriteTupleEntry(NamedTuple):
    """Writes computed from a value: ``mapper(value)`` gives ``(channel, value)`` pairs.

    Attributes:
        mapper: Returns the writes (or ``None`` for none).
        value: The value, or ``PASSTHROUGH`` for the node's output.
        static: ``(channel, value, label)`` writes declared for drawing.
    """

    mapper: Callable[[Any], Sequence[tuple[str, Any]] | None]
    value: Any = PASSTHROUGH
    static: Sequence[tuple[str, Any, str | None]] | None = None


WriteEntry = ChannelWriteEntry | ChannelWriteTupleEntry | Send


class ChannelWrite:
    """Writes a node's output to channels.

    Args:
        writes: Entries and ``Send`` packets, written in order.
        tags: Tags (kept for compatibility; writers are not traced).

    Example:
        >>> writer = ChannelWrite([ChannelWriteEntry("out", skip_none=True)])
    """

    __slots__ = ("tags", "writes")

    def __init__(
        self, writes: Sequence[WriteEntry], *, tags: Sequence[str] | None = None
    ) -> None:
        self.writes: list[WriteEntry] = list(writes)
        self.tags = list(tags) if tags else None

    def __call__(self, task: Any, output: Any) -> None:
        """Append the writes of ``output`` to ``task.writes`` (engine protocol)."""
        writes = task.writes
        for w in self.writes:
            # Plain entries are written inline: this runs after every task of
            # a hand-built node, so it avoids building bound copies.
            if isinstance(w, ChannelWriteEntry):
                value = output if w.value is PASSTHROUGH else w.value
                if w.mapper is not None:
                    value = w.mapper(value)
                if value is SKIP_WRITE or (w.skip_none and value is None):
                    continue
                writes.append((w.channel, value))
            else:
                writes.extend(assemble_writes(self._bind([w], output)))

    def invoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Write ``input`` from inside a running node; return it unchanged."""
        self.do_write(config, self._bind(self.writes, input))
        return input

    async def ainvoke(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """Async version of ``invoke``."""
        return self.invoke(input, config)

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        """``ChannelWrite<channels>``, the name LangGraph gives a writer."""
        if not name:
            parts = [
                w.channel
                if isinstance(w, ChannelWriteEntry)
                else "..."
                if isinstance(w, ChannelWriteTupleEntry)
                else w.node
                for w in self.writes
            ]
            name = f"ChannelWrite<{','.join(parts)}>"
        return f"{name}{suffix}" if suffix else name

    def __repr__(self) -> str:
        return f"ChannelWrite(writes={self.writes!r})"

    @staticmethod
    def _bind(entries: Sequence[WriteEntry], output: Any) -> list[WriteEntry]:
        """The entries with ``PASSTHROUGH`` replaced by ``output``."""
        bound: list[WriteEntry] = []
        for w in entries:
            if isinstance(w, ChannelWriteEntry) and w.value is PASSTHROUGH:
                bound.append(w._replace(value=output))
            elif isinstance(w, ChannelWriteTupleEntry) and w.value is PASSTHROUGH:
                bound.append(ChannelWriteTupleEntry(w.mapper, output))
            else:
                bound.append(w)
        return bound

    @staticmethod
    def do_write(
        config: Any, writes: Sequence[WriteEntry], allow_passthrough: bool = True
    ) -> None:
        """Write ``writes`` for the node running with ``config``.

        Raises:
            InvalidUpdateError: On a write to the reserved tasks channel, or an
                unbound ``PASSTHROUGH`` when ``allow_passthrough`` is false.
        """
        for w in writes:
            if isinstance(w, ChannelWriteEntry) and w.channel == TASKS:
                raise InvalidUpdateError("Cannot write to the reserved channel TASKS")
            if (
                isinstance(w, ChannelWriteEntry | ChannelWriteTupleEntry)
                and w.value is PASSTHROUGH
                and not allow_passthrough
            ):
                raise InvalidUpdateError("PASSTHROUGH value must be replaced")
        config[CONF][CONFIG_KEY_SEND](assemble_writes(writes))

    @staticmethod
    def is_writer(runnable: Any) -> bool:
        """Whether ``runnable`` is a writer (a ``ChannelWrite`` or registered)."""
        return isinstance(runnable, ChannelWrite) or hasattr(runnable, _STATIC)

    @staticmethod
    def get_static_writes(writer: Any) -> list[tuple[str, Any, str | None]] | None:
        """The ``(channel, value, label)`` writes a writer declares for drawing."""
        if isinstance(writer, ChannelWrite):
            return [
                w
                for entry in writer.writes
                if isinstance(entry, ChannelWriteTupleEntry) and entry.static
                for w in entry.static
            ] or None
        declared = getattr(writer, _STATIC, None)
        if not declared:
            return None
        tuples = assemble_writes([entry for entry, _ in declared])
        return [
            (c, v, label) for (c, v), (_, label) in zip(tuples, declared, strict=False)
        ]

    @staticmethod
    def register_writer(
        runnable: R, static: Sequence[tuple[WriteEntry, str | None]] | None = None
    ) -> R:
        """Mark ``runnable`` as a writer, with writes declared for drawing."""
        # object.__setattr__ also works on frozen dataclasses and pydantic models.
        object.__setattr__(runnable, _STATIC, static)
        return runnable


def assemble_writes(writes: Sequence[WriteEntry]) -> list[tuple[str, Any]]:
    """Turn entries (with their values bound) into ``(channel, value)`` writes.

    Raises:
        ValueError: On an entry of an unknown kind.
    """
    tuples: list[tuple[str, Any]] = []
    for w in writes:
        if isinstance(w, Send):
            tuples.append((TASKS, w))
        elif isinstance(w, ChannelWriteTupleEntry):
            if pairs := w.mapper(w.value):
                tuples.extend(pairs)
        elif isinstance(w, ChannelWriteEntry):
            value = w.mapper(w.value) if w.mapper is not None else w.value
            if value is SKIP_WRITE or (w.skip_none and value is None):
                continue
            tuples.append((w.channel, value))
        else:
            raise ValueError(f"Invalid write entry: {w}")
    return tuples
