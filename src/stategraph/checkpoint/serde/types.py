"""Names shared by serializers and channels: reserved write channels and protocols.

Mirrors ``langgraph.checkpoint.serde.types`` so savers written against either
library find the same names here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar, runtime_checkable

from stategraph._constants import ERROR, INTERRUPT, RESUME, SCHEDULED, TASKS

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = (
    "ERROR",
    "INTERRUPT",
    "RESUME",
    "SCHEDULED",
    "TASKS",
    "ChannelProtocol",
    "SendProtocol",
)

Value = TypeVar("Value", covariant=True)
Update = TypeVar("Update", contravariant=True)
C = TypeVar("C")


class _DeltaSnapshot(NamedTuple):
    """Full value of a delta channel, stored every ``snapshot_frequency`` updates.

    Readers that walk a checkpoint's ancestors to rebuild a delta channel stop
    at the first ancestor holding one of these: it already is the accumulated
    value, so older writes need not be replayed.
    """

    value: Any


class ChannelProtocol(Protocol[Value, Update, C]):
    """What a saver needs from a channel: its types and its checkpoint value."""

    @property
    def ValueType(self) -> Any:
        """Type of the value the channel holds."""
        ...

    @property
    def UpdateType(self) -> Any:
        """Type of the updates the channel accepts."""
        ...

    def checkpoint(self) -> C | None:
        """Return the serializable value of the channel."""
        ...

    def from_checkpoint(self, checkpoint: C | None) -> Self:
        """Return a new channel restored from ``checkpoint``."""
        ...

    def update(self, values: Sequence[Update]) -> bool:
        """Apply the updates of one step; return whether the channel changed."""
        ...

    def get(self) -> Value:
        """Return the current value of the channel."""
        ...

    def consume(self) -> bool:
        """Mark the value as consumed by a task; return whether it changed."""
        ...


@runtime_checkable
class SendProtocol(Protocol):
    """Structural type of ``Send`` packets (node name plus its input)."""

    node: str
    arg: Any

    def __hash__(self) -> int: ...

    def __repr__(self) -> str: ...

    def __eq__(self, value: object) -> bool: ...
