"""Vector scoring of the SQLite stores: sqlite-vec, or exact Python functions.

The index's ``distance_type`` (``"cosine"``, the default, ``"l2"`` or
``"inner_product"``) scores as the PostgreSQL store does: cosine similarity,
negated Euclidean distance, inner product. sqlite-vec computes the first two
in C when this Python's ``sqlite3`` (or a ``pysqlite3`` connection) can load
it; otherwise, and always for the inner product, which sqlite-vec lacks, a
Python function registered on the connection does. Vectors are
little-endian float32 blobs (sqlite-vec's format).
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections.abc import Callable
from typing import Any

from stategraph.store._match import cosine
from stategraph.store.base._records import IndexConfig

COSINE_FUNCTION = "sg_cosine"
DISTANCES = ("cosine", "l2", "inner_product")


def is_load_error(exc: BaseException) -> bool:
    """Say whether ``exc`` is a failed extension load, to fall back on.

    That is no loader in this Python's ``sqlite3`` (``AttributeError``), or
    SQLite refusing the file. The connection may come from another DB-API
    module built on SQLite (``pysqlite3``), whose error classes are its own:
    they are recognised by name.
    """
    if isinstance(exc, (AttributeError, sqlite3.Error)):
        return True
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"OperationalError", "NotSupportedError"})


def sqlite_vec_path() -> str | None:
    """The sqlite-vec extension's file, when the ``sqlite-vec`` package is installed."""
    try:
        import sqlite_vec  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    path: str = sqlite_vec.loadable_path()
    return path


def _unpack(blob: bytes) -> array[float]:
    vector = array("f")
    vector.frombytes(blob)
    return vector


def sqlite_cosine(stored: bytes | None, query: bytes | None) -> float | None:
    """The ``sg_cosine`` SQL function: cosine similarity of two float32 blobs."""
    if stored is None or query is None:
        return None
    return cosine(_unpack(query), _unpack(stored))


def sqlite_l2(stored: bytes | None, query: bytes | None) -> float | None:
    """The ``sg_l2`` SQL function: negated Euclidean distance of two float32 blobs."""
    if stored is None or query is None:
        return None
    pairs = zip(_unpack(query), _unpack(stored), strict=False)
    return -math.sqrt(sum((a - b) * (a - b) for a, b in pairs))


def sqlite_inner_product(stored: bytes | None, query: bytes | None) -> float | None:
    """The ``sg_inner_product`` SQL function: dot product of two float32 blobs."""
    if stored is None or query is None:
        return None
    return sum(a * b for a, b in zip(_unpack(query), _unpack(stored), strict=False))


# Per distance type: the exact Python SQL function (name, implementation),
# and sqlite-vec's expression of the same score where it has one.
EXACT_FUNCTIONS: dict[str, tuple[str, Callable[[Any, Any], float | None]]] = {
    "cosine": (COSINE_FUNCTION, sqlite_cosine),
    "l2": ("sg_l2", sqlite_l2),
    "inner_product": ("sg_inner_product", sqlite_inner_product),
}
VEC_SIMILARITY = {
    "cosine": "1.0 - vec_distance_cosine(sv.embedding, ?)",
    "l2": "-vec_distance_L2(sv.embedding, ?)",
}


def distance_type(index: IndexConfig | None) -> str:
    """The index's ``distance_type`` (``"cosine"`` when not set).

    Raises:
        ValueError: If it is not ``"cosine"``, ``"l2"`` or ``"inner_product"``.
    """
    distance = str((index or {}).get("distance_type", "cosine"))
    if distance not in DISTANCES:
        raise ValueError(
            f"Invalid distance_type: {distance!r}. Expected 'cosine' (the "
            "default), 'l2' or 'inner_product'."
        )
    return distance
