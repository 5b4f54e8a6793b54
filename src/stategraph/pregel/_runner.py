"""LangGraph's ``PregelRunner`` name (``langgraph.pregel._runner``).

stategraph's drivers (``_engine._sync``/``_engine._async``) run tasks without a
runner object, so none is ever created; the class exists so that code
importing it, or counting live instances, keeps working.
"""

from __future__ import annotations


class PregelRunner:
    """Placeholder for LangGraph's task runner; stategraph never instantiates it."""


__all__ = ["PregelRunner"]
