"""Argument checks every store shares: namespaces, TTL and refresh defaults.

Kept apart from ``BaseStore`` so every backend (and the batching layer)
rejects the same input with the same error before anything is written.
"""

from __future__ import annotations

from stategraph.errors import InvalidNamespaceError
from stategraph.store.base._records import (
    GetOp,
    ListNamespacesOp,
    MatchCondition,
    NamespacePath,
    NotProvided,
    Op,
    PutOp,
    SearchOp,
    TTLConfig,
)


def validate_namespace_labels(namespace: tuple[str, ...]) -> None:
    """Check every label of ``namespace``.

    Raises:
        InvalidNamespaceError: If a label is not a string, is empty, or holds
            a ``.`` or a NUL byte.
    """
    for label in namespace:
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"Invalid namespace label '{label}' found in {namespace}. Namespace"
                f" labels must be strings, but got {type(label).__name__}."
            )
        if "." in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label '{label}' found in {namespace}. Namespace"
                " labels cannot contain periods ('.')."
            )
        if "\x00" in label:
            raise InvalidNamespaceError(
                f"Invalid namespace label '{label}' found in {namespace}. Namespace"
                " labels cannot contain NUL bytes ('\\x00')."
            )
        if not label:
            raise InvalidNamespaceError(
                f"Namespace labels cannot be empty strings. Got {label} in {namespace}"
            )


def validate_namespace(namespace: tuple[str, ...]) -> None:
    """Check a namespace that is written to.

    Raises:
        InvalidNamespaceError: If it is empty, has a bad label or starts with
            the reserved label ``"langgraph"``.
    """
    if not namespace:
        raise InvalidNamespaceError("Namespace cannot be empty.")
    validate_namespace_labels(namespace)
    if namespace[0] == "langgraph":
        raise InvalidNamespaceError(
            f'Root label for namespace cannot be "langgraph". Got: {namespace}'
        )


_TEXTS: dict[tuple[str, ...], str] = {}
_TEXTS_SIZE = 4096


def namespace_text(namespace: tuple[str, ...]) -> str:
    """The stored form (labels joined by ``.``) of a valid namespace.

    Remembers the namespaces it has checked: the hot read paths of the SQL
    stores see the same few namespaces over and over.

    Raises:
        InvalidNamespaceError: If a label is invalid.
    """
    if type(namespace) is tuple:
        text = _TEXTS.get(namespace)
        if text is not None:
            return text
    validate_namespace_labels(namespace)
    text = ".".join(namespace)
    if type(namespace) is tuple:
        if len(_TEXTS) >= _TEXTS_SIZE:
            _TEXTS.clear()
        _TEXTS[namespace] = text
    return text


def validate_op_namespace(op: Op) -> None:
    """Check the labels of the namespace (or patterns) an operation names.

    Raises:
        InvalidNamespaceError: If a label is invalid.
    """
    if isinstance(op, (GetOp, PutOp)):
        validate_namespace_labels(op.namespace)
    elif isinstance(op, SearchOp):
        validate_namespace_labels(op.namespace_prefix)
    elif isinstance(op, ListNamespacesOp):
        for condition in op.match_conditions or ():
            validate_namespace_labels(condition.path)


def ensure_refresh(
    ttl_config: TTLConfig | None, refresh_ttl: bool | None, default: bool = True
) -> bool:
    """Resolve a read's ``refresh_ttl`` against the store's TTL settings.

    ``default`` applies when neither the read nor the settings say.
    """
    if refresh_ttl is not None:
        return refresh_ttl
    if ttl_config is not None:
        return ttl_config.get("refresh_on_read", default)
    return default


def ensure_ttl(
    ttl_config: TTLConfig | None, ttl: float | NotProvided | None
) -> float | None:
    """Resolve a put's ``ttl`` against the store's default TTL."""
    if isinstance(ttl, NotProvided):
        return ttl_config.get("default_ttl") if ttl_config else None
    return ttl


def list_namespaces_op(
    prefix: NamespacePath | None,
    suffix: NamespacePath | None,
    max_depth: int | None,
    limit: int,
    offset: int,
) -> ListNamespacesOp:
    """Validate ``list_namespaces`` arguments and build the operation."""
    validate_namespace_labels(prefix or ())
    validate_namespace_labels(suffix or ())
    conditions = []
    if prefix:
        conditions.append(MatchCondition(match_type="prefix", path=prefix))
    if suffix:
        conditions.append(MatchCondition(match_type="suffix", path=suffix))
    return ListNamespacesOp(tuple(conditions), max_depth, limit, offset)
