"""``UntrackedValue``: a value that is never saved in checkpoints."""

from stategraph.channels._ephemeral import UntrackedValue as UntrackedValue

__all__ = ("UntrackedValue",)
