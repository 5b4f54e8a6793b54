"""``DeltaChannel``: a reducer channel persisted as its writes, not its value.

The channel itself only folds batches of writes; deciding when to store a full
``_DeltaSnapshot`` and rebuilding the value from saved writes belong to the
engine (``_engine/_delta.py``) and the savers' ``get_delta_channel_history``.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic

from stategraph.channels._base import MISSING, BaseChannel, Value
from stategraph.channels._binop import (
    _get_overwrite,
    _initial_factory,
    _is_delta_snapshot,
    _operators_equal,
)
from stategraph.errors import (
    EmptyChannelError,
    ErrorCode,
    InvalidUpdateError,
    create_error_message,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ("DeltaChannel",)

BatchReducer = Callable[[Any, Sequence[Any]], Any]


class DeltaChannel(Generic[Value], BaseChannel[Any, Any, Any]):
    """A reducer channel whose checkpoints store writes instead of the value.

    Long message lists are the case it is made for: a ``BinaryOperatorAggregate``
    stores the whole list at every step, so storage grows with the square of
    the conversation length, while a ``DeltaChannel`` stores each step's new
    writes plus a full ``_DeltaSnapshot`` every ``snapshot_frequency`` updates
    (or after ``DELTA_MAX_SUPERSTEPS_SINCE_SNAPSHOT`` steps). Reading a
    checkpoint replays the writes saved since the nearest snapshot.

    The reducer takes the current value and a *batch* of writes. Replay may
    group writes differently from the run that made them, so the reducer must
    be deterministic and batching-invariant:
    ``reducer(reducer(s, xs), ys) == reducer(s, xs + ys)``.

    Beta, as in LangGraph: the on-disk shape (the ``_DeltaSnapshot`` blob and
    the ``counters_since_delta_snapshot`` metadata key) matches LangGraph's.

    Example:
        ```python
        from typing import Annotated
        from typing_extensions import TypedDict
        from stategraph.channels import DeltaChannel
        from stategraph.graph.message import _messages_delta_reducer

        class State(TypedDict):
            messages: Annotated[list, DeltaChannel(_messages_delta_reducer)]
        ```

    Args:
        reducer: ``(value, writes) -> new value``.
        typ: Type of the value; inferred from ``Annotated[T, DeltaChannel(...)]``
            when omitted (``list`` until then).
        snapshot_frequency: Store a full snapshot every this many updates.

    Raises:
        ValueError: If ``snapshot_frequency`` is not positive.
    """

    __slots__ = ("reducer", "snapshot_frequency", "value")

    value: Any

    def __init__(
        self,
        reducer: BatchReducer,
        typ: type[Value] | None = None,
        *,
        snapshot_frequency: int = 100,
    ) -> None:
        if snapshot_frequency <= 0:
            raise ValueError(
                f"snapshot_frequency must be a positive int, got {snapshot_frequency}"
            )
        super().__init__(typ if typ is not None else list)
        self.typ = _initial_factory(self.typ)
        self.reducer = reducer
        self.snapshot_frequency = snapshot_frequency
        self.value = MISSING

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DeltaChannel)
            and self.snapshot_frequency == other.snapshot_frequency
            and _operators_equal(self.reducer, other.reducer)
        )

    @property
    def ValueType(self) -> Any:
        """The type of the value stored in the channel."""
        return self.typ

    @property
    def UpdateType(self) -> Any:
        """The type of the updates the channel accepts."""
        return self.typ

    def _empty(self) -> Self:
        new = type(self)(
            self.reducer, self.typ, snapshot_frequency=self.snapshot_frequency
        )
        new.key = self.key
        return new

    def copy(self) -> Self:
        """Return a channel holding a shallow copy of the value."""
        new = self._empty()
        new.value = self.value if self.value is MISSING else _copy.copy(self.value)
        return new

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """Return a channel restored from a stored blob.

        ``MISSING``/``None`` start from the empty value (the caller replays
        writes on top), a ``_DeltaSnapshot`` holds the value, and any other
        value is a plain value left by a reducer channel this key used to be.

        Args:
            checkpoint: The stored blob.

        Returns:
            A new channel of the same reducer and type.
        """
        new = self._empty()
        if checkpoint is MISSING or checkpoint is None:
            new.value = self.typ()
        elif _is_delta_snapshot(checkpoint):
            new.value = checkpoint[0]  # the ``value`` field
        else:
            new.value = checkpoint
        return new

    def replay_writes(self, writes: Sequence[Any]) -> None:
        """Fold saved ``(task_id, channel, value)`` writes, oldest first, in one call.

        The last ``Overwrite`` among them resets the base; only the writes
        after it reach the reducer.

        Args:
            writes: The saved writes of this channel.
        """
        values = [w[2] for w in writes]
        if not values:
            return
        base, start = self.value, 0
        for i, value in enumerate(values):
            is_overwrite, replacement = _get_overwrite(value)
            if is_overwrite:
                base = self._reset_value(replacement)
                start = i + 1
        rest = values[start:]
        self.value = self.reducer(base, rest) if rest else base

    def _reset_value(self, replacement: Any) -> Any:
        return _copy.copy(replacement) if replacement is not None else self.typ()

    def update(self, values: Sequence[Any]) -> bool:
        """Fold the writes of one step with a single reducer call.

        Args:
            values: The writes of the step.

        Returns:
            ``True`` when the step had writes.

        Raises:
            InvalidUpdateError: If the step holds more than one ``Overwrite``.
        """
        if not values:
            return False
        replacement: Any = MISSING
        for value in values:
            is_overwrite, carried = _get_overwrite(value)
            if not is_overwrite:
                continue
            if replacement is not MISSING:
                raise InvalidUpdateError(
                    create_error_message(
                        message="Can receive only one Overwrite value per super-step.",
                        error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
                    )
                )
            replacement = carried
        if replacement is not MISSING:
            self.value = self._reset_value(replacement)
            return True
        base = self.typ() if self.value is MISSING else self.value
        self.value = self.reducer(base, list(values))
        return True

    def get(self) -> Any:
        """Return the current value.

        Raises:
            EmptyChannelError: If the channel has no value yet.
        """
        if self.value is MISSING:
            raise EmptyChannelError()
        return self.value

    def is_available(self) -> bool:
        """Say whether the channel holds a value."""
        return self.value is not MISSING

    def checkpoint(self) -> Any:
        """Return ``MISSING``: the engine stores writes or a ``_DeltaSnapshot``."""
        return MISSING
