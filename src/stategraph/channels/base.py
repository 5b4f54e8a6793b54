"""The base class of channels, the ``MISSING`` marker and ``EmptyChannelError``."""

from stategraph.channels._base import (
    MISSING as MISSING,
    BaseChannel as BaseChannel,
    Checkpoint as Checkpoint,
    Update as Update,
    Value as Value,
)
from stategraph.errors import EmptyChannelError as EmptyChannelError

__all__ = ("BaseChannel",)
