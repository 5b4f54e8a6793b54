"""The ``messages`` stream mode, engine side: chat messages that nodes return.

Messages a node returns (langchain ``BaseMessage`` objects) are emitted as
``(message, metadata)`` unless already seen in the node's input or streamed
before. Token streaming from chat models hooks in here as well (issue #5).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from stategraph._types import Command

if TYPE_CHECKING:
    from stategraph._engine._loop import Loop
    from stategraph._engine._task import Task


def _message_type() -> Any:
    # Only langchain messages count, and if langchain was never imported no
    # value can be one: avoid importing it here.
    module = sys.modules.get("langchain_core.messages")
    return getattr(module, "BaseMessage", None) if module is not None else None


def note_input(loop: Loop, task: Task) -> None:
    """Remember the ids of messages a task received, so they are not re-emitted."""
    base = _message_type()
    if base is None:
        return
    for value in _state_values(task.input):
        for item in _messages_in(value, base):
            if item.id is not None:
                loop.seen_messages.add(item.id)


def _state_values(state: Any) -> Sequence[Any]:
    """Top-level field values of a state: a dict, a pydantic model or a dataclass."""
    if isinstance(state, dict):
        return list(state.values())
    model_fields = getattr(type(state), "model_fields", None)
    if isinstance(model_fields, dict):
        return [getattr(state, k, None) for k in model_fields]
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        return [getattr(state, f.name) for f in dataclasses.fields(state)]
    return ()


def emit_output(loop: Loop, task: Task, output: Any) -> None:
    """Emit the new messages in a node's return value."""
    base = _message_type()
    if base is None:
        return
    updates: list[Any] = []
    if isinstance(output, Command):
        updates.append(output.update)
    elif isinstance(output, Sequence) and any(isinstance(v, Command) for v in output):
        updates.extend(v.update if isinstance(v, Command) else v for v in output)
    else:
        updates.append(output)
    for update in updates:
        values = update.values() if isinstance(update, dict) else [update]
        for value in values:
            for message in _messages_in(value, base):
                _emit(loop, task, message)


def _messages_in(value: Any, base: Any) -> list[Any]:
    if isinstance(value, base):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [item for item in value if isinstance(item, base)]
    return []


def _emit(loop: Loop, task: Task, message: Any, *, pushed: bool = False) -> None:
    # A pushed message is streamed even if seen, with the task's config
    # metadata (LangGraph's push_message: no ``ls_integration`` key).
    if not pushed and message.id is not None and message.id in loop.seen_messages:
        return
    if message.id is None:
        # As LangGraph's handler does: the message itself gets the id, so a
        # parent graph returning it again (a subgraph's output) skips it.
        message.id = str(uuid4())
    loop.seen_messages.add(message.id)
    base = loop.config.get("metadata") or {}
    if pushed:
        metadata = {**base, **task.metadata()}
    else:
        metadata = {**_integrated(base), **task.metadata()}
    # An async live stream gets it one event-loop turn late, as LangGraph's
    # handler puts it (call_soon_threadsafe): a custom write the node made
    # just before comes first.
    chunks = getattr(getattr(loop, "run", None), "chunks", None)
    soon = getattr(chunks, "put_soon", None)
    item = (loop.ns, "messages", (message, metadata))
    for sink in loop.stream:
        if "messages" in sink.modes:
            put = sink.put
            if soon is not None and put == chunks.append:  # type: ignore[union-attr]
                put = soon
            put(item)


def _integrated(base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``ls_integration`` where LangGraph's callbacks put it.

    The root run adds it to its callback metadata, after the run's own keys;
    a subgraph's metadata (its parent task's) already has it there, before
    the keys the engine adds to each task's (``langgraph_*``, checkpoint_ns).
    """
    if "ls_integration" in base:
        return base
    out: dict[str, Any] = {}
    for key, value in base.items():
        if "ls_integration" not in out and (
            key.startswith("langgraph_") or key == "checkpoint_ns"
        ):
            out["ls_integration"] = "langgraph"
        out[key] = value
    out.setdefault("ls_integration", "langgraph")
    return out


def push(message: Any) -> None:
    """Emit a message pushed by ``push_message`` from the running task."""
    from stategraph._config import var_child_config
    from stategraph._engine._task import Task

    task = var_child_config.get()
    if (
        isinstance(task, Task)
        and task.loop.wants_messages
        and not isinstance(message, dict)
    ):
        _emit(task.loop, task, message, pushed=True)
