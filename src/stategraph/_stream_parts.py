"""The typed chunks of ``stream(..., version="v2")`` and their payloads.

Plain ``TypedDict`` records (dicts at run time), re-exported by
``stategraph.types``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypedDict

from stategraph._types import Interrupt

if TYPE_CHECKING:
    pass


class TaskPayload(TypedDict):
    """Payload of a ``tasks`` stream event when a task starts."""

    id: str
    name: str
    input: Any
    triggers: list[str]


class TaskResultPayload(TypedDict):
    """Payload of a ``tasks`` stream event when a task ends."""

    id: str
    name: str
    error: str | None
    interrupts: list[dict[str, Any]]
    result: dict[str, Any]


class CheckpointTask(TypedDict, total=False):
    """A task as listed in a ``checkpoints`` stream event."""

    id: str
    name: str
    error: str | None
    interrupts: list[dict[str, Any]]
    state: Any
    result: Any


class CheckpointPayload(TypedDict):
    """Payload of a ``checkpoints`` stream event."""

    config: Any
    metadata: Any
    values: Any
    next: list[str]
    parent_config: Any
    tasks: list[CheckpointTask]


class ValuesStreamPart(TypedDict):
    """A ``values`` chunk of ``stream(..., version="v2")``."""

    type: Literal["values"]
    ns: tuple[str, ...]
    data: Any
    interrupts: tuple[Interrupt, ...]


class UpdatesStreamPart(TypedDict):
    """An ``updates`` chunk of ``stream(..., version="v2")``."""

    type: Literal["updates"]
    ns: tuple[str, ...]
    data: dict[str, Any]


class MessagesStreamPart(TypedDict):
    """A ``messages`` chunk: ``(message, metadata)``."""

    type: Literal["messages"]
    ns: tuple[str, ...]
    data: tuple[Any, dict[str, Any]]


class CustomStreamPart(TypedDict):
    """A ``custom`` chunk: whatever a node wrote with its stream writer."""

    type: Literal["custom"]
    ns: tuple[str, ...]
    data: Any


class CheckpointStreamPart(TypedDict):
    """A ``checkpoints`` chunk."""

    type: Literal["checkpoints"]
    ns: tuple[str, ...]
    data: CheckpointPayload


class TasksStreamPart(TypedDict):
    """A ``tasks`` chunk: a task started or finished."""

    type: Literal["tasks"]
    ns: tuple[str, ...]
    data: TaskPayload | TaskResultPayload


class DebugPayload(TypedDict):
    """A ``debug`` event: a checkpoint or task event with step and time."""

    step: int
    timestamp: str
    type: Literal["checkpoint", "task", "task_result"]
    payload: Any


class DebugStreamPart(TypedDict):
    """A ``debug`` chunk."""

    type: Literal["debug"]
    ns: tuple[str, ...]
    data: DebugPayload


StreamPart = (
    ValuesStreamPart
    | UpdatesStreamPart
    | MessagesStreamPart
    | CustomStreamPart
    | CheckpointStreamPart
    | TasksStreamPart
    | DebugStreamPart
)
"""One chunk of ``stream(..., version="v2")``; narrow it with ``part["type"]``."""
