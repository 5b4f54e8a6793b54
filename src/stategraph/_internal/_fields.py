"""State-field helpers under LangGraph's private ``langgraph._internal._fields`` path.

Defaults and optionality come from stategraph's schema code
(``stategraph.graph._jsonschema``); ``get_enhanced_type_hints`` adds the
defaults and descriptions a config schema shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_type_hints

from stategraph.graph._jsonschema import (
    _is_optional as _is_optional_type,
    field_default as get_field_default,
)

__all__ = ("_is_optional_type", "get_enhanced_type_hints", "get_field_default")


def _model_field(type_: Any, name: str) -> tuple[Any, str | None]:
    """``(default, description)`` of a pydantic model's field (``None`` if unset)."""
    field = getattr(type_, "model_fields", {}).get(name)
    if field is None:
        return None, None
    default = field.default
    # pydantic marks "no default" with its PydanticUndefined sentinel.
    if type(default).__name__ == "PydanticUndefinedType":
        default = None
    return default, field.description


def get_enhanced_type_hints(
    type_: type[Any],
) -> Iterator[tuple[str, Any, Any, str | None]]:
    """Yield ``(name, type, default, description)`` for each field of ``type_``.

    Works for pydantic models, dataclasses and ``TypedDict`` classes (whose
    class attributes give the defaults); a missing default or description is
    ``None``.
    """
    for name, typ in get_type_hints(type_).items():
        default, description = _model_field(type_, name)
        if name in vars(type_):
            default = vars(type_)[name]
        yield name, typ, default, description
