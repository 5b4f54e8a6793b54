"""Channels: the containers that hold each key of a graph's state."""

from stategraph.channels._barrier import (
    NamedBarrierValue as NamedBarrierValue,
    NamedBarrierValueAfterFinish as NamedBarrierValueAfterFinish,
)
from stategraph.channels._base import BaseChannel as BaseChannel
from stategraph.channels._binop import (
    BinaryOperatorAggregate as BinaryOperatorAggregate,
)
from stategraph.channels._delta import DeltaChannel as DeltaChannel
from stategraph.channels._ephemeral import (
    EphemeralValue as EphemeralValue,
    UntrackedValue as UntrackedValue,
)
from stategraph.channels._last_value import (
    AnyValue as AnyValue,
    LastValue as LastValue,
    LastValueAfterFinish as LastValueAfterFinish,
)
from stategraph.channels._topic import Topic as Topic

__all__ = (
    # base
    "BaseChannel",
    # value types
    "AnyValue",
    "LastValue",
    "LastValueAfterFinish",
    "UntrackedValue",
    "EphemeralValue",
    "BinaryOperatorAggregate",
    "DeltaChannel",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    # topics
    "Topic",
)
