"""Compatibility path of LangGraph's ``langgraph.pregel.main``.

Re-exports ``Pregel`` and the v3 streaming helpers that code written against
that module imports.
"""

from __future__ import annotations

from stategraph.pregel._builder import NodeBuilder as NodeBuilder
from stategraph.pregel._pregel import Pregel as Pregel
from stategraph.pregel._stream_events import (
    _collect_stream_modes as _collect_stream_modes,
    _normalize_stream_transformer_factories as _normalize_stream_transformer_factories,
    _reject_v3_invariant_kwargs as _reject_v3_invariant_kwargs,
    _resolve_parent_ns as _resolve_parent_ns,
)

__all__ = ("Pregel",)
