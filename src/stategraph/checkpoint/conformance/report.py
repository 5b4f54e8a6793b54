"""The conformance report and progress callbacks, under LangGraph's path."""

from __future__ import annotations

from stategraph.testing._lg_conformance import (
    CapabilityReport as CapabilityReport,
    CapabilityResult as CapabilityResult,
    ProgressCallbacks as ProgressCallbacks,
)

__all__ = ("CapabilityReport", "CapabilityResult", "ProgressCallbacks")
