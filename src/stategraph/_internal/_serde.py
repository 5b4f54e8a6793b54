"""LangGraph's serde allowlist helpers (``langgraph._internal._serde``) on our registry.

LangGraph builds a set of ``(module, name)`` pairs a checkpoint may revive.
stategraph never revives a class from a path: its serializer loads only
registered classes (``stategraph.checkpoint.serde.register_types``), found the
same way, from the graph's schemas. These helpers give LangGraph's view of
that set; building it registers nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from stategraph.checkpoint.serde._builtin_types import _LC_CLASSES
from stategraph.checkpoint.serde._registry import collect_types

__all__ = (
    "build_serde_allowlist",
    "collect_allowlist_from_schemas",
    "curated_core_allowlist",
)

_MESSAGES = "langchain_core.messages"


def curated_core_allowlist() -> set[tuple[str, ...]]:
    """``(module, name)`` of the langchain message classes every graph may store.

    Empty when langchain-core is not installed.
    """
    try:
        module = importlib.import_module(_MESSAGES)
    except ImportError:
        return set()
    found: set[tuple[str, ...]] = set()
    for name in _LC_CLASSES[_MESSAGES]:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            found.add((cls.__module__, cls.__name__))
    return found


def _channel_types(channels: Mapping[str, Any]) -> list[Any]:
    types: list[Any] = []
    for channel in channels.values():
        for attr in ("ValueType", "UpdateType"):
            # A channel may not know its type (e.g. no annotation): skip it.
            try:
                types.append(getattr(channel, attr))
            except (AttributeError, TypeError, NotImplementedError):
                continue
    return types


def collect_allowlist_from_schemas(
    *,
    schemas: Sequence[Any] | None = None,
    channels: Mapping[str, Any] | None = None,
) -> set[tuple[str, ...]]:
    """``(module, name)`` of the storable classes reachable from schemas and channels.

    Dataclasses, pydantic models, enums and NamedTuples are found through
    unions, ``Annotated``, generics, ``NewType`` and the fields of the classes
    (and ``TypedDict`` schemas, which are not listed themselves). ``Any`` and
    ``Literal`` add nothing; an unresolvable forward reference is skipped.

    Args:
        schemas: State, input, output or context schemas, or any annotations.
        channels: Channels whose ``ValueType`` and ``UpdateType`` are walked.
    """
    hints = [s for s in schemas or () if s is not None]
    if channels:
        hints.extend(_channel_types(channels))
    return {(cls.__module__, cls.__name__) for cls in collect_types(*hints)}


def build_serde_allowlist(
    *,
    schemas: Sequence[Any] | None = None,
    channels: Mapping[str, Any] | None = None,
) -> set[tuple[str, ...]]:
    """The curated message classes plus those found in ``schemas`` and ``channels``."""
    found = collect_allowlist_from_schemas(schemas=schemas, channels=channels)
    return curated_core_allowlist() | found
