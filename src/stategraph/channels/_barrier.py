"""Barrier channels: they become available once every named writer has written.

``NamedBarrierValue`` backs a node with several incoming edges that must all
fire; ``NamedBarrierValueAfterFinish`` also waits for the run to finish.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from stategraph.channels._base import MISSING, BaseChannel, Value, _new
from stategraph.errors import EmptyChannelError, InvalidUpdateError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("NamedBarrierValue", "NamedBarrierValueAfterFinish")

Saved = TypeVar("Saved")


class _Barrier(BaseChannel[Value, Value, Saved]):
    """Shared plumbing of the barriers: the names to wait for and those seen."""

    __slots__ = ("names", "seen")

    names: set[Value]
    seen: set[Value]

    def __init__(self, typ: Any, names: set[Value]) -> None:
        self.typ = typ
        self.key = ""
        self.names = names
        self.seen = set()

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def _blank(self) -> Self:
        """Return a channel with the same names; ``seen`` is left for the caller."""
        cls = type(self)
        if cls._skip_init:
            new = _new(cls)
            new.typ = self.typ
            new.names = self.names
        else:
            new = cls(self.typ, self.names)
        new.key = self.key
        return new

    def update(self, values: Sequence[Value]) -> bool:
        """Record the names written in the step.

        Args:
            values: The names written.

        Returns:
            ``True`` when a name was seen for the first time.

        Raises:
            InvalidUpdateError: If a value is not one of ``names``.
        """
        names = self.names
        seen = self.seen
        updated = False
        for value in values:
            if value in names:
                if value not in seen:
                    seen.add(value)
                    updated = True
            else:
                # The names before the unknown one stay recorded.
                raise InvalidUpdateError(
                    f"At key '{self.key}': Value {value} not in {names}"
                )
        return updated


class NamedBarrierValue(_Barrier[Value, set[Value]]):
    """Becomes available once each of ``names`` has been written; reading resets it.

    Its value is always ``None``: only availability matters.

    Args:
        typ: The type of the names written to the channel.
        names: The names to wait for.

    Attributes:
        names: The names to wait for.
        seen: The names written so far.
    """

    __slots__ = ()
    _OWN_INIT = True

    def __eq__(self, value: object) -> bool:
        return isinstance(value, NamedBarrierValue) and value.names == self.names

    def copy(self) -> Self:
        """Return a channel with a copy of the names seen.

        Returns:
            A new channel of the same class and names.
        """
        new = self._blank()
        new.seen = self.seen.copy()
        return new

    def checkpoint(self) -> set[Value]:
        """Return the set of names seen (not a copy)."""
        return self.seen

    def from_checkpoint(self, checkpoint: set[Value] | Any) -> Self:
        """Return a new channel holding the saved set (adopted, not copied).

        Args:
            checkpoint: The set saved by ``checkpoint()``, or ``MISSING``.

        Returns:
            A new channel of the same class and names.
        """
        new = self._blank()
        new.seen = set() if checkpoint is MISSING else checkpoint
        return new

    def get(self) -> Value:
        """Return ``None`` once every name has been seen.

        Raises:
            EmptyChannelError: If some name has not been written yet.
        """
        if self.seen != self.names:
            raise EmptyChannelError()
        return None  # type: ignore[return-value]  # the barrier carries no value

    def is_available(self) -> bool:
        """Say whether every name has been seen."""
        return self.seen == self.names

    def consume(self) -> bool:
        """Reset the barrier once a subscribed task has passed it.

        Returns:
            ``True`` when the barrier was complete and got reset.
        """
        if self.seen == self.names:
            self.seen = set()
            return True
        return False


class NamedBarrierValueAfterFinish(_Barrier[Value, tuple[set[Value], bool]]):
    """Like ``NamedBarrierValue``, but available only once ``finish()`` ran.

    Args:
        typ: The type of the names written to the channel.
        names: The names to wait for.

    Attributes:
        names: The names to wait for.
        seen: The names written so far.
        finished: Whether ``finish()`` released the complete barrier.
    """

    __slots__ = ("finished",)

    finished: bool
    _OWN_INIT = True

    def __init__(self, typ: Any, names: set[Value]) -> None:
        super().__init__(typ, names)
        self.finished = False

    def __eq__(self, value: object) -> bool:
        return (
            isinstance(value, NamedBarrierValueAfterFinish)
            and value.names == self.names
        )

    def copy(self) -> Self:
        """Return a channel with a copy of the names seen.

        Returns:
            A new channel of the same class and names.
        """
        new = self._blank()
        new.seen = self.seen.copy()
        new.finished = self.finished
        return new

    def checkpoint(self) -> tuple[set[Value], bool]:
        """Return ``(seen, finished)``; the set is not copied."""
        return (self.seen, self.finished)

    def from_checkpoint(self, checkpoint: tuple[set[Value], bool] | Any) -> Self:
        """Return a new channel restored from ``(seen, finished)``.

        Args:
            checkpoint: The pair saved by ``checkpoint()``, or ``MISSING``.

        Returns:
            A new channel of the same class and names.
        """
        new = self._blank()
        if checkpoint is MISSING:
            new.seen = set()
            new.finished = False
        else:
            new.seen, new.finished = checkpoint
        return new

    def get(self) -> Value:
        """Return ``None`` once every name has been seen and the run finished.

        Raises:
            EmptyChannelError: If the barrier is incomplete or not finished.
        """
        if not self.finished or self.seen != self.names:
            raise EmptyChannelError()
        return None  # type: ignore[return-value]  # the barrier carries no value

    def is_available(self) -> bool:
        """Say whether the barrier is complete and finished."""
        return self.finished and self.seen == self.names

    def consume(self) -> bool:
        """Reset a finished, complete barrier once a subscribed task passed it.

        Returns:
            ``True`` when the barrier got reset.
        """
        if self.finished and self.seen == self.names:
            self.finished = False
            self.seen = set()
            return True
        return False

    def finish(self) -> bool:
        """Release the barrier if it is complete.

        Returns:
            ``True`` when the barrier became available.
        """
        if not self.finished and self.seen == self.names:
            self.finished = True
            return True
        return False
