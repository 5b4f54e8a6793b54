"""Serializers of checkpoint values; see ``JsonPlusSerializer`` and ``register_types``.

Registering your classes::

    from stategraph.checkpoint.serde import register_types

    register_types(MyState)  # MyState and the classes of its fields

The graph compiler registers the schemas it knows; call ``register_types``
for classes stored in ``Any``-typed fields that a process may load before it
has written one itself.
"""

from __future__ import annotations

from stategraph.checkpoint.serde._errors import (
    DeserializationError,
    UnserializableValueError,
)
from stategraph.checkpoint.serde._registry import register_types

__all__ = ("DeserializationError", "UnserializableValueError", "register_types")
