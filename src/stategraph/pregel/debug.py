"""Debug-stream helpers under LangGraph's ``langgraph.pregel.debug`` path.

The engine builds its ``tasks``/``debug`` events itself; these functions give
code ported from LangGraph the same payloads from task objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from stategraph._constants import TAG_HIDDEN
from stategraph._engine._io import user_metadata

__all__ = ("filter_to_user_tags", "map_debug_tasks")


def filter_to_user_tags(tags: Sequence[str] | None) -> list[str] | None:
    """Drop the engine's ``seq:step:*`` bookkeeping tags.

    Args:
        tags: Tags of a run or task config.

    Returns:
        The remaining tags, or ``None`` when none remain.
    """
    kept = [t for t in tags or () if not t.startswith("seq:step")]
    return kept or None


def map_debug_tasks(tasks: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """Yield the ``tasks`` event payload of each task about to run.

    Hidden tasks (tagged ``langsmith:hidden``) are skipped. The payload carries
    ``metadata`` only when the task's config has user metadata or tags.

    Args:
        tasks: Objects with ``id``, ``name``, ``input``, ``triggers`` and
            ``config`` (a ``PregelExecutableTask`` or similar).

    Yields:
        ``{"id", "name", "input", "triggers"[, "metadata"]}`` dicts.
    """
    for task in tasks:
        config = task.config
        if config is not None and TAG_HIDDEN in config.get("tags", ()):
            continue
        payload: dict[str, Any] = {
            "id": task.id,
            "name": task.name,
            "input": task.input,
            "triggers": task.triggers,
        }
        if config is not None:
            md = user_metadata(config.get("metadata"), config.get("tags"))
            if md:
                payload["metadata"] = md
        yield payload
