"""Serializer errors, and the search that names where an unserializable value sits.

Encoding runs inside ormsgpack, which reports a failure without saying where
in the value it happened. Only after a failure does ``find_unserializable``
walk the value in Python to name the path, so successful writes pay nothing.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ("DeserializationError", "InvalidModuleError", "UnserializableValueError")

_HINT = (
    "Register dataclasses, pydantic models, enums and NamedTuples with "
    "stategraph.checkpoint.serde.register_types(...); other objects cannot "
    "be stored in checkpoints."
)


class UnserializableValueError(TypeError):
    """A value (or part of one) has a type the serializer does not accept.

    Attributes:
        type_name: Name of the offending type.
        path: Where it sits, e.g. ``['items'][2].client`` (``""`` for the
            value itself).
    """

    def __init__(self, type_name: str, path: str = "", detail: str = "") -> None:
        self.type_name = type_name
        self.path = path
        self.detail = detail
        where = f" at {path}" if path else ""
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"Object of type {type_name!r}{where} is not serializable{extra}. {_HINT}"
        )

    def with_prefix(self, prefix: str) -> UnserializableValueError:
        """Return the same error with ``prefix`` prepended to the path.

        Args:
            prefix: Where the serialized value sits, e.g. ``state['items']``.
        """
        return type(self)(self.type_name, prefix + self.path, self.detail)


class DeserializationError(ValueError):
    """Stored data cannot be loaded: corrupt, or naming a type that is not allowed."""


class InvalidModuleError(DeserializationError):
    """A payload asks to rebuild an object from a module or class not allowed.

    Raised for legacy JSON constructor records (LangGraph's ``lc: 2``
    envelopes) naming a class outside the fixed list that may be rebuilt.

    Attributes:
        message: The explanation, as LangGraph's error carries it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_LEAVES = (str, int, float, bool, bytes, type(None))
_KEY_LEAVES = (str, int, float, bytes, dt.date, dt.time, uuid.UUID, enum.Enum)


def _key_ok(key: Any) -> bool:
    if isinstance(key, int) and not isinstance(key, (bool, enum.Enum)):
        return -(2**63) <= key < 2**64  # big integers are values only, not keys
    if key is None or isinstance(key, _KEY_LEAVES):
        return True
    return type(key) is tuple and all(_key_ok(k) for k in key)


ChildrenOf = Callable[[Any], "Iterable[tuple[str, Any]] | None"]


def find_unserializable(obj: Any, children_of: ChildrenOf) -> tuple[str, Any] | None:
    """Find the first part of ``obj`` the serializer cannot write.

    Args:
        obj: The value whose encoding failed.
        children_of: Returns the ``(path suffix, child)`` pairs of a supported
            non-container value (empty for leaves), or ``None`` when the
            value's type is not supported.

    Returns:
        ``(path, value)`` of the first offender in encoding order (a dict key
        offender has a path ending in ``<key ...>``), or ``None`` when every
        part is supported (the failure had another cause, such as nesting).
    """
    stack: list[tuple[str, Any]] = [("", obj)]
    seen: set[int] = set()
    while stack:
        path, value = stack.pop()
        if isinstance(value, _LEAVES) and not isinstance(value, enum.Enum):
            if isinstance(value, int) and not _key_ok(value):
                return path, value  # beyond msgpack's 64-bit integers
            continue
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            items = list(value.items())
            for key, _ in items:
                if not _key_ok(key):
                    return f"{path}<key {key!r}>", key
            stack.extend((f"{path}[{k!r}]", v) for k, v in reversed(items))
        elif isinstance(value, list) or type(value) is tuple:
            stack.extend(
                (f"{path}[{i}]", v) for i, v in reversed(list(enumerate(value)))
            )
        else:
            children = children_of(value)
            if children is None:
                return path, value
            stack.extend((path + suffix, v) for suffix, v in reversed(list(children)))
    return None
