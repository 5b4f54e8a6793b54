"""The prebuilt ReAct agent (LangGraph's ``langgraph.prebuilt.chat_agent_executor``).

Also carries LangGraph's private helpers under their names, for ported tests.
"""

from __future__ import annotations

from stategraph.prebuilt._agent_model import (
    PROMPT_RUNNABLE_NAME as PROMPT_RUNNABLE_NAME,
    get_model as _get_model,  # noqa: F401  # LangGraph's private name
    get_prompt_runnable as _get_prompt_runnable,  # noqa: F401  # same
    get_state_value as _get_state_value,  # noqa: F401  # same
    should_bind_tools as _should_bind_tools,  # noqa: F401  # same
    validate_chat_history as _validate_chat_history,  # noqa: F401  # same
)
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
