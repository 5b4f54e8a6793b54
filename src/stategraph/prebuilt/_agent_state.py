"""The state schemas of the prebuilt ReAct agent (all deprecated, as in LangGraph).

Declared here once; ``create_react_agent`` picks one and custom schemas must have
the same keys. The docstrings are LangGraph's word for word: they become the
``description`` of the graph's JSON schemas, which servers show to clients.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage, SystemMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel
from typing_extensions import NotRequired, TypedDict, deprecated

from stategraph.graph.message import add_messages
from stategraph.managed import RemainingSteps
from stategraph.warnings import LangGraphDeprecatedSinceV10

StructuredResponse = dict | BaseModel  # type: ignore[type-arg]  # LangGraph's alias
StructuredResponseSchema = dict | type[BaseModel]  # type: ignore[type-arg]  # as above


@deprecated(
    "AgentState has been moved to `langchain.agents`. Please update your import to "
    "`from langchain.agents import AgentState`.",
    category=LangGraphDeprecatedSinceV10,
)
class AgentState(TypedDict):
    """The state of the agent."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: NotRequired[RemainingSteps]


@deprecated(
    "AgentStatePydantic has been deprecated in favor of AgentState in "
    "`langchain.agents`.",
    category=LangGraphDeprecatedSinceV10,
)
class AgentStatePydantic(BaseModel):
    """The state of the agent."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: RemainingSteps = 25


with warnings.catch_warnings():
    # Defining the subclass would warn about its deprecated base.
    warnings.filterwarnings(
        "ignore",
        category=LangGraphDeprecatedSinceV10,
        message="AgentState has been moved to `langchain.agents`.*",
    )

    @deprecated(
        "AgentStateWithStructuredResponse has been deprecated in favor of "
        "AgentState in `langchain.agents`.",
        category=LangGraphDeprecatedSinceV10,
    )
    class AgentStateWithStructuredResponse(AgentState):
        """The state of the agent with a structured response."""

        structured_response: StructuredResponse


with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        category=LangGraphDeprecatedSinceV10,
        message="AgentStatePydantic has been deprecated in favor of AgentState in "
        "`langchain.agents`.",
    )

    @deprecated(
        "AgentStateWithStructuredResponsePydantic has been deprecated in favor of "
        "AgentState in `langchain.agents`.",
        category=LangGraphDeprecatedSinceV10,
    )
    class AgentStateWithStructuredResponsePydantic(AgentStatePydantic):
        """The state of the agent with a structured response."""

        structured_response: StructuredResponse


with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=LangGraphDeprecatedSinceV10)
    StateSchema = TypeVar("StateSchema", bound=AgentState | AgentStatePydantic)
    StateSchemaType = type[StateSchema]

Prompt = (
    SystemMessage
    | str
    | Callable[[Any], LanguageModelInput]
    | Runnable[Any, LanguageModelInput]
)
