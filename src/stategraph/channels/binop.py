"""``BinaryOperatorAggregate``: the reducer channel behind ``Annotated`` state keys."""

from stategraph.channels._binop import (
    BinaryOperatorAggregate as BinaryOperatorAggregate,
)

__all__ = ("BinaryOperatorAggregate",)
