"""Channels that are not carried across steps or checkpoints.

``EphemeralValue`` keeps a write for the following step only;
``UntrackedValue`` keeps it for the run but is never checkpointed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph.channels._base import MISSING, SingleValueChannel, Value
from stategraph.errors import InvalidUpdateError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("EphemeralValue", "UntrackedValue")


class _Guarded(SingleValueChannel[Value]):
    """A single-value channel configured by ``guard`` instead of ``key``."""

    __slots__ = ("guard",)

    guard: bool
    _has_config = True

    def __init__(self, typ: Any, guard: bool = True) -> None:
        super().__init__(typ)
        self.guard = guard

    def _init_args(self) -> tuple[Any, ...]:
        return (self.typ, self.guard)

    def _copy_config(self, new: Self) -> None:
        new.guard = self.guard

    def _store(self, values: Sequence[Value], name: str) -> None:
        if len(values) != 1 and self.guard:
            raise InvalidUpdateError(
                f"At key '{self.key}': {name}(guard=True) can receive only "
                "one value per step. Use guard=False if you want to store any one "
                "of multiple values."
            )
        self.value = values[-1]


class EphemeralValue(_Guarded[Value]):
    """Stores the value written in the previous step and clears it after one step.

    Args:
        typ: The type of the value stored in the channel.
        guard: Reject steps that write more than one value; with ``False`` the
            last write of the step wins.

    Attributes:
        guard: Whether a step may write at most one value.
    """

    __slots__ = ()
    _OWN_INIT = True

    def __eq__(self, value: object) -> bool:
        return isinstance(value, EphemeralValue) and value.guard == self.guard

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
        if len(values) == 1:  # the usual write, without the guard's call
            self.value = values[0]
            return True
        if not values:
            if self.value is MISSING:
                return False
            self.value = MISSING
            return True
        self._store(values, "EphemeralValue")
        return True


class UntrackedValue(_Guarded[Value]):
    """Stores the last value written, but never saves it in checkpoints.

    Args:
        typ: The type of the value stored in the channel.
        guard: Reject steps that write more than one value; with ``False`` the
            last write of the step wins.

    Attributes:
        guard: Whether a step may write at most one value.
    """

    __slots__ = ()
    _OWN_INIT = True

    def __eq__(self, value: object) -> bool:
        return isinstance(value, UntrackedValue) and value.guard == self.guard

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
        return self._blank(MISSING)

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
        if not values:
            return False
        self._store(values, "UntrackedValue")
        return True
