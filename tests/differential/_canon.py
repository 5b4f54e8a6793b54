"""Canonical order for stream chunks whose order depends on thread timing.

LangGraph's sync runner emits the chunks of the tasks of one superstep in
completion order.  The harness pins ``max_concurrency=1`` to make that order
deterministic, except for eager sync streams (``subgraphs=True``, ``custom``,
``messages``), where LangGraph parks a waiter on the same thread pool and the
limit would deadlock it.  Those streams are compared after
``canonical_chunks`` has put them in an order that does not depend on timing.
"""

from __future__ import annotations

import itertools
from typing import Any

from _norm import Normalizer, render


def _parse(chunk: Any, kw: dict[str, Any]) -> tuple[tuple[str, ...], str, Any]:
    """``(namespace, mode, payload)`` of one chunk, whatever its framing."""
    if kw.get("version") == "v2":
        return tuple(chunk["ns"]), chunk["type"], chunk
    modes = kw.get("stream_mode") or "updates"
    many = not isinstance(modes, str)
    if kw.get("subgraphs"):
        if many:
            ns, mode, data = chunk
        else:
            (ns, data), mode = chunk, modes
        return tuple(ns), mode, data
    if many:
        mode, data = chunk
        return (), mode, data
    return (), modes, chunk


def _is_step_boundary(mode: str, data: Any, v2: bool) -> bool:
    """Whether a chunk is emitted between supersteps of its own namespace."""
    if v2:
        if mode == "values" and data.get("interrupts"):
            return False
        data = data["data"]
    if mode == "values":
        return not (isinstance(data, dict) and "__interrupt__" in data)
    if mode == "checkpoints":
        return True
    if mode == "tasks":
        return isinstance(data, dict) and "input" in data
    if mode == "debug":
        return isinstance(data, dict) and data.get("type") in ("checkpoint", "task")
    return False


def _payload(data: Any, mode: str, v2: bool) -> Any:
    if v2:
        data = data["data"]
    if mode == "debug" and isinstance(data, dict):
        data = data.get("payload")
    return data


def _task_ids_announced(payload: Any) -> list[str]:
    """Task ids that a boundary chunk announces, in their (stable) order."""
    if not isinstance(payload, dict):
        return []
    if "tasks" in payload and "config" in payload:  # a checkpoint payload
        return [t["id"] for t in payload["tasks"]]
    if "input" in payload and "id" in payload:  # a task-start payload
        return [payload["id"]]
    return []


def canonical_chunks(
    chunks: list[Any], kw: dict[str, Any], tied: list[bool] | None = None
) -> list[Any]:
    """Reorder chunks whose relative order depends on thread timing.

    Within one superstep of one namespace, each task's own chunk and each
    subgraph task's whole sequence of chunks (itself put in canonical order,
    recursively) form a *group*.  Groups are sorted by their first chunk's
    content with ids erased, then by the position of their task in the step's
    task list (announced by task-start or checkpoint chunks).  Step boundaries
    (``values``, ``checkpoints``, task starts) and the order inside a group
    are kept.  Groups equal but for their ids (two ``Send`` instances of one
    subgraph asking the same question) keep their racy order; ``tied`` (if
    given) then gets ``True`` appended, and the caller compares ids erased.
    """
    v2 = kw.get("version") == "v2"
    parsed = [(*_parse(c, kw), c) for c in chunks]
    announced: dict[str, int] = {}
    erase = Normalizer(erase_ids=True)
    ties: list[bool] = [] if tied is None else tied
    return [c for *_, c in _canon(parsed, 0, v2, announced, erase, ties)]


def _canon(
    items: list[tuple[tuple[str, ...], str, Any, Any]],
    depth: int,
    v2: bool,
    announced: dict[str, int],
    erase: Normalizer,
    ties: list[bool],
) -> list[tuple[tuple[str, ...], str, Any, Any]]:
    out: list[Any] = []
    groups: dict[Any, list[Any]] = {}

    def flush() -> None:
        keyed = []
        for gk, g in groups.items():
            if isinstance(gk, str):  # a subgraph task: canonicalise its own steps
                g = _canon(g, depth + 1, v2, announced, erase, ties)
                tid = gk.partition(":")[2]
            else:
                _, mode, data, _ = g[0]
                p = _payload(data, mode, v2)
                tid = p.get("id") if isinstance(p, dict) else None
            pos = announced.get(tid, -1) if isinstance(tid, str) else -1
            whole = render(erase([c for *_, c in g]))
            keyed.append(((render(erase(g[0][3])), pos, whole), g))
        keyed.sort(key=lambda kg: kg[0])
        if any(a[0] == b[0] for a, b in itertools.pairwise(keyed)):
            ties.append(True)
        for _, g in keyed:
            out.extend(g)
        groups.clear()

    for i, item in enumerate(items):
        ns, mode, data, _ = item
        if len(ns) > depth:
            groups.setdefault(ns[depth], []).append(item)
        elif _is_step_boundary(mode, data, v2):
            flush()
            for tid in _task_ids_announced(_payload(data, mode, v2)):
                announced.setdefault(tid, len(announced))
            out.append(item)
        else:
            groups[i] = [item]
    flush()
    return out
