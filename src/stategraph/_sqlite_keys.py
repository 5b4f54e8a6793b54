"""Filter keys as LangGraph's SQLite saver and store read them.

Both accept only keys made of ASCII letters, digits, ``_``, ``.`` and ``-``
(anything else raises ``ValueError`` before a query runs), and read a dotted
key as a path into nested objects: ``"user.name"`` is ``value["user"]["name"]``.
The in-memory and PostgreSQL backends take keys literally, so only the SQLite
ones use this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_KEY = re.compile(r"[A-Za-z0-9_.-]+\Z")


def check_filter_key(key: object) -> str:
    """Return ``key`` if it is a valid filter key.

    Raises:
        ValueError: When ``key`` is not a string of letters, digits, ``_``,
            ``.`` and ``-`` (LangGraph's message).
    """
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(
            f"Invalid filter key: '{key}'. Filter keys must contain only "
            "alphanumeric characters, underscores, dots, and hyphens."
        )
    return key


def json_path(key: str) -> str:
    """The SQLite JSON path of a checked key, each segment quoted (``$."a"."b"``)."""
    return "$" + "".join(f'."{part}"' for part in key.split("."))


def at_path(value: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted key inside nested mappings, ``None`` when absent."""
    found: Any = value
    for part in key.split("."):
        if not isinstance(found, Mapping):
            return None
        found = found.get(part)
    return found
