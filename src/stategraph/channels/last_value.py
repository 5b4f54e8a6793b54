"""Last-value channels: ``LastValue`` and ``LastValueAfterFinish``."""

from stategraph.channels._last_value import (
    LastValue as LastValue,
    LastValueAfterFinish as LastValueAfterFinish,
)

__all__ = ("LastValue", "LastValueAfterFinish")
