"""Typing helpers under LangGraph's private path ``langgraph._internal._typing``.

Code ported from LangGraph sometimes imports these; ``MISSING`` is the
channels' own marker of an empty slot, so comparisons against what channels
return keep working.
"""

from __future__ import annotations

from dataclasses import Field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeAlias

from typing_extensions import TypedDict

from stategraph.channels._base import MISSING

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = (
    "EMPTY_SEQ",
    "MISSING",
    "DataclassLike",
    "DeprecatedKwargs",
    "StateLike",
    "TypedDictLikeV1",
    "TypedDictLikeV2",
)


class TypedDictLikeV1(Protocol):
    """A TypedDict class whose key sets are class variables."""

    __required_keys__: ClassVar[frozenset[str]]
    __optional_keys__: ClassVar[frozenset[str]]


class TypedDictLikeV2(Protocol):
    """A TypedDict class whose key sets are plain attributes."""

    __required_keys__: frozenset[str]
    __optional_keys__: frozenset[str]


class DataclassLike(Protocol):
    """A dataclass (it has ``__dataclass_fields__``)."""

    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


# pydantic stays unimported at runtime: the alias only matters to type checkers.
StateLike: TypeAlias = "TypedDictLikeV1 | TypedDictLikeV2 | DataclassLike | BaseModel"
"""A state schema: a TypedDict, a dataclass or a pydantic model."""


class DeprecatedKwargs(TypedDict):
    """Extra keyword arguments, typed so deprecated ones can be flagged."""


EMPTY_SEQ: tuple[str, ...] = ()
"""An empty sequence of strings."""
