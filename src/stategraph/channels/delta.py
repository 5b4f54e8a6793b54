"""``DeltaChannel``: a reducer channel persisted as writes plus periodic snapshots."""

from stategraph.channels._delta import DeltaChannel as DeltaChannel

__all__ = ("DeltaChannel",)
