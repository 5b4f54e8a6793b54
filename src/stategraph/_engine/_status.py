"""Task status read from a step's pending writes: finished, interrupted, failed.

A task counts as finished exactly when it recorded an output write (a task with
no output records ``__no_writes__``); control writes never mark completion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from stategraph._constants import ERROR, INTERRUPT, NULL_TASK_ID
from stategraph._engine._io import CONTROL_WRITES


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """What the pending writes say about one task."""

    output: tuple[tuple[str, Any], ...] = ()
    interrupts: tuple[Any, ...] = ()
    error: BaseException | None = None

    @property
    def finished(self) -> bool:
        """Whether the task ran to completion."""
        return bool(self.output)

    @property
    def pending_interrupts(self) -> tuple[Any, ...]:
        """Interrupts still waiting for an answer."""
        return () if self.output else self.interrupts


def read_statuses(pending: Iterable[tuple[str, str, Any]]) -> dict[str, TaskStatus]:
    """Group pending writes by task into statuses (the null task is input)."""
    output: dict[str, list[tuple[str, Any]]] = {}
    interrupts: dict[str, list[Any]] = {}
    errors: dict[str, BaseException] = {}
    for task_id, channel, value in pending:
        if task_id == NULL_TASK_ID:
            continue
        output.setdefault(task_id, [])
        if channel == INTERRUPT:
            interrupts.setdefault(task_id, []).extend(
                value if isinstance(value, Sequence) else [value]
            )
        elif channel == ERROR:
            errors.setdefault(task_id, value)
        elif channel not in CONTROL_WRITES:
            output[task_id].append((channel, value))
    return {
        tid: TaskStatus(tuple(out), tuple(interrupts.get(tid, ())), errors.get(tid))
        for tid, out in output.items()
    }
