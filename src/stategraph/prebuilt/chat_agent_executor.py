"""The prebuilt ReAct agent (LangGraph's ``langgraph.prebuilt.chat_agent_executor``)."""

from __future__ import annotations

from stategraph.prebuilt._agent_state import (
    AgentState as AgentState,
    AgentStatePydantic as AgentStatePydantic,
    AgentStateWithStructuredResponse as AgentStateWithStructuredResponse,
    AgentStateWithStructuredResponsePydantic as AgentStateWithStructuredResponsePydantic,  # noqa: E501
    Prompt as Prompt,
    StateSchema as StateSchema,
    StateSchemaType as StateSchemaType,
    StructuredResponse as StructuredResponse,
    StructuredResponseSchema as StructuredResponseSchema,
)
from stategraph.prebuilt._react import (
    create_react_agent as create_react_agent,
    create_tool_calling_executor as create_tool_calling_executor,
)

__all__ = [
    "create_react_agent",
    "create_tool_calling_executor",
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
]
