"""SQL helpers for LangGraph's SQLite checkpoint tables, under LangGraph's path.

These build and read queries over the table layout of LangGraph's
``SqliteSaver`` (``checkpoints`` with a JSON ``metadata`` column, ``writes``),
for code that works on a database that saver wrote. stategraph's own
``SqliteSaver`` stores checkpoints in ``sg_*`` tables with serialized
metadata and filters in Python, so it does not use them.

Example:
    >>> where, params = search_where({"configurable": {"thread_id": "t"}}, {"step": 1})
    >>> where
    "WHERE thread_id = ? AND json_extract(CAST(metadata AS TEXT), '$.step') = ?"
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from stategraph._config import RunnableConfig
from stategraph.checkpoint.base import (
    PendingWrite,
    get_checkpoint_id as get_checkpoint_id,
    writes_sort_key as writes_sort_key,
)
from stategraph.checkpoint.serde.base import SerializerProtocol as SerializerProtocol

__all__ = ("load_pending_writes", "pending_writes_sql", "search_where")

# A key is spliced into a JSON path inside the SQL text, so only characters
# that cannot close the string literal or the path are accepted.
_SAFE_KEY = re.compile(r"[a-zA-Z0-9_.-]+")


def _check_key(key: str) -> None:
    if not _SAFE_KEY.fullmatch(key):
        raise ValueError(
            f"Invalid filter key: '{key}'. Filter keys must contain only "
            "alphanumeric characters, underscores, dots, and hyphens."
        )


def _compare(value: Any) -> tuple[str, Any]:
    """The operator and bound value matching ``value`` in ``json_extract`` output."""
    if value is None:
        return "IS ?", None
    # bool is an int, and json_extract yields 1/0 for true/false: bound as is.
    if isinstance(value, (str, int, float)):
        return "= ?", value
    if isinstance(value, (dict, list)):
        # json_extract returns objects and arrays as compact JSON text.
        return "= ?", json.dumps(value, separators=(",", ":"))
    return "= ?", str(value)


def search_where(
    config: RunnableConfig | None,
    filter: dict[str, Any] | None,  # LangGraph's parameter name
    before: RunnableConfig | None = None,
) -> tuple[str, Sequence[Any]]:
    """Build the ``WHERE`` clause of a ``list``/``search`` over ``checkpoints``.

    Args:
        config: Restricts to its ``thread_id``, and to its ``checkpoint_ns``
            and ``checkpoint_id`` when set.
        filter: Metadata key/value pairs that must all match (top-level keys
            of the JSON ``metadata`` column).
        before: Keeps only checkpoints with an id below this config's.

    Returns:
        ``("WHERE a = ? AND ...", params)``, or ``("", [])`` without
        conditions.

    Raises:
        ValueError: If a filter key has characters other than letters,
            digits, ``_``, ``.`` and ``-``.
        KeyError: If ``config`` has no ``thread_id``.
    """
    clauses: list[str] = []
    params: list[Any] = []
    if config is not None:
        configurable = config["configurable"]
        clauses.append("thread_id = ?")
        params.append(configurable["thread_id"])
        if (ns := configurable.get("checkpoint_ns")) is not None:
            clauses.append("checkpoint_ns = ?")
            params.append(ns)
        if checkpoint_id := get_checkpoint_id(config):
            clauses.append("checkpoint_id = ?")
            params.append(checkpoint_id)
    for key, value in (filter or {}).items():
        _check_key(key)
        operator, bound = _compare(value)
        clauses.append(f"json_extract(CAST(metadata AS TEXT), '$.{key}') {operator}")
        params.append(bound)
    if before is not None:
        clauses.append("checkpoint_id < ?")
        params.append(get_checkpoint_id(before))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def pending_writes_sql(has_task_path: bool) -> str:
    """The query of a checkpoint's writes, bound to thread, namespace and id.

    Args:
        has_task_path: Whether the ``writes`` table has a ``task_path`` column
            (older databases have not: ``''`` is selected instead).

    Returns:
        SQL selecting ``task_id, channel, type, value, task_path, idx`` rows,
        the input of ``load_pending_writes``.
    """
    task_path = "task_path" if has_task_path else "''"
    return (
        f"SELECT task_id, channel, type, value, {task_path}, idx FROM writes "
        "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
    )


def load_pending_writes(
    rows: Iterable[Any], serde: SerializerProtocol
) -> list[PendingWrite]:
    """Load ``pending_writes_sql`` rows as pending writes, in the run's order.

    Args:
        rows: ``(task_id, channel, type, value, task_path, idx)`` rows.
        serde: Loads each ``(type, value)``.

    Returns:
        ``(task_id, channel, value)`` triples sorted by ``writes_sort_key``.
    """
    ordered = sorted(rows, key=lambda row: writes_sort_key(row[4], row[0], row[5]))
    return [
        (task_id, channel, serde.loads_typed((type_, value)))
        for task_id, channel, type_, value, _path, _idx in ordered
    ]
