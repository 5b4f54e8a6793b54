"""Barrier channels that wait for a set of named writers."""

from stategraph.channels._barrier import (
    NamedBarrierValue as NamedBarrierValue,
    NamedBarrierValueAfterFinish as NamedBarrierValueAfterFinish,
)

__all__ = ("NamedBarrierValue", "NamedBarrierValueAfterFinish")
