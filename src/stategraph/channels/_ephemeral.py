"""Channels that are not carried across steps or checkpoints.

``EphemeralValue`` keeps a write for the following step only;
``UntrackedValue`` keeps it for the run but is never checkpointed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph.channels._base import MISSING, BaseChannel, Value, _new
from stategraph.errors import EmptyChannelError, InvalidUpdateError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("EphemeralValue", "UntrackedValue")


class EphemeralValue(BaseChannel[Value, Value, Value]):
    """Stores the value written in the previous step and clears it after one step.

    Args:
        typ: The type of the value stored in the channel.
        guard: Reject steps that write more than one value; with ``False`` the
            last write of the step wins.

    Attributes:
        guard: Whether a step may write at most one value.
    """

    __slots__ = ("guard", "value")

    value: Value | Any
    guard: bool

    def __init__(self, typ: Any, guard: bool = True) -> None:
        self.typ = typ
        self.key = ""
        self.guard = guard
        self.value = MISSING

    def __eq__(self, value: object) -> bool:
        return isinstance(value, EphemeralValue) and value.guard == self.guard

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def copy(self) -> Self:
        """Return a channel holding the same value (the value is shared, not copied).

        Returns:
            A new channel of the same class and configuration.
        """
        cls = type(self)
        if cls is EphemeralValue:
            new = _new(cls)
            new.typ = self.typ
            new.guard = self.guard
        else:
            new = cls(self.typ, self.guard)
        new.key = self.key
        new.value = self.value
        return new

    def from_checkpoint(self, checkpoint: Value | Any) -> Self:
        """Return a new channel holding ``checkpoint`` (empty when ``MISSING``).

        Args:
            checkpoint: The value saved by ``checkpoint()``, or ``MISSING``.

        Returns:
            A new channel of the same class and configuration.
        """
        cls = type(self)
        if cls is EphemeralValue:
            new = _new(cls)
            new.typ = self.typ
            new.guard = self.guard
            new.value = checkpoint
        else:
            new = cls(self.typ, self.guard)
            if checkpoint is not MISSING:
                new.value = checkpoint
        new.key = self.key
        return new

    def update(self, values: Sequence[Value]) -> bool:
        """Store the write of the step; a step without writes clears the value.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when the channel's state changed.

        Raises:
            InvalidUpdateError: If ``guard`` is set and the step wrote more
                than one value.
        """
        n = len(values)
        if n == 0:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        if n != 1 and self.guard:
            raise InvalidUpdateError(
                f"At key '{self.key}': EphemeralValue(guard=True) can receive only "
                "one value per step. Use guard=False if you want to store any one "
                "of multiple values."
            )
        self.value = values[-1]
        return True

    def get(self) -> Value:
        """Return the stored value.

        Raises:
            EmptyChannelError: If nothing is stored.
        """
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        """Say whether a value is stored."""
        return self.value is not MISSING

    def checkpoint(self) -> Value | Any:
        """Return the stored value, or ``MISSING`` when empty."""
        return self.value


class UntrackedValue(BaseChannel[Value, Value, Value]):
    """Stores the last value written, but never saves it in checkpoints.

    Args:
        typ: The type of the value stored in the channel.
        guard: Reject steps that write more than one value; with ``False`` the
            last write of the step wins.

    Attributes:
        guard: Whether a step may write at most one value.
    """

    __slots__ = ("guard", "value")

    guard: bool
    value: Value | Any

    def __init__(self, typ: Any, guard: bool = True) -> None:
        self.typ = typ
        self.key = ""
        self.guard = guard
        self.value = MISSING

    def __eq__(self, value: object) -> bool:
        return isinstance(value, UntrackedValue) and value.guard == self.guard

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def copy(self) -> Self:
        """Return a channel holding the same value (the value is shared, not copied).

        Returns:
            A new channel of the same class and configuration.
        """
        cls = type(self)
        if cls is UntrackedValue:
            new = _new(cls)
            new.typ = self.typ
            new.guard = self.guard
        else:
            new = cls(self.typ, self.guard)
        new.key = self.key
        new.value = self.value
        return new

    def checkpoint(self) -> Value | Any:
        """Return ``MISSING``: the value is never saved."""
        return MISSING

    def from_checkpoint(self, checkpoint: Value | Any) -> Self:
        """Return a new, empty channel; ``checkpoint`` is ignored.

        Args:
            checkpoint: Ignored, since nothing is ever saved.

        Returns:
            A new empty channel of the same class and configuration.
        """
        cls = type(self)
        if cls is UntrackedValue:
            new = _new(cls)
            new.typ = self.typ
            new.guard = self.guard
            new.value = MISSING
        else:
            new = cls(self.typ, self.guard)
        new.key = self.key
        return new

    def update(self, values: Sequence[Value]) -> bool:
        """Store the write of the step; a step without writes keeps the value.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when a value was written.

        Raises:
            InvalidUpdateError: If ``guard`` is set and the step wrote more
                than one value.
        """
        n = len(values)
        if n == 0:
            return False
        if n != 1 and self.guard:
            raise InvalidUpdateError(
                f"At key '{self.key}': UntrackedValue(guard=True) can receive only "
                "one value per step. Use guard=False if you want to store any one "
                "of multiple values."
            )
        self.value = values[-1]
        return True

    def get(self) -> Value:
        """Return the stored value.

        Raises:
            EmptyChannelError: If nothing is stored.
        """
        value = self.value
        if value is MISSING:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        """Say whether a value is stored."""
        return self.value is not MISSING
