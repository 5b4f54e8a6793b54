"""Checking what tools return and folding the results into one node update.

A tool may return a value, a ``ToolMessage``, a ``Command`` or a list of those;
every call must still end with exactly one ``ToolMessage`` for its id, because
chat models reject histories with unanswered tool calls.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from typing import Any, Literal, cast

from langchain_core.messages import RemoveMessage, ToolCall, ToolMessage
from langchain_core.messages.utils import convert_to_messages

from stategraph.graph.message import REMOVE_ALL_MESSAGES
from stategraph.prebuilt._tool_errors import msg_content_output
from stategraph.types import Command, Send

InputType = Literal["list", "dict", "tool_calls"]
Output = ToolMessage | Command[Any]


def normalize_tool_response(
    response: Any, call: ToolCall, input_type: InputType, messages_key: str
) -> Output | list[Output]:
    """Check a tool's return value (a message, a ``Command`` or a list of them)."""
    if isinstance(response, Command):
        return validate_tool_command(response, call, input_type, messages_key)
    if isinstance(response, ToolMessage):
        response.content = cast("str | list[Any]", msg_content_output(response.content))
        return response
    if isinstance(response, list):
        if all(isinstance(r, (Command, ToolMessage)) for r in response):
            return _validate_list(response, call, input_type, messages_key)
        raise TypeError(
            f"Tool {call['name']} returned a list with invalid element "
            "types: expected all Command or ToolMessage"
        )
    raise TypeError(f"Tool {call['name']} returned unexpected type: {type(response)}")


def _validate_list(
    response: list[Output], call: ToolCall, input_type: InputType, messages_key: str
) -> list[Output]:
    """A list must hold exactly one ``ToolMessage`` answering ``call``."""
    expected = call["id"]
    count = 0
    for item in response:
        if isinstance(item, ToolMessage):
            count += item.tool_call_id == expected
        elif isinstance(item.update, dict):
            count += sum(
                isinstance(m, ToolMessage) and m.tool_call_id == expected
                for m in item.update.get(messages_key, [])
            )
    if count != 1:
        raise ValueError(
            f"Tool {call['name']} returned a list with {count} messages bound to "
            f"tool_call_id {expected!r}; expected exactly one terminating ToolMessage."
        )
    out: list[Output] = []
    for item in response:
        if isinstance(item, Command):
            out.append(
                validate_tool_command(
                    item, call, input_type, messages_key, require_terminator=False
                )
            )
        else:
            item.content = cast("str | list[Any]", msg_content_output(item.content))
            out.append(item)
    return out


def validate_tool_command(
    command: Command[Any],
    call: ToolCall,
    input_type: InputType,
    messages_key: str,
    *,
    require_terminator: bool = True,
) -> Command[Any]:
    """Check a tool's ``Command``: its update shape, and its answering message."""
    if isinstance(command.update, dict):
        if input_type not in ("dict", "tool_calls"):
            raise ValueError(
                "Tools can provide a dict in Command.update only when using dict "
                f"with '{messages_key}' key as ToolNode input, "
                f"got: {command.update} for tool '{call['name']}'"
            )
        updated = deepcopy(command)
        messages = cast("dict[str, Any]", updated.update or {}).get(messages_key, [])
    elif isinstance(command.update, list):
        if input_type != "list":
            raise ValueError(
                "Tools can provide a list of messages in Command.update "
                "only when using list of messages as ToolNode input, "
                f"got: {command.update} for tool '{call['name']}'"
            )
        updated = deepcopy(command)
        messages = updated.update
    else:
        return command
    messages = convert_to_messages(messages)
    if messages == [RemoveMessage(id=REMOVE_ALL_MESSAGES)]:
        return updated
    answered = False
    for message in messages:
        if isinstance(message, ToolMessage) and message.tool_call_id == call["id"]:
            message.name = call["name"]
            answered = True
    if require_terminator and updated.graph is None and not answered:
        raise ValueError(_missing_answer(call, messages, input_type))
    return updated


def _missing_answer(call: ToolCall, messages: list[Any], input_type: InputType) -> str:
    example = (
        '`Command(update={"messages": '
        '[ToolMessage("Success", tool_call_id=tool_call_id), ...]}, ...)`'
        if input_type == "dict"
        else "`Command(update="
        '[ToolMessage("Success", tool_call_id=tool_call_id), ...], ...)`'
    )
    return (
        "Expected to have a matching ToolMessage in Command.update "
        f"for tool '{call['name']}', got: {messages}. "
        "Every tool call (LLM requesting to call a tool) "
        "in the message history MUST have a corresponding ToolMessage. "
        f"You can fix it by modifying the tool to return {example}."
    )


def combine_tool_outputs(
    outputs: list[Output | list[Output]], input_type: InputType, messages_key: str
) -> Any:
    """The node's return value for all its calls' results.

    Without ``Command``s this is ``{messages_key: [...]}`` (or the bare list for
    list input); with them, a list of updates and commands, where the parent
    ``Send``s of several tools merge into one ``Command``.
    """
    flat: list[Output] = []
    for output in outputs:
        flat.extend(output if isinstance(output, list) else [output])
    if not any(isinstance(o, Command) for o in flat):
        return flat if input_type == "list" else {messages_key: flat}
    combined: list[Any] = []
    parent: Command[Any] | None = None
    for output in flat:
        if not isinstance(output, Command):
            combined.append(
                [output] if input_type == "list" else {messages_key: [output]}
            )
        elif (
            output.graph is Command.PARENT
            and isinstance(output.goto, list)
            and all(isinstance(s, Send) for s in output.goto)
        ):
            parent = (
                Command(graph=Command.PARENT, goto=output.goto)
                if parent is None
                else replace(
                    parent, goto=[*cast("list[Send]", parent.goto), *output.goto]
                )
            )
        else:
            combined.append(output)
    if parent is not None:
        combined.append(parent)
    return combined
