"""``BinaryOperatorAggregate``: the reducer channel behind ``Annotated`` state keys."""

from stategraph.channels._binop import (
    BinaryOperatorAggregate as BinaryOperatorAggregate,
    _get_overwrite as _get_overwrite,
)

__all__ = ("BinaryOperatorAggregate",)
