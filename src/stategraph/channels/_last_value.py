"""Single-value channels: ``LastValue``, ``LastValueAfterFinish`` and ``AnyValue``.

Each keeps the latest write; they differ in how many writes a step may carry
and in when the value becomes visible or is cleared.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stategraph.channels._base import (
    MISSING,
    BaseChannel,
    SingleValueChannel,
    Value,
    _new,
)
from stategraph.errors import (
    EmptyChannelError,
    ErrorCode,
    InvalidUpdateError,
    create_error_message,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("AnyValue", "LastValue", "LastValueAfterFinish")


def _too_many_values(key: str) -> InvalidUpdateError:
    return InvalidUpdateError(
        create_error_message(
            message=f"At key '{key}': Can receive only one value per step. "
            "Use an Annotated key to handle multiple values.",
            error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
        )
    )


class LastValue(SingleValueChannel[Value]):
    """Stores the last value written; a step may write it at most once.

    Args:
        typ: The type of the value stored in the channel.
        key: The state key the channel is bound to.
    """

    __slots__ = ()
    _OWN_INIT = True

    def __eq__(self, value: object) -> bool:
        return isinstance(value, LastValue)

    def update(self, values: Sequence[Value]) -> bool:
        """Store the single write of the step, if any.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when a value was written.

        Raises:
            InvalidUpdateError: If the step wrote more than one value.
        """
        n = len(values)
        if n == 1:
            self.value = values[0]
            return True
        if n == 0:
            return False
        raise _too_many_values(self.key)


class LastValueAfterFinish(BaseChannel[Value, Value, tuple[Value, bool]]):
    """Stores the last value written, readable only once ``finish()`` ran.

    Reading it through a subscribed task (``consume()``) clears it again.

    Args:
        typ: The type of the value stored in the channel.
        key: The state key the channel is bound to.
    """

    __slots__ = ("finished", "value")

    value: Value | Any
    finished: bool

    def __init__(self, typ: Any, key: str = "") -> None:
        self.typ = typ
        self.key = key
        self.value = MISSING
        self.finished = False

    def __eq__(self, value: object) -> bool:
        return isinstance(value, LastValueAfterFinish)

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def copy(self) -> Self:
        """Return a channel in the same state (the value is shared, not copied).

        Returns:
            A new channel of the same class.
        """
        if type(self) is not LastValueAfterFinish:
            return self.from_checkpoint(self.checkpoint())
        new = _new(type(self))
        new.typ = self.typ
        new.key = self.key
        value = new.value = self.value
        # An empty channel is never finished, as after a checkpoint round trip.
        new.finished = self.finished if value is not MISSING else False
        return new

    def checkpoint(self) -> tuple[Value | Any, bool] | Any:
        """Return ``(value, finished)``, or ``MISSING`` when empty."""
        if self.value is MISSING:
            return MISSING
        return (self.value, self.finished)

    def from_checkpoint(self, checkpoint: tuple[Value | Any, bool] | Any) -> Self:
        """Return a new channel restored from ``(value, finished)``.

        Args:
            checkpoint: A pair saved by ``checkpoint()``, or ``MISSING``.

        Returns:
            A new channel of the same class and key.
        """
        cls = type(self)
        if cls is LastValueAfterFinish:
            new = _new(cls)
            new.typ = self.typ
            new.value = MISSING
            new.finished = False
        else:
            new = cls(self.typ)
        new.key = self.key
        if checkpoint is not MISSING:
            new.value, new.finished = checkpoint
        return new

    def update(self, values: Sequence[Value | Any]) -> bool:
        """Store the last write of the step and hide it until ``finish()``.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when a value was written.
        """
        if not values:
            return False
        self.finished = False
        self.value = values[-1]
        return True

    def consume(self) -> bool:
        """Clear a finished value once a subscribed task has read it.

        Returns:
            ``True`` when the value was cleared.
        """
        if self.finished:
            self.finished = False
            self.value = MISSING
            return True
        return False

    def finish(self) -> bool:
        """Make the stored value readable.

        Returns:
            ``True`` when a stored value became readable.
        """
        if not self.finished and self.value is not MISSING:
            self.finished = True
            return True
        return False

    def get(self) -> Value:
        """Return the stored value once finished.

        Raises:
            EmptyChannelError: If nothing is stored or ``finish()`` did not run.
        """
        value = self.value
        if value is MISSING or not self.finished:
            raise EmptyChannelError()
        return value

    def is_available(self) -> bool:
        """Say whether a finished value is stored."""
        return self.value is not MISSING and self.finished


class AnyValue(SingleValueChannel[Value]):
    """Stores the last value written, assuming every write of a step is equal.

    A step without writes clears the channel.

    Args:
        typ: The type of the value stored in the channel.
        key: The state key the channel is bound to.
    """

    __slots__ = ()
    _OWN_INIT = True

    def __eq__(self, value: object) -> bool:
        return isinstance(value, AnyValue)

    def update(self, values: Sequence[Value]) -> bool:
        """Store the last write of the step, or clear the channel if there is none.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when the channel's state changed.
        """
        if values:
            self.value = values[-1]
            return True
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True
