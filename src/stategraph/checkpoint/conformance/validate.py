"""``validate``: run the conformance suite, under LangGraph's path."""

from __future__ import annotations

from stategraph.testing._lg_conformance import validate as validate

__all__ = ("validate",)
