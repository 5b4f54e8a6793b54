"""Type variables of the public API."""

from typing import Any

from typing_extensions import TypeVar

StateT = TypeVar("StateT", default=Any)
StateT_co = TypeVar("StateT_co", covariant=True, default=Any)
StateT_contra = TypeVar("StateT_contra", contravariant=True, default=Any)
ContextT = TypeVar("ContextT", default=None)
ContextT_contra = TypeVar("ContextT_contra", contravariant=True, default=None)
InputT = TypeVar("InputT", default=Any)
OutputT = TypeVar("OutputT", default=Any)

__all__ = (
    "StateT",
    "StateT_co",
    "StateT_contra",
    "InputT",
    "OutputT",
    "ContextT",
    "ContextT_contra",
)
