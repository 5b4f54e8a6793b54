"""Human-interrupt payload types (LangGraph's ``langgraph.prebuilt.interrupt``)."""

from __future__ import annotations

from stategraph.prebuilt._human import (
    ActionRequest as ActionRequest,
    HumanInterrupt as HumanInterrupt,
    HumanInterruptConfig as HumanInterruptConfig,
    HumanResponse as HumanResponse,
)
from stategraph.warnings import (
    LangGraphDeprecatedSinceV10 as LangGraphDeprecatedSinceV10,  # LangGraph's path
)

__all__ = ["HumanInterruptConfig", "ActionRequest", "HumanInterrupt", "HumanResponse"]
