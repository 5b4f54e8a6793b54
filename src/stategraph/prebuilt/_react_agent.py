"""The nodes and routers of the prebuilt ReAct agent.

``ReactAgent`` holds what ``create_react_agent`` resolved (model, tools, hooks)
and provides the node functions and edge routers; ``_react`` wires them into a
graph.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

from stategraph.constants import END
from stategraph.prebuilt._agent_model import (
    get_model,
    get_prompt_runnable,
    get_state_value,
    validate_chat_history,
)
from stategraph.prebuilt._tool_call import ToolCallWithContext
from stategraph.prebuilt._tool_node import ToolNode
from stategraph.runtime import Runtime
from stategraph.types import Send

_NEED_MORE_STEPS = "Sorry, need more steps to process this request."
_ASYNC_MODEL_IN_SYNC = (
    "Async model callable provided but agent invoked synchronously. "
    "Use agent.ainvoke() or agent.astream(), or "
    "provide a sync model callable."
)
_ASYNC_MODEL_IN_SYNC_STRUCTURED = (
    "Async model callable provided but agent invoked synchronously. "
    "Use agent.ainvoke() or agent.astream(), or provide a sync model callable."
)


class ReactAgent:
    """The resolved parts of one ReAct agent and its node functions.

    Args:
        model: A runnable model (tools bound, prompt not applied), or a callable
            ``(state, runtime) -> model`` chosen per call.
        tool_node: The node running the tools.
        prompt: The prompt in any form ``create_react_agent`` accepts.
        response_format: Schema (or ``(system prompt, schema)``) of the final
            structured response, or ``None``.
        pre_model_hook: Whether a pre-model hook node runs before the model.
        post_model_hook: Whether a post-model hook node runs after the model.
        state_schema: The graph's state schema.
        version: ``"v1"`` (one tools task) or ``"v2"`` (one ``Send`` per call).
        name: The agent's name, set on its AI messages.
    """

    def __init__(
        self,
        model: Any,
        tool_node: ToolNode,
        *,
        prompt: Any,
        response_format: Any,
        pre_model_hook: bool,
        post_model_hook: bool,
        state_schema: Any,
        version: str,
        name: str | None,
    ) -> None:
        self.is_dynamic = not isinstance(model, (str, Runnable)) and callable(model)
        self.is_async_dynamic = self.is_dynamic and inspect.iscoroutinefunction(model)
        self.model = model
        self.static_model: Runnable[Any, Any] | None = (
            None if self.is_dynamic else get_prompt_runnable(prompt) | model
        )
        self.prompt = prompt
        self.tool_node = tool_node
        self.response_format = response_format
        self.has_pre_hook = pre_model_hook
        self.has_post_hook = post_model_hook
        self.state_schema = state_schema
        self.version = version
        self.name = name
        self.entrypoint = "pre_model_hook" if pre_model_hook else "agent"
        self.return_direct = {
            t.name for t in tool_node.tools_by_name.values() if t.return_direct
        }

    # -- model resolution -------------------------------------------------------

    def resolve_model(self, state: Any, runtime: Runtime[Any]) -> Any:
        """The prompt-and-model runnable to call for ``state``."""
        if self.is_dynamic:
            return get_prompt_runnable(self.prompt) | self.model(state, runtime)
        return self.static_model

    async def aresolve_model(self, state: Any, runtime: Runtime[Any]) -> Any:
        """``resolve_model``, awaiting an async model selector."""
        if self.is_async_dynamic:
            chosen = await self.model(state, runtime)
            return get_prompt_runnable(self.prompt) | chosen
        return self.resolve_model(state, runtime)

    # -- the "agent" node -------------------------------------------------------

    def _model_input(self, state: Any) -> Any:
        """The state with ``messages`` set to what the model must read."""
        if self.has_pre_hook:
            messages = get_state_value(state, "llm_input_messages") or get_state_value(
                state, "messages"
            )
            expected = "'llm_input_messages' or 'messages' key"
        else:
            messages = get_state_value(state, "messages")
            expected = "'messages' key"
        if messages is None:
            raise ValueError(
                f"Expected input to call_model to have {expected}, but got {state}"
            )
        validate_chat_history(messages)
        if isinstance(self.state_schema, type) and issubclass(
            self.state_schema, BaseModel
        ):
            state.messages = messages
        else:
            state["messages"] = messages
        return state

    def _needs_more_steps(self, state: Any, response: BaseMessage) -> bool:
        is_ai = isinstance(response, AIMessage)
        calls = response.tool_calls if isinstance(response, AIMessage) else []
        all_direct = is_ai and all(c["name"] in self.return_direct for c in calls)
        remaining = get_state_value(state, "remaining_steps", None)
        if remaining is None:
            return False
        return (remaining < 1 and all_direct) or (remaining < 2 and bool(calls))

    def _update(self, state: Any, response: Any) -> dict[str, Any]:
        response.name = self.name
        if self._needs_more_steps(state, response):
            response = AIMessage(id=response.id, content=_NEED_MORE_STEPS)
        return {"messages": [response]}

    def call_model(
        self, state: Any, runtime: Runtime[Any], config: RunnableConfig
    ) -> dict[str, Any]:
        """The ``agent`` node: call the model once and append its answer."""
        if self.is_async_dynamic:
            raise RuntimeError(_ASYNC_MODEL_IN_SYNC)
        model_input = self._model_input(state)
        response = self.resolve_model(state, runtime).invoke(model_input, config)
        return self._update(state, cast(AIMessage, response))

    async def acall_model(
        self, state: Any, runtime: Runtime[Any], config: RunnableConfig
    ) -> dict[str, Any]:
        """The async ``agent`` node."""
        model_input = self._model_input(state)
        model = await self.aresolve_model(state, runtime)
        response = await model.ainvoke(model_input, config)
        return self._update(state, cast(AIMessage, response))

    # -- structured response ----------------------------------------------------

    def _structured_input(self, state: Any) -> tuple[list[Any], Any]:
        messages = get_state_value(state, "messages")
        schema = self.response_format
        if isinstance(schema, tuple):
            system_prompt, schema = schema
            messages = [SystemMessage(content=system_prompt), *messages]
        return messages, schema

    def generate_structured_response(
        self, state: Any, runtime: Runtime[Any], config: RunnableConfig
    ) -> dict[str, Any]:
        """The ``generate_structured_response`` node."""
        if self.is_async_dynamic:
            raise RuntimeError(_ASYNC_MODEL_IN_SYNC_STRUCTURED)
        messages, schema = self._structured_input(state)
        model = get_model(self.resolve_model(state, runtime))
        response = model.with_structured_output(schema).invoke(messages, config)
        return {"structured_response": response}

    async def agenerate_structured_response(
        self, state: Any, runtime: Runtime[Any], config: RunnableConfig
    ) -> dict[str, Any]:
        """The async ``generate_structured_response`` node."""
        messages, schema = self._structured_input(state)
        model = get_model(await self.aresolve_model(state, runtime))
        response = await model.with_structured_output(schema).ainvoke(messages, config)
        return {"structured_response": response}

    # -- routers ----------------------------------------------------------------

    def _sends(self, state: Any, calls: list[Any]) -> list[Send]:
        return [
            Send(
                "tools",
                ToolCallWithContext(
                    __type="tool_call_with_context", tool_call=call, state=state
                ),
            )
            for call in calls
        ]

    def _done(self) -> str:
        if self.response_format is not None:
            return "generate_structured_response"
        return END

    def should_continue(self, state: Any) -> str | list[Send]:
        """Route after the model: to the tools, the post hook, or the end."""
        last = get_state_value(state, "messages")[-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            return "post_model_hook" if self.has_post_hook else self._done()
        if self.version == "v1":
            return "tools"
        if self.has_post_hook:
            return "post_model_hook"
        return self._sends(state, last.tool_calls)

    def post_model_hook_router(self, state: Any) -> str | list[Send]:
        """Route after the post hook: pending tool calls, back to the model, or end."""
        messages = get_state_value(state, "messages")
        answered = [m.tool_call_id for m in messages if isinstance(m, ToolMessage)]
        last_ai = next(m for m in reversed(messages) if isinstance(m, AIMessage))
        pending = [c for c in last_ai.tool_calls if c["id"] not in answered]
        if pending:
            return self._sends(state, pending)
        if isinstance(messages[-1], ToolMessage):
            return self.entrypoint
        return self._done()

    def route_tool_responses(self, state: Any) -> str:
        """After the tools: end when a ``return_direct`` tool ran, else loop."""
        message: Any = None
        for message in reversed(get_state_value(state, "messages")):
            if not isinstance(message, ToolMessage):
                break
            if message.name in self.return_direct:
                return END
        # With v2 a return_direct tool may have run in another Send's task.
        if (
            isinstance(message, AIMessage)
            and message.tool_calls
            and any(c["name"] in self.return_direct for c in message.tool_calls)
        ):
            return END
        return self.entrypoint
