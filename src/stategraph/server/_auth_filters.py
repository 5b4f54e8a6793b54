"""Auth filters: what an authorization handler returns to limit what a user sees.

A filter is a dict on a record's ``metadata``: ``{"owner": "u1"}`` or
``{"owner": {"$eq": "u1"}}`` (equality), ``{"tags": {"$contains": "x"}}`` or
``{"tags": {"$contains": ["x", "y"]}}`` (list membership, subset for a list),
and ``$or`` / ``$and`` lists of such filters, nested at most twice, as
LangGraph's server accepts them. This module checks filters, matches them in
Python and writes them as SQL for storages in PostgreSQL; it never calls
handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stategraph.server import _json
from stategraph.server._http import ApiError

#: How deep ``$or`` / ``$and`` may nest, as in LangGraph's server.
MAX_NESTING = 2
_OPERATORS = ("$eq", "$contains")


def _bad_filter(problem: str) -> ApiError:
    # The handler is the server's code, not the client's: a broken filter is a
    # server error, and the message is written for whoever wrote the handler.
    return ApiError(
        500,
        f"Your auth handler returned an invalid filter: {problem}. Return a"
        " dict such as {'owner': user_id} or {'owner': {'$eq': user_id}}.",
    )


def check_filter(filters: Any, nesting: int = 0) -> None:
    """Raise a 500 ``ApiError`` unless ``filters`` is a well-formed filter."""
    if nesting > MAX_NESTING:
        raise _bad_filter(
            f"$or/$and nest deeper than {MAX_NESTING} levels; simplify the filter"
        )
    if not isinstance(filters, Mapping):
        raise _bad_filter(f"expected a dict, got {filters!r}")
    for key, condition in filters.items():
        if key in ("$or", "$and"):
            if not isinstance(condition, list) or len(condition) < 2:
                raise _bad_filter(
                    f"{key} must be a list of at least 2 filters, got {condition!r}"
                )
            for group in condition:
                check_filter(group, nesting + 1)
        elif isinstance(condition, Mapping):
            unknown = [op for op in condition if op not in _OPERATORS]
            if len(condition) != 1 or unknown:
                raise _bad_filter(
                    f"the condition on {key!r} must be one of {list(_OPERATORS)},"
                    f" got {dict(condition)!r}"
                )


def matches(metadata: Mapping[str, Any] | None, filters: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` satisfies ``filters`` (checked by ``check_filter``)."""
    metadata = metadata or {}
    for key, condition in filters.items():
        if key == "$or":
            if not any(matches(metadata, group) for group in condition):
                return False
        elif key == "$and":
            if not all(matches(metadata, group) for group in condition):
                return False
        elif key not in metadata:
            return False
        elif isinstance(condition, Mapping):
            (operator, wanted), *_ = condition.items()
            if operator == "$eq":
                if metadata[key] != wanted:
                    return False
            elif not _contains(metadata[key], wanted):
                return False
        elif metadata[key] != condition:
            return False
    return True


def _contains(value: Any, wanted: Any) -> bool:
    # PostgreSQL's top-level list containment: every wanted element is present.
    if not isinstance(value, list):
        return False
    if isinstance(wanted, list):
        return all(item in value for item in wanted)
    return wanted in value


def to_sql(filters: Mapping[str, Any], column: str) -> tuple[str, list[Any]]:
    """``filters`` as a PostgreSQL condition on the JSONB expression ``column``.

    The condition means what ``matches`` means. Keys and values are
    parameters (``%s`` placeholders, values as JSON text); only ``column``,
    the caller's own SQL such as ``record->'metadata'``, is written in.

    Returns:
        The condition (``TRUE`` for an empty filter) and its parameters.
    """
    parts: list[str] = []
    params: list[Any] = []
    for key, condition in filters.items():
        if key in ("$or", "$and"):
            groups = [to_sql(group, column) for group in condition]
            joiner = " OR " if key == "$or" else " AND "
            parts.append("(" + joiner.join(clause for clause, _ in groups) + ")")
            params += [param for _, group_params in groups for param in group_params]
            continue
        if isinstance(condition, Mapping):
            (operator, wanted), *_ = condition.items()
        else:
            operator, wanted = "$eq", condition
        if operator == "$eq":
            parts.append(f"(({column}) -> %s) = %s::jsonb")
            params += [key, _json.dumps(wanted).decode()]
        else:
            items = wanted if isinstance(wanted, list) else [wanted]
            parts.append(
                f"(jsonb_typeof(({column}) -> %s) = 'array'"
                f" AND (({column}) -> %s) @> %s::jsonb)"
            )
            params += [key, key, _json.dumps(items).decode()]
    return (" AND ".join(parts) or "TRUE"), params


def visible(
    record: Mapping[str, Any] | None, filters: Mapping[str, Any] | None
) -> bool:
    """Whether a record exists and its ``metadata`` passes ``filters`` (if any)."""
    if record is None:
        return False
    return not filters or matches(record.get("metadata"), filters)


def and_store_filters(
    requested: Mapping[str, Any] | None, auth: Mapping[str, Any]
) -> dict[str, Any]:
    """One store ``filter`` meaning ``requested`` and ``auth`` both hold.

    LangGraph's server joins them with ``$and``, which stores do not
    understand; keys are merged instead, operator by operator.

    Raises:
        ApiError: 422 when both constrain the same key with the same operator
            and different values (no single store filter says that).
    """
    merged: dict[str, Any] = dict(requested or {})
    for key, condition in auth.items():
        if key not in merged or merged[key] == condition:
            merged[key] = condition
            continue
        mine, theirs = _as_operators(merged[key]), _as_operators(condition)
        clash = [op for op in theirs if op in mine and mine[op] != theirs[op]]
        if clash:
            raise ApiError(
                422,
                f"Store filter on {key!r} conflicts with the auth handler's filter"
                f" {dict(auth)!r}: drop it or search within your own namespace.",
            )
        merged[key] = {**mine, **theirs}
    return merged


def _as_operators(condition: Any) -> dict[str, Any]:
    if (
        isinstance(condition, Mapping)
        and condition
        and all(str(k).startswith("$") for k in condition)
    ):
        return dict(condition)
    return {"$eq": condition}
