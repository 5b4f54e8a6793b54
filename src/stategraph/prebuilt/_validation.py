"""``ValidationNode``: checks tool calls against schemas without running them.

Used for extraction: each call becomes a ``ToolMessage`` with the validated JSON,
or with the validation error so the model can try again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from langchain_core.messages import AIMessage, ToolCall, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_executor_for_config
from langchain_core.tools import BaseTool, create_schema_from_function
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ValidationError
from pydantic.v1 import BaseModel as BaseModelV1, ValidationError as ValidationErrorV1
from typing_extensions import deprecated

from stategraph.prebuilt._runnable import RunnableCallable
from stategraph.warnings import LangGraphDeprecatedSinceV10


def _default_format_error(error: BaseException, call: ToolCall, schema: Any) -> str:
    return f"{error!r}\n\nRespond after fixing all validation errors."


def _schema_of(schema: Any) -> tuple[str, Any]:
    """The tool name a schema validates, and the pydantic model doing it."""
    if isinstance(schema, BaseTool):
        args = schema.args_schema
        if args is None:
            raise ValueError(
                f"Tool {schema.name} does not have an args_schema defined."
            )
        if not isinstance(args, type) or not is_basemodel_subclass(args):
            raise ValueError(
                "Validation node only works with tools that have a pydantic "
                f"BaseModel args_schema. Got {schema.name} with args_schema: {args}."
            )
        return schema.name, args
    if isinstance(schema, type) and issubclass(schema, (BaseModel, BaseModelV1)):
        return schema.__name__, schema
    if callable(schema):
        return schema.__name__, create_schema_from_function("Validation", schema)
    raise ValueError(
        "Unsupported input to ValidationNode. Expected BaseModel, tool or "
        f"function. Got: {type(schema)}."
    )


@deprecated(
    "ValidationNode is deprecated. Please use `create_agent` from "
    "`langchain.agents` with custom tool error handling.",
    category=LangGraphDeprecatedSinceV10,
)
class ValidationNode(RunnableCallable):
    """A node that validates the tool calls of the last ``AIMessage``.

    It does not run tools. Each call is answered by a ``ToolMessage`` holding
    the validated arguments as JSON, or the error (with
    ``additional_kwargs={"is_error": True}``) so the model can be re-prompted.

    Args:
        schemas: Pydantic models, tools with a pydantic ``args_schema``, or
            functions (their signature becomes the schema).
        format_error: ``(exception, call, schema) -> str`` for error messages.
        name: Name of the node.
        tags: Tags of the node.
    """

    _graph_node_id = ("langgraph", "prebuilt", "tool_validator", "ValidationNode")

    def __init__(
        self,
        schemas: Sequence[BaseTool | type[BaseModel] | Callable[..., Any]],
        *,
        format_error: Callable[[BaseException, ToolCall, type[BaseModel]], str]
        | None = None,
        name: str = "validation",
        tags: list[str] | None = None,
    ) -> None:
        super().__init__(self._func, None, name=name, tags=tags, trace=False)
        self._format_error = format_error or _default_format_error
        self.schemas_by_name: dict[str, type[BaseModel]] = dict(
            _schema_of(s) for s in schemas
        )

    def _get_message(self, input: Any) -> tuple[str, AIMessage]:
        if isinstance(input, list):
            output_type, messages = "list", input
        elif messages := input.get("messages", []):
            output_type = "dict"
        else:
            raise ValueError("No message found in input")
        message = messages[-1]
        if not isinstance(message, AIMessage):
            raise ValueError("Last message is not an AIMessage")
        return output_type, message

    def _validate(self, call: ToolCall) -> ToolMessage:
        schema: Any = self.schemas_by_name[call["name"]]
        call_id = cast(str, call["id"])
        try:
            if issubclass(schema, BaseModel):
                content = schema.model_validate(call["args"]).model_dump_json()
            else:
                content = schema.validate(call["args"]).json()
        except (ValidationError, ValidationErrorV1) as e:
            return ToolMessage(
                content=self._format_error(e, call, schema),
                name=call["name"],
                tool_call_id=call_id,
                additional_kwargs={"is_error": True},
            )
        return ToolMessage(content=content, name=call["name"], tool_call_id=call_id)

    def _func(self, input: Any, config: RunnableConfig) -> Any:
        output_type, message = self._get_message(input)
        with get_executor_for_config(config) as executor:
            outputs = [*executor.map(self._validate, message.tool_calls)]
        return outputs if output_type == "list" else {"messages": outputs}
