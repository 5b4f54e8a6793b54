"""Managed state values (``IsLastStep``, ``RemainingSteps``)."""

from stategraph._managed import (
    IsLastStep as IsLastStep,
    ManagedValue as ManagedValue,
    RemainingSteps as RemainingSteps,
)

__all__ = ("IsLastStep", "RemainingSteps", "ManagedValue")
