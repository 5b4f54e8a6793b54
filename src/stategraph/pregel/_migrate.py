"""Bring checkpoints saved by older LangGraph versions to today's channel layout.

Threads written before checkpoint format 3 used other trigger channels:
``start:<node>`` (edges out of START), ``branch:<source>:<condition>:<node>``
(conditional edges) and a channel named after each node (plain edges out of
it). Format 3 has one ``branch:to:<node>`` channel per target. Before format
4, pending ``Send``s lived in ``pending_sends`` instead of the tasks channel.
The loader calls ``migrate_checkpoint`` on each checkpoint it reads, so such
threads resume and show their state as if written today; checkpoints already
in the current format are left untouched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from stategraph._constants import END, INTERRUPT, START, TASKS

__all__ = ("migrate_checkpoint", "migrate_pending_sends")

_MISSING: Any = object()


def migrate_pending_sends(checkpoint: dict[str, Any]) -> None:
    """Move a format-3 checkpoint's ``pending_sends`` into the tasks channel.

    Args:
        checkpoint: A loaded checkpoint (modified in place).
    """
    if checkpoint["v"] < 4 and checkpoint.get("pending_sends"):
        versions = checkpoint["channel_versions"]
        checkpoint["channel_values"][TASKS] = checkpoint.pop("pending_sends")
        versions[TASKS] = max(versions.values())


def migrate_checkpoint(
    checkpoint: dict[str, Any],
    nodes: Collection[str],
    edges: Iterable[tuple[str, str]],
) -> None:
    """Rewrite ``checkpoint`` in place to the current layout.

    Args:
        checkpoint: A loaded checkpoint (its nested dicts are modified).
        nodes: The compiled graph's node names (``__start__`` included).
        edges: The builder's plain edges ``(source, target)``.
    """
    migrate_pending_sends(checkpoint)
    versions = checkpoint["channel_versions"]
    if not versions or checkpoint["v"] >= 3:
        return
    for key in list(versions):
        if key.startswith("start:"):
            target = key.split(":")[1]
        elif key.startswith("branch:") and key.count(":") == 3:
            target = key.split(":")[-1]
        else:
            continue
        if target in nodes:
            _move(checkpoint, key, target)
    if set(nodes).isdisjoint(versions):
        return
    targets: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        if source != START and target != END:
            targets[source].append(target)
    for key in list(versions):
        if key != START and key in nodes:
            _split_node_channel(checkpoint, key, targets[key])


def _move(checkpoint: dict[str, Any], old: str, target: str) -> None:
    """Fold channel ``old`` into ``branch:to:<target>`` (versions, seen, value)."""
    new = f"branch:to:{target}"
    versions = checkpoint["channel_versions"]
    values = checkpoint["channel_values"]
    version = versions.pop(old)
    _merge_seen(checkpoint, old, new, target)
    if new not in values and old in values:
        values[new] = values.pop(old)
    versions[new] = max(versions[new], version) if new in versions else version


def _split_node_channel(
    checkpoint: dict[str, Any], node: str, targets: list[str]
) -> None:
    """Replace the channel named after ``node`` by one per edge target."""
    versions = checkpoint["channel_versions"]
    values = checkpoint["channel_values"]
    seen = checkpoint["versions_seen"]
    version = versions.pop(node)
    value = values.pop(node, _MISSING)
    for target in targets:
        new = f"branch:to:{target}"
        _merge_seen(checkpoint, node, new, target)
        if new not in values and value is not _MISSING:
            values[new] = value
        versions[new] = max(versions[new], version) if new in versions else version
    if INTERRUPT in seen:
        seen[INTERRUPT].pop(node, None)


def _merge_seen(checkpoint: dict[str, Any], old: str, new: str, node: str) -> None:
    seen = checkpoint["versions_seen"]
    for entry in (seen.get(node, {}), seen.get(INTERRUPT, {})):
        if old in entry:
            was = entry.pop(old)
            entry[new] = max(entry[new], was) if new in entry else was
