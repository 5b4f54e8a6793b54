"""Python semantics of store filters, namespace patterns and vector ranking.

The in-memory store uses these directly; the SQL stores push what SQL can
express exactly into their queries and apply these functions to the rest,
so every backend answers a search the same way. Pure functions, no I/O.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from stategraph.store.base._records import ListNamespacesOp, MatchCondition

T = TypeVar("T")
OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})


def check_filter(filter: dict[str, Any] | None) -> None:
    """Reject operators no backend understands, before anything runs.

    Raises:
        ValueError: If a ``{"$op": ...}`` condition names an unknown operator.
    """
    for condition in (filter or {}).values():
        if isinstance(condition, dict) and any(k.startswith("$") for k in condition):
            for name in condition:
                if name not in OPERATORS:
                    raise ValueError(f"Unsupported operator: {name}")


def matches_filter(
    value: dict[str, Any],
    filter: dict[str, Any] | None,
    get: Callable[[dict[str, Any], str], Any] | None = None,
) -> bool:
    """Say whether a stored value passes every condition of ``filter``.

    ``get(value, key)`` reads a filter key's field (default ``value.get(key)``).
    """
    if not filter:
        return True
    if get is None:
        return all(compare(value.get(k), wanted) for k, wanted in filter.items())
    return all(compare(get(value, k), wanted) for k, wanted in filter.items())


def compile_filter(filter: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """Turn a (checked) filter into one predicate on stored values.

    Same answers as ``matches_filter``; common conditions (scalars and
    operators on scalars) become small closures, so a scan pays no dispatch
    per item.
    """
    tests = [(key, _compile(wanted)) for key, wanted in filter.items()]
    if len(tests) == 1:
        ((key, test),) = tests
        return lambda value: test(value.get(key))
    if len(tests) == 2:  # common, and cheaper without a loop
        (k1, t1), (k2, t2) = tests
        return lambda value: t1(value.get(k1)) and t2(value.get(k2))

    return lambda value: all(test(value.get(key)) for key, test in tests)


_SCALARS = (str, int, float, bool, type(None))


def _compile(wanted: Any) -> Callable[[Any], bool]:
    if isinstance(wanted, dict) and any(k.startswith("$") for k in wanted):
        parts = [_compile_operator(op, arg) for op, arg in wanted.items()]
        if len(parts) == 1:
            return parts[0]
        return lambda actual: all(part(actual) for part in parts)
    if isinstance(wanted, _SCALARS):
        return _equals(wanted)
    return lambda actual: compare(actual, wanted)


def _equals(wanted: Any) -> Callable[[Any], bool]:
    """``same(actual, wanted)`` specialised on the type of ``wanted``."""
    if wanted is None or wanted.__class__ is bool:
        return lambda actual: actual is wanted
    if wanted.__class__ is str:
        # Only a string equals a string: the bool check of same() is moot.
        return lambda actual: bool(actual == wanted)
    return lambda actual: same(actual, wanted)


def _compile_operator(operator: str, arg: Any) -> Callable[[Any], bool]:
    if operator == "$eq" and isinstance(arg, _SCALARS):
        return _equals(arg)
    if operator == "$ne" and isinstance(arg, _SCALARS):
        return lambda actual: not same(actual, arg)
    bound = _number(arg)
    if bound is not None and operator in _ORDER:
        test = _ORDER[operator]
        # type() rather than isinstance(): bools are not numbers here.
        return lambda actual: type(actual) in (int, float) and test(actual, bound)
    return lambda actual: apply_operator(actual, operator, arg)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def compare(actual: Any, wanted: Any) -> bool:
    """Match one field: operators, nested dicts, lists element-wise, else ``==``."""
    if isinstance(wanted, dict):
        if any(k.startswith("$") for k in wanted):
            return all(apply_operator(actual, op, arg) for op, arg in wanted.items())
        if not isinstance(actual, dict):
            return False
        return all(compare(actual.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(actual) == len(wanted)
            and all(compare(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return same(actual, wanted)


def equal(actual: Any, wanted: Any) -> bool:
    """Deep equality as JSON sees it (``$eq``): no partial dicts, bools apart."""
    if isinstance(wanted, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == wanted.keys()
            and all(equal(actual[k], v) for k, v in wanted.items())
        )
    if isinstance(wanted, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(actual) == len(wanted)
            and all(equal(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return same(actual, wanted)


def same(actual: Any, wanted: Any) -> bool:
    """Scalar equality as JSON sees it: ``True`` is not ``1`` (nor ``1.0``)."""
    return bool(actual == wanted) and (actual.__class__ is bool) == (
        wanted.__class__ is bool
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def apply_operator(actual: Any, operator: str, arg: Any) -> bool:
    """Apply one ``$op`` comparison.

    Ordering operators compare numbers with numbers and strings with
    strings; any other pairing (a missing field included) does not match.

    Raises:
        ValueError: If the operator is unknown.
    """
    if operator == "$eq":
        return equal(actual, arg)
    if operator == "$ne":
        return not equal(actual, arg)
    if operator not in OPERATORS:
        raise ValueError(f"Unsupported operator: {operator}")
    left: Any = _number(actual)
    right: Any = _number(arg)
    if left is None or right is None:
        if not (isinstance(actual, str) and isinstance(arg, str)):
            return False
        left, right = actual, arg
    if operator == "$gt":
        return bool(left > right)
    if operator == "$gte":
        return bool(left >= right)
    if operator == "$lt":
        return bool(left < right)
    return bool(left <= right)


def does_match(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    """Say whether ``namespace`` fits a prefix/suffix pattern (``"*"``: any label)."""
    path = condition.path
    if len(namespace) < len(path):
        return False
    if condition.match_type == "prefix":
        pairs = zip(namespace, path, strict=False)
    elif condition.match_type == "suffix":
        pairs = zip(reversed(namespace), reversed(path), strict=False)
    else:
        raise ValueError(f"Unsupported match type: {condition.match_type}")
    return all(p == "*" or k == p for k, p in pairs)


def namespace_match_pattern(path: tuple[str, ...], match_type: str) -> str:
    """The regex ``does_match`` amounts to on a dot-joined namespace.

    ``"*"`` stands for one whole label; a prefix ends at a separator or the
    end, a suffix starts at one or the start. Kept as LangGraph's
    ``_namespace_match_pattern`` for code that matches namespace text itself.
    """
    body = r"\.".join("[^.]+" if part == "*" else re.escape(part) for part in path)
    if match_type == "suffix":
        return rf"(^|\.){body}\Z"
    return rf"^{body}(\.|\Z)"


def list_namespaces(
    namespaces: Iterable[tuple[str, ...]], op: ListNamespacesOp, *, as_text: bool
) -> list[tuple[str, ...]]:
    """Filter, truncate, deduplicate, sort and page namespaces for ``op``.

    ``as_text`` sorts by the dotted text (SQL stores) instead of by tuple
    (the in-memory store), as LangGraph's stores do.
    """
    found = [
        ns
        for ns in namespaces
        if all(does_match(c, ns) for c in op.match_conditions or ())
    ]
    if op.max_depth is not None:
        found = list({ns[: op.max_depth]: None for ns in found})
    key = (lambda ns: ".".join(ns)) if as_text else None
    ordered = sorted(found, key=key)
    return ordered[op.offset : op.offset + op.limit]


def cosine(query: Sequence[float], vector: Sequence[float]) -> float:
    """Cosine similarity (0.0 when either vector is all zeros)."""
    dot = sum(a * b for a, b in zip(query, vector, strict=False))
    norm = math.sqrt(sum(a * a for a in query)) * math.sqrt(sum(b * b for b in vector))
    return dot / norm if norm else 0.0


def rank(
    query: Sequence[float],
    candidates: Iterable[tuple[T, Sequence[Sequence[float]]]],
    offset: int,
    limit: int,
) -> list[tuple[float | None, T]]:
    """Rank candidates by their best vector's similarity, then page them.

    Candidates without vectors follow the scored ones (score ``None``), in
    their given order, to fill a page the scored ones leave short.
    """
    scored: list[tuple[float, int, T]] = []
    scoreless: list[T] = []
    for position, (item, vectors) in enumerate(candidates):
        if vectors:
            best = max(cosine(query, v) for v in vectors)
            scored.append((best, position, item))
        else:
            scoreless.append(item)
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    kept: list[tuple[float | None, T]] = [
        (score, item) for score, _, item in scored[offset : offset + limit]
    ]
    if scoreless and len(kept) < limit:
        kept.extend((None, item) for item in scoreless[: limit - len(kept)])
    return kept
