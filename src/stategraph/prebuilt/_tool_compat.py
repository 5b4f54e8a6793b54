"""Let langchain tools return stategraph ``Command``s unchanged.

LangGraph's ``Command`` subclasses langchain's ``ToolOutputMixin``, which is how
``BaseTool`` knows to hand it back instead of wrapping it in a ``ToolMessage``.
Ours cannot (the core must not import langchain), so importing ``prebuilt``
teaches langchain's output formatter to pass ours through too.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages.tool import ToolOutputMixin
from langchain_core.tools import base as tools_base

from stategraph.types import Command

_MARK = "__stategraph_command_passthrough__"


def install_command_passthrough() -> None:
    """Wrap langchain's tool-output formatter once so ``Command``s pass through."""
    original = tools_base._format_output
    if getattr(original, _MARK, False):
        return

    def format_output(
        content: Any, artifact: Any, tool_call_id: Any, name: str, status: str
    ) -> Any:
        if isinstance(content, Command) or (
            isinstance(content, list)
            and content
            and all(isinstance(c, (Command, ToolOutputMixin)) for c in content)
        ):
            return content
        return original(content, artifact, tool_call_id, name, status)

    setattr(format_output, _MARK, True)
    tools_base._format_output = format_output
