"""``AnyValue``: the last value written, assuming concurrent writes are equal."""

from stategraph.channels._last_value import AnyValue as AnyValue

__all__ = ("AnyValue",)
