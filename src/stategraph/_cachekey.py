"""Default cache keys for node caching: a stable byte string for an input.

Built with msgpack over a frozen copy of the value (no pickle), so equal
inputs give equal keys across processes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import ormsgpack


def _freeze(obj: Any, depth: int = 10) -> Any:
    if depth <= 0:
        return obj
    if isinstance(obj, Mapping):
        return (
            "__map__",
            tuple(
                sorted(
                    ((str(k), _freeze(v, depth - 1)) for k, v in obj.items()),
                    key=lambda kv: kv[0],
                )
            ),
        )
    if isinstance(obj, (list, tuple)):
        return tuple(_freeze(x, depth - 1) for x in obj)
    if isinstance(obj, (set, frozenset)):
        return ("__set__", tuple(sorted(repr(_freeze(x, depth - 1)) for x in obj)))
    if isinstance(obj, Sequence) and not isinstance(obj, (str, bytes)):
        return tuple(_freeze(x, depth - 1) for x in obj)
    if hasattr(obj, "tobytes"):
        return (type(obj).__name__, obj.tobytes(), getattr(obj, "shape", None))
    if hasattr(obj, "model_dump"):
        # LangGraph pickles models, and a pickle carries the set fields: a
        # message rebuilt from a checkpoint or cache (every field set) is
        # another key than the one a node built, so the node runs again
        fields_set = getattr(obj, "model_fields_set", None) or ()
        return (
            type(obj).__qualname__,
            _freeze(obj.model_dump(), depth - 1),
            tuple(sorted(fields_set)),
        )
    if hasattr(obj, "__dataclass_fields__"):
        return (
            type(obj).__qualname__,
            _freeze({k: getattr(obj, k) for k in obj.__dataclass_fields__}, depth - 1),
        )
    if isinstance(obj, Hashable):
        return obj
    return repr(obj)


def freeze_key(value: Any) -> bytes:
    """Serialise ``value`` into a deterministic cache key."""
    return ormsgpack.packb(
        _freeze(value),
        default=repr,
        option=ormsgpack.OPT_NON_STR_KEYS,
    )
