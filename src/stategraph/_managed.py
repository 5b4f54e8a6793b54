"""Managed values: state keys computed per task from the run's step counters.

They are never stored in checkpoints and cannot be written by nodes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from inspect import isclass
from typing import Annotated, Any, Generic, TypeGuard, TypeVar

V = TypeVar("V")


class ManagedValue(ABC, Generic[V]):
    """A value computed from the running task's scratchpad."""

    @staticmethod
    @abstractmethod
    def get(scratchpad: Any) -> V:
        """Compute the value for the task owning ``scratchpad``."""


ManagedValueSpec = type[ManagedValue[Any]]
ManagedValueMapping = dict[str, ManagedValueSpec]


def is_managed_value(value: Any) -> TypeGuard[ManagedValueSpec]:
    """Say whether ``value`` is a managed-value class."""
    return isclass(value) and issubclass(value, ManagedValue)


class IsLastStepManager(ManagedValue[bool]):
    """True when the running step is the last one the recursion limit allows."""

    @staticmethod
    def get(scratchpad: Any) -> bool:
        """Compute the flag from the scratchpad's step counters."""
        return bool(scratchpad.step == scratchpad.stop - 1)


class RemainingStepsManager(ManagedValue[int]):
    """How many steps the recursion limit still allows."""

    @staticmethod
    def get(scratchpad: Any) -> int:
        """Compute the remaining steps from the scratchpad's step counters."""
        return int(scratchpad.stop - scratchpad.step)


IsLastStep = Annotated[bool, IsLastStepManager]
RemainingSteps = Annotated[int, RemainingStepsManager]
