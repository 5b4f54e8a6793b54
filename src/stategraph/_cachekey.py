"""Default cache keys for node caching: LangGraph's key for an input.

A frozen copy of the value (mappings as sorted item tuples, sequences as
tuples, array-likes as their bytes) is pickled, exactly as LangGraph does, so
a key is the same byte string LangGraph computes and the same inputs hit or
miss the cache in both.  That includes LangGraph's misses on equal values: a
pickle records shared objects once and carries a pydantic model's set fields,
so a value rebuilt from the cache or a checkpoint (fresh objects, every field
set) is another key than the one a node built.  Only ``pickle.dumps`` is used;
nothing is ever unpickled.
"""

from __future__ import annotations

import pickle
from collections.abc import Hashable, Mapping, Sequence
from typing import Any


def _freeze(obj: Any, depth: int = 10) -> Any:
    if isinstance(obj, Hashable) or depth <= 0:
        return obj
    if isinstance(obj, Mapping):
        # sorted, so that key order does not change the key
        return tuple(sorted((k, _freeze(v, depth - 1)) for k, v in obj.items()))
    if isinstance(obj, Sequence):
        return tuple(_freeze(x, depth - 1) for x in obj)
    if hasattr(obj, "tobytes"):
        return (
            type(obj).__name__,
            obj.tobytes(),
            obj.shape if hasattr(obj, "shape") else None,
        )
    return obj


def freeze_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    """The cache key of a call with ``args`` and ``kwargs``."""
    return pickle.dumps((_freeze(args), _freeze(kwargs)), protocol=5, fix_imports=False)
