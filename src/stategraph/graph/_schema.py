"""Turn state schemas (TypedDict, dataclass, pydantic, plain types) into channels.

Reads annotations once at build time; nothing here runs per step.
"""

from __future__ import annotations

import dataclasses
import typing
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from inspect import isclass, signature
from typing import Any, get_args, get_origin, get_type_hints

from typing_extensions import NotRequired, Required

from stategraph._managed import ManagedValueSpec, is_managed_value
from stategraph.channels import (
    BaseChannel,
    BinaryOperatorAggregate,
    DeltaChannel,
    LastValue,
)

_WRAPPERS = (Required, NotRequired, typing.Required, typing.NotRequired)


def warn_invalid_state_schema(schema: Any) -> None:
    """Warn when ``schema`` is neither a type nor an ``Annotated`` alias."""
    if isinstance(schema, type) or get_args(schema):
        return
    warnings.warn(
        f"Invalid state_schema: {schema}. Expected a type or Annotated[type, "
        "reducer]. Please provide a valid schema to ensure correct updates.\n"
        " See: https://langchain-ai.github.io/langgraph/reference/graphs/#stategraph",
        stacklevel=3,
    )


def channels_of(
    schema: Any,
) -> tuple[
    dict[str, BaseChannel[Any, Any, Any]], dict[str, ManagedValueSpec], dict[str, Any]
]:
    """Return the channels, managed values and type hints declared by ``schema``."""
    if not hasattr(schema, "__annotations__"):
        root = channel_for("__root__", schema, allow_managed=False)
        assert isinstance(root, BaseChannel)
        return {"__root__": root}, {}, {}
    hints = get_type_hints(schema, include_extras=True)
    found = {
        name: channel_for(name, typ)
        for name, typ in hints.items()
        if name != "__slots__"
    }
    channels = {k: v for k, v in found.items() if isinstance(v, BaseChannel)}
    managed = {k: v for k, v in found.items() if is_managed_value(v)}
    return channels, managed, hints


def channel_for(
    name: str, annotation: Any, *, allow_managed: bool = True
) -> BaseChannel[Any, Any, Any] | ManagedValueSpec:
    """Pick the channel for one field: explicit channel, reducer, or ``LastValue``."""
    if get_origin(annotation) in _WRAPPERS:
        annotation = get_args(annotation)[0]
    if managed := _managed_of(annotation):
        if allow_managed:
            return managed
        raise ValueError(f"This {annotation} not allowed in this position")
    channel = _explicit_channel(annotation) or _reducer_channel(annotation)
    if channel is None:
        channel = LastValue(annotation)
    channel.key = name
    return channel


def _explicit_channel(typ: Any) -> BaseChannel[Any, Any, Any] | None:
    for item in getattr(typ, "__metadata__", ()):
        if isinstance(item, DeltaChannel) and hasattr(typ, "__origin__"):
            return _typed_delta(item, typ.__origin__)
        if isinstance(item, BaseChannel):
            return item
        if isclass(item) and issubclass(item, BaseChannel):
            return item(getattr(typ, "__origin__", typ))
    return None


def _typed_delta(channel: DeltaChannel[Any], origin: Any) -> DeltaChannel[Any]:
    """A copy of ``channel`` typed by the annotated type (its empty value)."""
    if get_origin(origin) in _WRAPPERS:
        origin = get_args(origin)[0]
    return DeltaChannel(
        channel.reducer, origin, snapshot_frequency=channel.snapshot_frequency
    )


def _reducer_channel(typ: Any) -> BaseChannel[Any, Any, Any] | None:
    meta = getattr(typ, "__metadata__", None)
    if not meta or not callable(meta[-1]):
        return None
    sig = signature(meta[-1])
    positional = sum(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in sig.parameters.values()
    )
    if positional != 2:
        raise ValueError(f"Invalid reducer signature. Expected (a, b) -> c. Got {sig}")
    return BinaryOperatorAggregate(typ, meta[-1])


def _managed_of(typ: Any) -> ManagedValueSpec | None:
    meta = getattr(typ, "__metadata__", None)
    if meta:
        last = get_origin(meta[-1]) or meta[-1]
        if is_managed_value(last):
            return last
    if get_origin(typ) is not None and (args := get_args(typ)) and args[0]:
        return _managed_of(args[0])
    return None


def pick_mapper(
    keys: Sequence[str], schema: Any
) -> Callable[[dict[str, Any]], Any] | None:
    """Return the function that turns a state dict into ``schema`` objects, if any."""
    if list(keys) == ["__root__"]:
        return None
    if isclass(schema) and (
        dataclasses.is_dataclass(schema) or _is_pydantic_model(schema)
    ):
        return partial(_coerce, schema)
    return None


def _coerce(schema: Callable[..., Any], values: dict[str, Any]) -> Any:
    return schema(**values)


def _is_pydantic_model(cls: type[Any]) -> bool:
    # Checked by attribute, not isinstance, so pydantic is never imported here.
    return hasattr(cls, "model_fields") and hasattr(cls, "model_validate")
