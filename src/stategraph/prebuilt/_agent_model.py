"""The model side of the ReAct agent: prompt, tool binding, chat-history checks.

Pure helpers of ``create_react_agent``; they build runnables but run nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableSequence
from langchain_core.tools import BaseTool

from stategraph.errors import ErrorCode, create_error_message
from stategraph.prebuilt._runnable import RunnableCallable

PROMPT_RUNNABLE_NAME = "Prompt"


def get_state_value(state: Any, key: str, default: Any = None) -> Any:
    """``state[key]`` for dict states, ``state.key`` for objects."""
    if isinstance(state, dict):
        return state.get(key, default)
    return getattr(state, key, default)


def get_prompt_runnable(prompt: Any) -> Runnable[Any, Any]:
    """The runnable turning the state into the model's input, for each prompt form."""
    if prompt is None:
        return RunnableCallable(
            lambda state: get_state_value(state, "messages"), name=PROMPT_RUNNABLE_NAME
        )
    if isinstance(prompt, str):
        system: BaseMessage = SystemMessage(content=prompt)
        return RunnableCallable(
            lambda state: [system, *get_state_value(state, "messages")],
            name=PROMPT_RUNNABLE_NAME,
        )
    if isinstance(prompt, SystemMessage):
        return RunnableCallable(
            lambda state: [prompt, *get_state_value(state, "messages")],
            name=PROMPT_RUNNABLE_NAME,
        )
    if inspect.iscoroutinefunction(prompt):
        return RunnableCallable(None, prompt, name=PROMPT_RUNNABLE_NAME)
    if callable(prompt):
        return RunnableCallable(prompt, name=PROMPT_RUNNABLE_NAME)
    if isinstance(prompt, Runnable):
        return prompt
    raise ValueError(f"Got unexpected type for `prompt`: {type(prompt)}")


def _first_model_step(model: Any) -> Any:
    if isinstance(model, RunnableSequence):
        return next(
            (s for s in model.steps if isinstance(s, (RunnableBinding, BaseChatModel))),
            model,
        )
    return model


def should_bind_tools(
    model: Any, tools: Sequence[BaseTool], num_builtin: int = 0
) -> bool:
    """Whether ``model`` still needs ``bind_tools``; checks tools already bound."""
    model = _first_model_step(model)
    if not isinstance(model, RunnableBinding) or "tools" not in model.kwargs:
        return True
    bound = model.kwargs["tools"]
    if len(tools) != len(bound) - num_builtin:
        raise ValueError(
            "Number of tools in the model.bind_tools() and tools passed to "
            "create_react_agent must match"
            f" Got {len(tools)} tools, expected {len(bound) - num_builtin}"
        )
    bound_names = set()
    for spec in bound:
        if spec.get("type") == "function":
            bound_names.add(spec["function"]["name"])
        elif spec.get("name"):
            bound_names.add(spec["name"])
    if missing := {t.name for t in tools} - bound_names:
        raise ValueError(f"Missing tools '{missing}' in the model.bind_tools()")
    return False


def get_model(model: Any) -> BaseChatModel:
    """The chat model under a binding or a prompt sequence."""
    model = _first_model_step(model)
    if isinstance(model, RunnableBinding):
        model = model.bound
    if not isinstance(model, BaseChatModel):
        raise TypeError(
            "Expected `model` to be a ChatModel or RunnableBinding "
            f"(e.g. model.bind_tools(...)), got {type(model)}"
        )
    return model


def validate_chat_history(messages: Sequence[BaseMessage]) -> None:
    """Raise when an AI tool call has no ``ToolMessage`` answering it."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    missing = [
        call
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call["id"] not in answered
    ]
    if not missing:
        return
    raise ValueError(
        create_error_message(
            message="Found AIMessages with tool_calls that do not have a "
            "corresponding ToolMessage. "
            f"Here are the first few of those tool calls: {missing[:3]}.\n\n"
            "Every tool call (LLM requesting to call a tool) in the message history "
            "MUST have a corresponding ToolMessage "
            "(result of a tool invocation to return to the LLM) - this is required "
            "by most LLM providers.",
            error_code=ErrorCode.INVALID_CHAT_HISTORY,
        )
    )
