"""Managed state values (``IsLastStep``, ``RemainingSteps``).

The classes live in ``stategraph._managed``; the submodules ``base`` and
``is_last_step`` mirror LangGraph's module paths.
"""

from stategraph._managed import (
    IsLastStep as IsLastStep,
    ManagedValue as ManagedValue,
    RemainingSteps as RemainingSteps,
)

__all__ = ("IsLastStep", "RemainingSteps", "ManagedValue")
