"""A2A history: a context's messages as A2A messages, each with its task.

A task-stamped message (``additional_kwargs["a2a"]``: ``task_id``, or the
``task_start_id`` its first run carries) starts that task's part of the
thread; the messages after it, up to the next stamped one, are the task's.
A data-only message leaves no message to stamp, so the first message its
run added takes the stamp (``RunMessages.stamped``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from stategraph.server._a2a_parts import (
    content_to_parts,
    has_content,
    message_role,
    tool_result,
    tool_results_part,
)
from stategraph.server._loopback import Loopback, LoopbackError

#: The most history a request may ask for.
MAX_HISTORY_LENGTH = 10


def check_history_length(value: Any) -> str | None:
    """Why ``historyLength`` is invalid, or ``None``."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return "historyLength must be a non-negative integer"
    if value > MAX_HISTORY_LENGTH:
        return f"historyLength cannot exceed {MAX_HISTORY_LENGTH}"
    return None


def _stamped_task(
    message: dict[str, Any], current: str | None, known: dict[str, str]
) -> str | None:
    """The task a message starts (by its stamp), else ``current``."""
    kwargs = message.get("additional_kwargs")
    stamp = kwargs.get("a2a") if isinstance(kwargs, dict) else None
    if not isinstance(stamp, dict):
        return current
    task_id, start = stamp.get("task_id"), stamp.get("task_start_id")
    if isinstance(task_id, str) and task_id:
        return task_id
    if isinstance(start, str) and start:
        return known.get(start)
    return current


def history(
    messages: list[Any],
    task_id: str,
    context_id: str,
    length: int | None,
    scope: str,
    known: dict[str, str],
) -> list[dict[str, Any]]:
    """Public messages as A2A messages, each with the task it belongs to.

    Messages before the first stamped one belong to ``task_id`` (``context``
    scope) or to no task (``task`` scope, which keeps only ``task_id``'s).
    """
    current: str | None = None if scope == "task" else task_id
    found: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        current = _stamped_task(message, current, known)
        role = message_role(message)
        if current is None:
            continue
        if role is None:  # internal: only a tool's result is shown, as data
            result = tool_result(message)
            if result is None:
                continue
            role, parts = "ROLE_AGENT", [tool_results_part([result])]
        else:
            parts = content_to_parts(message.get("content", ""))
        if role == "ROLE_AGENT" and not has_content(parts):
            continue
        found.append(
            {
                "kind": "message",
                "role": role,
                "parts": parts or [{"kind": "text", "text": ""}],
                "messageId": message.get("id") or str(uuid.uuid4()),
                "taskId": current,
                "contextId": context_id,
            }
        )
    if scope == "task":
        found = [m for m in found if m["taskId"] == task_id]
    if length is None:
        return found
    return found[-length:] if length else []


@dataclass(frozen=True, slots=True)
class RunMessages:
    """A thread's messages as a run left them, and where that run's began.

    Attributes:
        messages: The messages after the run.
        added_from: The index of the first one the run added (``None``:
            unknown).
    """

    messages: list[Any]
    added_from: int | None

    @classmethod
    def between(cls, before: list[Any], after: list[Any]) -> RunMessages:
        """What ``after`` added to ``before`` (by prefix, else by message ids)."""
        if after[: len(before)] == before:
            return cls(after, len(before))
        ids = {m.get("id") for m in before if isinstance(m, dict)}
        if len(ids) != len(before) or None in ids:
            return cls(after, None)
        kept = [
            i for i, m in enumerate(after) if isinstance(m, dict) and m.get("id") in ids
        ]
        return cls(after, (max(kept) if kept else -1) + 1)

    @property
    def added(self) -> list[Any] | None:
        """The messages the run added (``None``: unknown)."""
        return None if self.added_from is None else self.messages[self.added_from :]

    def stamped(self, task_id: str) -> list[Any]:
        """The messages, the run's first one stamped with ``task_id`` if unstamped.

        A data-only message has no input message to carry the stamp; the
        first message the run added carries it instead.
        """
        at = self.added_from
        if (
            at is None
            or at >= len(self.messages)
            or not isinstance(self.messages[at], dict)
        ):
            return self.messages
        first = self.messages[at]
        kwargs = first.get("additional_kwargs")
        kwargs = dict(kwargs) if isinstance(kwargs, dict) else {}
        stamp = kwargs.get("a2a")
        stamp = dict(stamp) if isinstance(stamp, dict) else {}
        if stamp.get("task_id") or stamp.get("task_start_id"):
            return self.messages
        kwargs["a2a"] = {**stamp, "task_id": task_id}
        return [
            *self.messages[:at],
            {**first, "additional_kwargs": kwargs},
            *self.messages[at + 1 :],
        ]


async def _latest_messages(
    api: Loopback, context_id: str, metadata: dict[str, str]
) -> list[Any] | None:
    body = {"limit": 1, "metadata": metadata}
    found = await api.call("POST", f"/threads/{context_id}/history", body)
    return list(found[0]["values"].get("messages") or []) if found else None


async def run_messages(api: Loopback, context_id: str, run_id: str) -> RunMessages:
    """The thread's messages after ``run_id``, and which of them it added."""
    after = await _latest_messages(api, context_id, {"run_id": run_id})
    if after is None:
        return RunMessages([], None)
    before = await _latest_messages(
        api, context_id, {"run_id": run_id, "source": "input"}
    )
    return (
        RunMessages(after, None)
        if before is None
        else RunMessages.between(before, after)
    )


async def thread_interrupted(api: Loopback, context_id: str) -> bool:
    """Whether the thread waits on an interrupt."""
    try:
        thread = await api.call("GET", f"/threads/{context_id}")
    except LoopbackError:
        return False
    return bool(thread.get("status") == "interrupted")
