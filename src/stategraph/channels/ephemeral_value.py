"""``EphemeralValue``: a value that lives for one step."""

from stategraph.channels._ephemeral import EphemeralValue as EphemeralValue

__all__ = ("EphemeralValue",)
