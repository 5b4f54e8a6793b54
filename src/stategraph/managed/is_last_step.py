"""Step-budget managed values under LangGraph's ``langgraph.managed.is_last_step``."""

from stategraph._managed import (
    IsLastStep as IsLastStep,
    IsLastStepManager as IsLastStepManager,
    RemainingSteps as RemainingSteps,
    RemainingStepsManager as RemainingStepsManager,
)

# LangGraph's module declares this same (partial) list.
__all__ = ("IsLastStep", "RemainingStepsManager")
