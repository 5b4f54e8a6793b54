"""Tool-call validation node (LangGraph's ``langgraph.prebuilt.tool_validator``)."""

from __future__ import annotations

from stategraph.prebuilt._validation import ValidationNode as ValidationNode

__all__ = ["ValidationNode"]
