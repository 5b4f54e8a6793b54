"""Reading state objects: annotated keys of a class, and updates as (key, value) pairs.

Used by the compiler and by ``Command``; holds no engine logic.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Sequence
from typing import Any

_MISSING = object()
_KEYS_CACHE: weakref.WeakKeyDictionary[type[Any], tuple[str, ...]] = (
    weakref.WeakKeyDictionary()
)


def annotated_keys(cls: type[Any]) -> tuple[str, ...]:
    """Return the annotated field names of ``cls`` and its bases, base first."""
    try:
        return _KEYS_CACHE[cls]
    except (KeyError, TypeError):
        pass
    if not isinstance(cls, type):
        raise TypeError(f"Expected a type, got {type(cls)}. ")
    keys: list[str] = []
    for base in reversed(cls.__mro__):
        # Each class's own annotations (not inherited ones), base first.
        ann = base.__dict__.get("__annotations__")  # noqa: RUF063
        if ann is None:
            ann = getattr(base, "__annotations__", None)
        if ann is None or isinstance(ann, types.GetSetDescriptorType):
            continue
        keys.extend(ann.keys())
    try:
        return _KEYS_CACHE.setdefault(cls, tuple(keys))
    except TypeError:
        return tuple(keys)


def object_update(obj: Any, keys: Sequence[str]) -> list[tuple[str, Any]]:
    """Turn a state object (dataclass, pydantic model, ...) into update pairs.

    Pydantic fields left at a ``None`` default and not set explicitly are
    skipped, as LangGraph does, so a partial model does not erase state.
    """
    fields_set = getattr(obj, "model_fields_set", None)
    if fields_set is not None:
        defaults = {k: f.default for k, f in type(obj).model_fields.items()}
    else:
        defaults = {}
    out: list[tuple[str, Any]] = []
    for k in keys:
        value = getattr(obj, k, _MISSING)
        if value is _MISSING:
            continue
        if (
            value is not None
            or defaults.get(k, _MISSING) is not None
            or (fields_set is not None and k in fields_set)
        ):
            out.append((k, value))
    return out


def update_as_tuples(update: Any) -> Sequence[tuple[str, Any]]:
    """Normalise a ``Command.update`` value into (key, value) pairs."""
    if isinstance(update, dict):
        return list(update.items())
    if isinstance(update, (list, tuple)) and all(
        isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str) for t in update
    ):
        return update
    if update is not None and (keys := annotated_keys(type(update))):
        return object_update(update, keys)
    if update is not None:
        return [("__root__", update)]
    return []
