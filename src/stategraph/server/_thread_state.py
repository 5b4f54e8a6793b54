"""Thread state on the wire: ``StateSnapshot`` as ``ThreadState``, thread status.

Also keeps a thread record's denormalised copy of its latest checkpoint
(``values``, ``interrupts``, ``status``) current after runs and updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from stategraph.server import _json
from stategraph.server._context import now
from stategraph.server._http import ApiError, parse_uuid

if TYPE_CHECKING:
    from stategraph.server._context import ServerContext
    from stategraph.server._storage import Record


def new_thread(thread_id: str, metadata: dict[str, Any]) -> Record:
    """A fresh thread record: idle, no values."""
    stamp = now()
    return {
        "thread_id": thread_id,
        "created_at": stamp,
        "updated_at": stamp,
        "state_updated_at": stamp,
        "metadata": metadata,
        "config": {},
        "status": "idle",
        "values": None,
    }


async def load_thread(ctx: ServerContext, raw_id: str) -> Record:
    """The thread with id ``raw_id``, or a 422/404."""
    thread_id = parse_uuid(raw_id, "thread ID")
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None:
        raise ApiError(404, f"Thread {thread_id} not found")
    return thread


async def delete_thread(ctx: ServerContext, thread_id: str) -> None:
    """Delete the thread with its runs and checkpoints."""
    # Stop its runs first: a run still going would write after the deletion.
    for run_id in await ctx.runs.stop_thread(thread_id):
        await ctx.broker.discard(run_id)
    await ctx.storage.delete_thread(thread_id)
    await ctx.checkpointer.adelete_thread(thread_id)


def empty_state() -> dict[str, Any]:
    """The state of a thread no graph has run on yet."""
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "checkpoint": None,
        "parent_checkpoint": None,
        "metadata": None,
        "created_at": None,
        "interrupts": [],
        "checkpoint_id": None,
        "parent_checkpoint_id": None,
    }


def checkpoint_json(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A checkpoint config as the wire ``Checkpoint`` object."""
    if not config:
        return None
    conf = config.get("configurable", config)
    out = {
        "thread_id": conf.get("thread_id"),
        "checkpoint_ns": conf.get("checkpoint_ns", ""),
        "checkpoint_id": conf.get("checkpoint_id"),
    }
    if conf.get("checkpoint_map"):
        out["checkpoint_map"] = conf["checkpoint_map"]
    return out


def _task_json(task: Any) -> dict[str, Any]:
    state = task.state
    # A subgraph task's state is its config, or its snapshot with subgraphs=True.
    nested = state is not None and not isinstance(state, Mapping)
    return {
        "id": task.id,
        "name": task.name,
        "path": list(task.path),
        "error": None if task.error is None else str(task.error),
        "interrupts": [_json.interrupt_json(i) for i in task.interrupts],
        # A subgraph task's config, as is: it names no checkpoint id before
        # the subgraph has saved one.
        "checkpoint": None if nested or state is None else dict(state["configurable"]),
        "state": snapshot_json(state) if nested else None,
        "result": task.result,
    }


def snapshot_json(snapshot: Any) -> dict[str, Any]:
    """A ``StateSnapshot`` as the wire ``ThreadState`` (``_json`` can encode it)."""
    if snapshot.created_at is None and not snapshot.values:
        return empty_state()
    checkpoint = checkpoint_json(snapshot.config)
    parent = checkpoint_json(snapshot.parent_config)
    state = {
        "values": snapshot.values,
        "next": list(snapshot.next),
        "tasks": [_task_json(task) for task in snapshot.tasks],
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "metadata": snapshot.metadata,
        "created_at": snapshot.created_at,
        "interrupts": [_json.interrupt_json(i) for i in snapshot.interrupts],
        "checkpoint_id": checkpoint and checkpoint["checkpoint_id"],
        "parent_checkpoint_id": parent and parent["checkpoint_id"],
    }
    # Encoded once, by the response: no JSON round trip here.
    return state


def thread_config(thread_id: str, checkpoint: Mapping[str, Any] | None = None) -> Any:
    """The config that addresses a thread (at a checkpoint when given)."""
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    for key in ("checkpoint_ns", "checkpoint_id", "checkpoint_map"):
        if checkpoint and checkpoint.get(key) is not None:
            configurable[key] = checkpoint[key]
    return {"configurable": configurable}


async def graph_of(ctx: ServerContext, thread: Record) -> Any | None:
    """The graph that runs on ``thread`` (from its metadata), or ``None``."""
    graph_id = (thread.get("metadata") or {}).get("graph_id")
    if graph_id is None or graph_id not in ctx.registry:
        return None
    return await ctx.registry.get(graph_id)


async def refresh_thread(
    ctx: ServerContext,
    thread_id: str,
    *,
    error: dict[str, str] | None = None,
    ending_run: str | None = None,
) -> None:
    """Recompute a thread's status and copy its latest state into the record.

    Args:
        ctx: The server.
        thread_id: The thread.
        error: ``{"error", "message"}`` of the error its last run ended with.
        ending_run: A run that is finishing: it no longer makes the thread busy.
    """
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None:
        return
    graph = await graph_of(ctx, thread)
    snapshot = None
    if graph is not None:
        snapshot = await graph.aget_state(thread_config(thread_id))
    if snapshot is not None and snapshot.created_at is not None:
        thread["values"] = _json.to_jsonable(snapshot.values)
        thread["interrupts"] = {
            task.id: [
                _json.to_jsonable(_json.interrupt_json(i)) for i in task.interrupts
            ]
            for task in snapshot.tasks
            if task.interrupts
        }
        thread["state_updated_at"] = now()
    in_flight = await ctx.queue.in_flight(thread_id) if ctx.queue is not None else []
    if [run_id for run_id in in_flight if run_id != ending_run]:
        thread["status"] = "busy"
    elif error is not None:
        thread["status"] = "error"
    elif snapshot is not None and snapshot.next:
        thread["status"] = "interrupted"
    else:
        thread["status"] = "idle"
    thread["error"] = error
    thread["updated_at"] = now()
    await ctx.storage.put_thread(thread)
