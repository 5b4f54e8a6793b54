"""``Topic``: a publish/subscribe channel collecting every value written."""

from stategraph.channels._topic import Topic as Topic

__all__ = ("Topic",)
