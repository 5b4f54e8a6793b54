"""Generative UI messages (LangGraph's ``langgraph.graph.ui``).

A node calls ``push_ui_message`` to ask a client (such as agent-chat-ui) to
render a named component. The message goes out twice: as a ``custom`` stream
event, so the client sees it while the node runs, and as a write to the
state's ``ui`` key, so it survives in the thread. ``ui_message_reducer`` is the
reducer for that key: it replaces messages by id, merges props on request and
applies removals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, cast
from uuid import uuid4

from typing_extensions import TypedDict

from stategraph._constants import CONF, CONFIG_KEY_SEND
from stategraph.config import get_config, get_stream_writer

if TYPE_CHECKING:
    from langchain_core.messages import AnyMessage

__all__ = (
    "UIMessage",
    "RemoveUIMessage",
    "AnyUIMessage",
    "push_ui_message",
    "delete_ui_message",
    "ui_message_reducer",
)


class UIMessage(TypedDict):
    """A UI component to render, with its props.

    Attributes:
        type: Always ``"ui"``.
        id: Identifies the message; pushing the same id again replaces it.
        name: Name of the component to render.
        props: Properties passed to the component.
        metadata: Run details (``run_id``, ``tags``, ``name``), the ``merge``
            flag and anything the caller added.
    """

    type: Literal["ui"]
    id: str
    name: str
    props: dict[str, Any]
    metadata: dict[str, Any]


class RemoveUIMessage(TypedDict):
    """A request to remove the UI message with the given id.

    Attributes:
        type: Always ``"remove-ui"``.
        id: Id of the UI message to remove.
    """

    type: Literal["remove-ui"]
    id: str


AnyUIMessage = UIMessage | RemoveUIMessage


def _message_id(message: Any) -> Any:
    # Either a message dict or a message object; both may lack an id.
    if isinstance(message, dict):
        return message.get("id")
    return getattr(message, "id", None)


def push_ui_message(
    name: str,
    props: dict[str, Any],
    *,
    id: str | None = None,  # LangGraph's keyword
    metadata: dict[str, Any] | None = None,
    message: AnyMessage | dict[str, Any] | None = None,
    state_key: str | None = "ui",
    merge: bool = False,
) -> UIMessage:
    """Send a UI message to the client and record it in the graph state.

    Must be called from inside a running node.

    Args:
        name: Name of the component to render.
        props: Properties passed to the component.
        id: Id of the message; a fresh UUID when omitted. Reusing an id
            replaces the earlier message.
        metadata: Extra metadata; it overrides the run details.
        message: A chat message the UI belongs to; its id is recorded as
            ``metadata["message_id"]``.
        state_key: State key that collects UI messages; ``None`` streams the
            message without writing it to the state.
        merge: Merge ``props`` into the earlier message with the same id
            instead of replacing them.

    Returns:
        The message that was sent.
    """
    writer = get_stream_writer()
    config = get_config()
    message_id = _message_id(message) if message else None
    evt: UIMessage = {
        "type": "ui",
        "id": id or str(uuid4()),
        "name": name,
        "props": props,
        "metadata": {
            "merge": merge,
            "run_id": config.get("run_id", None),
            "tags": config.get("tags", None),
            "name": config.get("run_name", None),
            **(metadata or {}),
            **({"message_id": message_id} if message_id else {}),
        },
    }
    writer(evt)
    if state_key:
        config[CONF][CONFIG_KEY_SEND]([(state_key, evt)])
    return evt


def delete_ui_message(id: str, *, state_key: str = "ui") -> RemoveUIMessage:
    """Ask the client to remove a UI message and drop it from the graph state.

    Must be called from inside a running node.

    Args:
        id: Id of the UI message to remove.
        state_key: State key that collects UI messages.

    Returns:
        The removal message that was sent.
    """
    writer = get_stream_writer()
    config = get_config()
    evt: RemoveUIMessage = {"type": "remove-ui", "id": id}
    writer(evt)
    config[CONF][CONFIG_KEY_SEND]([(state_key, evt)])
    return evt


def ui_message_reducer(
    left: list[AnyUIMessage] | AnyUIMessage,
    right: list[AnyUIMessage] | AnyUIMessage,
) -> list[AnyUIMessage]:
    """Combine UI messages: same id replaces (or merges props), removals delete.

    Args:
        left: The current message(s).
        right: The new message(s), applied in order.

    Returns:
        A new list; messages keep the position of the first one with their id.

    Raises:
        ValueError: A removal names an id that is in neither list.
    """
    merged: list[AnyUIMessage] = list(left) if isinstance(left, list) else [left]
    updates = right if isinstance(right, list) else [right]
    position = {m.get("id"): i for i, m in enumerate(merged)}
    removed: set[Any] = set()
    for msg in updates:
        msg_id = msg.get("id")
        idx = position.get(msg_id)
        if idx is None:
            if msg.get("type") == "remove-ui":
                raise ValueError(
                    "Attempting to delete an UI message with an ID that "
                    f"doesn't exist ('{msg_id}')"
                )
            position[msg_id] = len(merged)
            merged.append(msg)
        elif msg.get("type") == "remove-ui":
            removed.add(msg_id)
        else:
            # A later push of a removed id brings it back.
            removed.discard(msg_id)
            merged[idx] = _merge_props(merged[idx], cast(UIMessage, msg))
    return [m for m in merged if m.get("id") not in removed]


def _merge_props(prev: AnyUIMessage, msg: UIMessage) -> AnyUIMessage:
    if not msg.get("metadata", {}).get("merge", False):
        return msg
    # Merge into a copy: the incoming message may be shared with other readers.
    return cast(
        UIMessage,
        {**msg, "props": {**cast(UIMessage, prev)["props"], **msg["props"]}},
    )
