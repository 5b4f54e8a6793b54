"""The managed-value base class under LangGraph's ``langgraph.managed.base`` path."""

from stategraph._managed import (
    ManagedValue as ManagedValue,
    ManagedValueMapping as ManagedValueMapping,
    ManagedValueSpec as ManagedValueSpec,
    V as V,
    is_managed_value as is_managed_value,
)

__all__ = ("ManagedValueSpec", "ManagedValueMapping")
