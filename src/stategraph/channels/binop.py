"""``BinaryOperatorAggregate``: the reducer channel behind ``Annotated`` state keys."""

from typing import Any

from stategraph._types import Overwrite
from stategraph.channels._binop import (
    _NOT_OVERWRITE,
    BinaryOperatorAggregate as BinaryOperatorAggregate,
    _unwrap_overwrite,
)

__all__ = ("BinaryOperatorAggregate",)


def _get_overwrite(value: Any) -> tuple[bool, Any]:
    """Say whether ``value`` is an ``Overwrite`` (in any form) and what it carries.

    LangGraph's private helper of the same name, for code ported from it.

    Returns:
        ``(True, carried value)`` for an overwrite, else ``(False, None)``.
    """
    if not isinstance(value, (Overwrite, dict)):
        return False, None
    found = _unwrap_overwrite(value)
    if found is _NOT_OVERWRITE:
        return False, None
    return True, found
