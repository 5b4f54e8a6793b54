"""A2A messages and LangChain messages: converting one to the other.

An A2A message has ``parts`` (``text``, ``file``, ``data``); a graph takes
``{"messages": [...]}`` plus, from data parts, top-level input keys. Going
back, public human and AI messages become A2A messages and the last AI
message of the turn becomes the task's artifact. Internally roles and states
are the A2A 1.0 enums (``ROLE_AGENT``, ``TASK_STATE_COMPLETED``); callers
using the 0.x method names (``message/send``) get them lowercased by
``to_spec_format``, as LangGraph's server answers them.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

#: Environment variable: the tools whose results A2A publishes (default: all).
ALLOWED_TOOLS_ENV = "A2A_ALLOWED_TOOL_CALL_RESULTS"
#: A2A 1.0 roles and states as the 0.x spec (and the ``a2a-sdk``) writes them.
ROLE_TO_LEGACY = {"ROLE_USER": "user", "ROLE_AGENT": "agent"}
STATE_TO_LEGACY = {
    "TASK_STATE_SUBMITTED": "submitted",
    "TASK_STATE_WORKING": "working",
    "TASK_STATE_COMPLETED": "completed",
    "TASK_STATE_FAILED": "failed",
    "TASK_STATE_CANCELED": "canceled",
    "TASK_STATE_INPUT_REQUIRED": "input-required",
    "TASK_STATE_REJECTED": "rejected",
    "TASK_STATE_AUTH_REQUIRED": "auth-required",
}
_ROLE_FROM_LEGACY = {v: k for k, v in ROLE_TO_LEGACY.items()}
_USER_TYPES = {"human", "humanmessage", "humanmessagechunk"}
_AGENT_TYPES = {"ai", "aimessage", "aimessagechunk"}
_ROLE_TYPES = {"chat", "chatmessage", "chatmessagechunk"}
_MEDIA_BLOCKS = {"audio", "file", "image", "video"}


def to_spec_format(data: Any) -> Any:
    """``data`` with 0.x roles and states, and ``{"task": t}`` results unwrapped."""
    if isinstance(data, list):
        return [to_spec_format(item) for item in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "role" and isinstance(value, str):
            out[key] = ROLE_TO_LEGACY.get(value, value)
        elif key == "state" and isinstance(value, str):
            out[key] = STATE_TO_LEGACY.get(value, value)
        elif key == "result" and isinstance(value, dict) and list(value) == ["task"]:
            out[key] = to_spec_format(value["task"])
        else:
            out[key] = to_spec_format(value)
    return out


def input_role(role: str) -> str:
    """An incoming role (0.x ``user`` or 1.0 ``ROLE_USER``) as the 1.0 enum."""
    return _ROLE_FROM_LEGACY.get(role, role)


def _file_block(part: dict[str, Any]) -> dict[str, Any]:
    """A file part as a LangChain content block (URIs are passed on, not fetched)."""
    file = part.get("file")
    if not isinstance(file, dict):
        raise ValueError("FilePart must contain a 'file' object with 'bytes' or 'uri'.")
    data, uri = file.get("bytes"), file.get("uri")
    if data is None and uri is None:
        raise ValueError("FilePart 'file' must contain either 'bytes' or 'uri'.")
    if data is not None and uri is not None:
        raise ValueError("FilePart 'file' must contain only one of 'bytes' or 'uri'.")
    mime = file.get("mimeType")
    top = mime.split("/", 1)[0].strip().lower() if isinstance(mime, str) else ""
    block: dict[str, Any] = {
        "type": top if top in ("image", "audio", "video") else "file"
    }
    if data is not None:
        block["base64"] = data
    else:
        block["url"] = uri
    if mime:
        block["mime_type"] = mime
    if file.get("name"):
        block["extras"] = {"filename": file["name"]}
    return block


def parts_to_input(
    parts: list[Any], role: str, message_id: str, stamp: dict[str, str]
) -> dict[str, Any]:
    """A2A message parts as graph input.

    Text parts become one message each; with a file part, all text and files
    go in one message of content blocks. Data parts' objects are merged into
    the input's top level. ``stamp`` (the task's ids) goes in each message's
    ``additional_kwargs["a2a"]``, so history can tell tasks apart.

    Raises:
        ValueError: For malformed or unsupported parts.
    """
    lc_role = "human" if role == "ROLE_USER" else "assistant"
    has_files = any(isinstance(p, dict) and "file" in p for p in parts)
    messages: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            raise ValueError(
                "Each message part must be an object. "
                "A2A agents support 'text', 'data', and 'file' parts only."
            )
        present = [k for k in ("text", "file", "data") if k in part]
        if len(present) > 1:
            raise ValueError(
                "Each message part must contain exactly one of 'text', 'file', "
                f"or 'data'. Got multiple: {present}."
            )
        if "text" in part and has_files:
            blocks.append({"type": "text", "text": part["text"]})
        elif "text" in part:
            messages.append(
                {"role": lc_role, "content": part["text"], "id": message_id}
            )
        elif "file" in part:
            blocks.append(_file_block(part))
        elif "data" in part:
            if not isinstance(part["data"], dict):
                raise ValueError(
                    "DataPart must contain a JSON object in the 'data' field"
                )
            extra.update(part["data"])
        else:
            raise ValueError(
                "Unsupported part type. "
                "A2A agents support 'text', 'data', and 'file' parts only."
            )
    if blocks:
        messages.append({"role": lc_role, "content": blocks, "id": message_id})
    if stamp:
        for message in messages:
            message["additional_kwargs"] = {"a2a": dict(stamp)}
    if not messages and not extra:
        raise ValueError(
            "Message must contain at least one valid text, data, or file part"
        )
    return {**({"messages": messages} if messages else {}), **extra}


def _label(value: Any) -> str:
    return (
        value.lower().replace("_", "").replace("-", "")
        if isinstance(value, str)
        else ""
    )


def message_role(message: dict[str, Any]) -> str | None:
    """``ROLE_USER``/``ROLE_AGENT`` for public messages; ``None`` for internals."""
    kind, role = _label(message.get("type")), _label(message.get("role"))
    by_type = by_role = None
    if kind:
        if kind in _USER_TYPES:
            by_type = "ROLE_USER"
        elif kind in _AGENT_TYPES:
            by_type = "ROLE_AGENT"
        elif kind not in _ROLE_TYPES:
            return None
    if role:
        if role in ("human", "user"):
            by_role = "ROLE_USER"
        elif role in ("agent", "assistant"):
            by_role = "ROLE_AGENT"
        else:
            return None
    if by_type is not None and by_role is not None and by_type != by_role:
        return None
    return by_type or by_role


def _file_part(block: dict[str, Any]) -> dict[str, Any] | None:
    file: dict[str, Any] = {}
    if isinstance(block.get("url"), str) and block["url"]:
        file["uri"] = block["url"]
    elif isinstance(block.get("base64") or block.get("data"), str):
        file["bytes"] = "".join(str(block.get("base64") or block["data"]).split())
    else:
        return None
    if isinstance(block.get("mime_type"), str) and block["mime_type"]:
        file["mimeType"] = block["mime_type"]
    extras = block.get("extras")
    name = block.get("filename") or (
        extras.get("filename") if isinstance(extras, dict) else None
    )
    if isinstance(name, str) and name:
        file["name"] = name
    return {"kind": "file", "file": file}


def content_to_parts(content: Any) -> list[dict[str, Any]]:
    """A message's content as A2A parts: runs of text joined, media as files."""
    if isinstance(content, str):
        return [{"kind": "text", "text": content}]
    if content is None:
        return []
    if not isinstance(content, list):
        return [{"kind": "text", "text": str(content)}]
    parts: list[dict[str, Any]] = []
    text: list[str] = []
    for block in content:
        if isinstance(block, str):
            text.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            text.append(str(block.get("text") or ""))
        elif isinstance(block, dict) and block.get("type") in _MEDIA_BLOCKS:
            part = _file_part(block)
            if part is not None:
                if text:
                    parts.append({"kind": "text", "text": "".join(text)})
                    text = []
                parts.append(part)
    if text:
        parts.append({"kind": "text", "text": "".join(text)})
    return parts


def has_content(parts: list[dict[str, Any]]) -> bool:
    """Whether ``parts`` say anything (an empty text part does not)."""
    return any(p.get("kind") in ("data", "file") or p.get("text") for p in parts)


def response_parts(
    result: dict[str, Any], turn: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The parts of a run's answer: its turn's last AI message with content.

    The turn is ``turn`` when given (what a data-only message's run added),
    else the messages after the last human one.
    """
    messages = result.get("messages")
    if "__error__" in result or not isinstance(messages, list) or not messages:
        return [{"kind": "text", "text": str(result)}]
    if turn is None:
        turn = messages
        for index in range(len(messages) - 1, -1, -1):
            item = messages[index]
            if isinstance(item, dict) and message_role(item) == "ROLE_USER":
                turn = messages[index + 1 :]
                break
    for item in reversed(turn):
        if isinstance(item, dict) and message_role(item) == "ROLE_AGENT":
            parts = content_to_parts(item.get("content"))
            if has_content(parts):
                return parts
    return [{"kind": "text", "text": ""}]


def response_artifact(parts: list[dict[str, Any]], assistant_id: str) -> dict[str, Any]:
    """The artifact carrying the agent's answer."""
    return {
        "artifactId": str(uuid.uuid4()),
        "name": "Assistant Response",
        "description": f"Response from assistant {assistant_id}",
        "parts": parts,
    }


def interrupt_artifact(interrupts: list[Any]) -> dict[str, Any]:
    """The artifact listing what the graph's interrupts ask for."""
    parts = []
    for item in interrupts:
        data = {"id": item.get("id"), "value": item.get("value")}
        if item.get("response_schema") is not None:
            data["response_schema"] = item["response_schema"]
        parts.append({"kind": "data", "data": data})
    return {
        "artifactId": str(uuid.uuid4()),
        "name": "Interrupt",
        "description": "Agent requires input to continue",
        "parts": parts,
    }


def agent_message(
    parts: list[dict[str, Any]], task_id: str, context_id: str | None = None
) -> dict[str, Any]:
    """A new agent message (a status's message)."""
    message: dict[str, Any] = {
        "kind": "message",
        "role": "ROLE_AGENT",
        "parts": parts,
        "messageId": str(uuid.uuid4()),
        "taskId": task_id,
    }
    if context_id is not None:
        message["contextId"] = context_id
    return message


def tool_result(message: dict[str, Any]) -> dict[str, Any] | None:
    """A tool message's result as A2A data, or ``None`` (not one, or not allowed).

    ``A2A_ALLOWED_TOOL_CALL_RESULTS`` (comma-separated tool names) limits
    which tools' results are published; unset, all are.
    """
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        return None
    allowed = os.environ.get(ALLOWED_TOOLS_ENV)
    if allowed is not None:
        names = {name.strip() for name in allowed.split(",") if name.strip()}
        if message.get("name") not in names:
            return None
    found: dict[str, Any] = {"toolCallId": call_id}
    if message.get("content") not in (None, ""):
        found["content"] = message["content"]
    for key in ("name", "status"):
        if isinstance(message.get(key), str) and message[key]:
            found[key] = message[key]
    return found


def tool_results_part(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One data part carrying tool results."""
    return {"kind": "data", "data": {"tool_results": results}}
