"""A scripted chat model that calls tools, for testing agents without a network.

Needs langchain-core (the ``langchain`` extra); ``stategraph.testing`` imports
this module only when its names are used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from pydantic import BaseModel


class FakeToolCallingModel(BaseChatModel):
    """A chat model that answers from a script and supports ``bind_tools``.

    Call ``i`` answers with an ``AIMessage`` whose content joins the input
    messages' contents with ``-``, whose id is ``str(i)`` and whose tool calls
    are ``tool_calls[i % len(tool_calls)]`` (none when ``tool_calls`` is empty).

    With ``responses`` the answers are those messages instead (cycled, copied,
    given the id ``str(i)`` when they have none), to script anything a model
    may return, malformed tool calls included.

    Attributes:
        tool_calls: The tool calls of each answer, cycled.
        responses: Whole answers to give instead, cycled.
        structured_response: What ``with_structured_output(...)`` returns.
        index: Number of answers given so far.
        tool_style: How ``bind_tools`` describes tools (``"openai"`` or
            ``"anthropic"``), for code that reads bound tool specs.

    Example:
        ``FakeToolCallingModel(tool_calls=[[{"name": "add", "args": {"a": 1},
        "id": "1"}], []])`` calls ``add`` once, then answers without tools.
    """

    tool_calls: list[list[ToolCall]] | None = None
    responses: list[BaseMessage] | None = None
    structured_response: Any = None
    index: int = 0
    tool_style: Literal["openai", "anthropic"] = "openai"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message: BaseMessage
        if self.responses:
            scripted = self.responses[self.index % len(self.responses)]
            message = scripted.model_copy(
                update={"id": scripted.id or str(self.index)}, deep=True
            )
        else:
            content = "-".join(str(m.content) for m in messages)
            calls = (
                self.tool_calls[self.index % len(self.tool_calls)]
                if self.tool_calls
                else []
            )
            message = AIMessage(
                content=content, id=str(self.index), tool_calls=list(calls)
            )
        self.index += 1
        return ChatResult(generations=[ChatGeneration(message=message)])

    @property
    def _llm_type(self) -> str:
        return "fake-tool-call-model"

    def with_structured_output(
        self, schema: Any, **kwargs: Any
    ) -> Runnable[LanguageModelInput, Any]:
        """A runnable returning ``structured_response`` whatever the input.

        Raises:
            ValueError: When no ``structured_response`` was scripted.
        """
        if self.structured_response is None:
            raise ValueError("Structured response is not set")
        return RunnableLambda(lambda _: self.structured_response)

    def bind_tools(  # type: ignore[override]  # LangGraph's test model's signature
        self,
        tools: Sequence[
            dict[str, Any] | type[BaseModel] | Callable[..., Any] | BaseTool
        ],
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, BaseMessage]:
        """Bind simplified specs of ``tools`` (names only) to the model.

        Raises:
            ValueError: When ``tools`` is empty.
            TypeError: For a tool that is neither a ``BaseTool`` nor a dict.
        """
        if not tools:
            raise ValueError("Must provide at least one tool")
        specs: list[dict[str, Any]] = []
        for tool in tools:
            if isinstance(tool, dict):
                specs.append(tool)
            elif not isinstance(tool, BaseTool):
                raise TypeError(
                    "Only BaseTool and dict is supported by "
                    "FakeToolCallingModel.bind_tools"
                )
            elif self.tool_style == "openai":
                specs.append({"type": "function", "function": {"name": tool.name}})
            else:
                specs.append({"name": tool.name})
        return self.bind(tools=specs)
