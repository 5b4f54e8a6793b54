"""The capabilities the conformance suite checks, under LangGraph's path."""

from __future__ import annotations

from stategraph.testing._lg_conformance import (
    ALL_CAPABILITIES as ALL_CAPABILITIES,
    BASE_CAPABILITIES as BASE_CAPABILITIES,
    EXTENDED_CAPABILITIES as EXTENDED_CAPABILITIES,
    Capability as Capability,
)

__all__ = (
    "ALL_CAPABILITIES",
    "BASE_CAPABILITIES",
    "EXTENDED_CAPABILITIES",
    "Capability",
)
