"""Saver factory registration (``checkpointer_test``), under LangGraph's path."""

from __future__ import annotations

from stategraph.testing._lg_conformance import (
    LifespanFactory as LifespanFactory,
    RegisteredCheckpointer as RegisteredCheckpointer,
    checkpointer_test as checkpointer_test,
)

__all__ = ("LifespanFactory", "RegisteredCheckpointer", "checkpointer_test")
