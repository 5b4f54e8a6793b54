"""``Topic``: a publish/subscribe channel that collects every write as a list.

Writes that are lists are flattened into the topic; the topic either starts
afresh each step or accumulates across steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph.channels._base import MISSING, BaseChannel, Value, _new
from stategraph.errors import EmptyChannelError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("Topic",)


def _flatten(values: Sequence[Value | list[Value]]) -> list[Value]:
    """Return the writes in order, with list writes spliced in."""
    flat: list[Value] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(value)
        else:
            flat.append(value)
    return flat


class Topic(BaseChannel[Sequence[Value], Value | list[Value], list[Value]]):
    """A publish/subscribe topic holding the values written to it.

    Args:
        typ: The type of the values stored in the channel.
        accumulate: Keep values across steps; with ``False`` each step's
            writes replace those of the previous step.

    Attributes:
        accumulate: Whether values are kept across steps.
    """

    __slots__ = ("accumulate", "values")

    values: list[Value]
    accumulate: bool

    def __init__(self, typ: Any, accumulate: bool = False) -> None:
        self.typ = typ
        self.key = ""
        self.accumulate = accumulate
        self.values = []

    def __eq__(self, value: object) -> bool:
        return isinstance(value, Topic) and value.accumulate == self.accumulate

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel: a sequence of ``typ``."""
        return Sequence[self.typ]  # type: ignore[name-defined]  # runtime type

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts: ``typ`` or a list of it."""
        return self.typ | list[self.typ]  # type: ignore[name-defined]  # runtime type

    def copy(self) -> Self:
        """Return a channel holding a copy of the list of values.

        Returns:
            A new channel of the same class and configuration.
        """
        cls = type(self)
        if cls is Topic:
            new = _new(cls)
            new.typ = self.typ
            new.accumulate = self.accumulate
        else:
            new = cls(self.typ, self.accumulate)
        new.key = self.key
        new.values = self.values.copy()
        return new

    def checkpoint(self) -> list[Value]:
        """Return the list of values (not a copy)."""
        return self.values

    def from_checkpoint(self, checkpoint: list[Value] | Any) -> Self:
        """Return a new channel holding the saved list (adopted, not copied).

        Args:
            checkpoint: The list saved by ``checkpoint()``, a legacy
                ``(_, values)`` pair, or ``MISSING``.

        Returns:
            A new channel of the same class and configuration.
        """
        cls = type(self)
        if cls is Topic:
            new = _new(cls)
            new.typ = self.typ
            new.accumulate = self.accumulate
            new.values = []
        else:
            new = cls(self.typ, self.accumulate)
        new.key = self.key
        if checkpoint is not MISSING:
            # Old releases saved a ``(seen, values)`` pair.
            new.values = checkpoint[1] if isinstance(checkpoint, tuple) else checkpoint
        return new

    def update(self, values: Sequence[Value | list[Value]]) -> bool:
        """Publish the writes of the step.

        Args:
            values: The writes of the step; list writes are flattened.

        Returns:
            ``True`` when the list of values changed.
        """
        if self.accumulate:
            if not values:
                return False
            flat = _flatten(values)
            if flat:
                self.values.extend(flat)
                return True
            return False
        if not values:
            # The old list may be referenced by a checkpoint: replace, never clear.
            if self.values:
                self.values = []
                return True
            return False
        updated = bool(self.values)
        flat = self.values = _flatten(values)
        return updated or bool(flat)

    def get(self) -> Sequence[Value]:
        """Return a copy of the list of values.

        Raises:
            EmptyChannelError: If the topic holds no values.
        """
        if self.values:
            return list(self.values)
        raise EmptyChannelError()

    def is_available(self) -> bool:
        """Say whether the topic holds any value."""
        return bool(self.values)
