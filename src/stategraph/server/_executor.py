"""Running one run: the graph's stream turned into API frames and records.

``execute_run`` is what the run queue calls. It publishes frames to the run's
stream, records the run's end (``success``, ``error``, ``interrupted``,
``timeout``, or deletion on rollback), refreshes the thread and deletes
temporary threads. It never decides scheduling.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from stategraph._types import Command, Send
from stategraph.errors import GraphBubbleUp
from stategraph.server import _json
from stategraph.server._auth import with_auth_user
from stategraph.server._context import now
from stategraph.server._events import graph_chunks, protocol_chunks
from stategraph.server._frames import FrameTranslator
from stategraph.server._protocol_events import PROTOCOL_CONFIG_KEY
from stategraph.server._thread_state import refresh_thread
from stategraph.server._webhooks import send_webhook

if TYPE_CHECKING:
    from stategraph.server._broker import RunStream
    from stategraph.server._context import ServerContext
    from stategraph.server._queue import ActiveRun


def _goto(value: Any) -> Any:
    if isinstance(value, list):
        return [_goto(v) for v in value]
    if isinstance(value, dict):
        return Send(value["node"], value.get("input"))
    return value


def graph_input(kwargs: dict[str, Any]) -> Any:
    """The run's input: a ``Command`` when one was sent, else ``input``."""
    command = kwargs.get("command")
    if not command:
        return kwargs.get("input")
    args: dict[str, Any] = {}
    if "resume" in command:
        args["resume"] = command["resume"]
    if command.get("update") is not None:
        update = command["update"]
        args["update"] = (
            [tuple(p) for p in update] if isinstance(update, list) else update
        )
    if command.get("goto") is not None:
        args["goto"] = _goto(command["goto"])
    return Command(**args)


def _stream_kwargs(
    graph: Any, kwargs: dict[str, Any], modes: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {"stream_mode": modes, "subgraphs": kwargs["subgraphs"]}
    for key in ("interrupt_before", "interrupt_after", "durability", "context"):
        if kwargs.get(key) is not None:
            out[key] = kwargs[key]
    if "context" not in out and getattr(graph, "context_schema", None) is not None:
        # Over the API a run always has a context: the schema's defaults.
        out["context"] = {}
    return out


def _protocol_run(graph: Any, config: dict[str, Any]) -> bool:
    """Whether a v3 protocol command started the run (on one of our graphs)."""
    from stategraph.pregel import Pregel

    marked = config.get("configurable", {}).get(PROTOCOL_CONFIG_KEY)
    return bool(marked) and isinstance(graph, Pregel)


async def _stream_graph(
    ctx: ServerContext, run: dict[str, Any], stream: RunStream
) -> Any:
    """Run the graph, publishing frames; return the last root ``values``."""
    kwargs = run["kwargs"]
    config = with_auth_user(kwargs["config"])
    graph = await ctx.registry.get(config["configurable"]["graph_id"], config)
    frames = FrameTranslator(kwargs["stream_mode"], subgraphs=kwargs["subgraphs"])
    last_values: Any = None
    stream_kwargs = _stream_kwargs(graph, kwargs, frames.engine_modes)
    if _protocol_run(graph, config):
        chunks = protocol_chunks(graph, graph_input(kwargs), config, stream_kwargs)
    else:
        chunks = graph_chunks(
            graph,
            graph_input(kwargs),
            config,
            stream_kwargs,
            events="events" in kwargs["stream_mode"],
        )
    async for ns, mode, payload in chunks:
        if mode == "values" and not ns:
            last_values = payload
        for event, data in frames.translate(ns, mode, payload):
            stream.publish(event, _json.dumps(data))
    return last_values


async def _set_status(ctx: ServerContext, run: dict[str, Any], status: str) -> None:
    run["status"] = status
    run["updated_at"] = now()
    await ctx.storage.put_run(run)


def _uncancel() -> None:
    # The cancellation was ours and is handled; later awaits must not see it.
    task = asyncio.current_task()
    uncancel = getattr(task, "uncancel", None)
    if uncancel is not None:
        uncancel()


async def execute_run(ctx: ServerContext, active: ActiveRun) -> None:
    """Run ``active.run`` to its end and record how it ended."""
    run = active.run
    stream = await ctx.broker.get(run["run_id"])
    if stream is None:  # expired before the run started; readers are gone
        stream = await ctx.broker.open(run["run_id"], resumable=False)
    error: dict[str, str] | None = None
    result: Any = None
    started_at: str | None = None
    deadline = float("inf")
    try:
        await _set_status(ctx, run, "running")
        started_at = run["updated_at"]
        meta = {"run_id": run["run_id"], "attempt": active.attempt}
        stream.publish("metadata", _json.dumps(meta))
        deadline = asyncio.get_running_loop().time() + ctx.run_timeout
        result = await asyncio.wait_for(
            _stream_graph(ctx, run, stream), ctx.run_timeout
        )
        status = "success"
    except asyncio.CancelledError:
        if active.cancel_action is None:  # server shutdown: let it end the task
            if not active.released:
                await _finish(ctx, run, stream, "interrupted", None, None, started_at)
            raise
        _uncancel()
        status = "interrupted" if active.cancel_action == "interrupt" else "rollback"
    except GraphBubbleUp:
        raise
    except Exception as exc:
        # A node may raise TimeoutError itself: only the deadline means timeout.
        timed_out = isinstance(exc, asyncio.TimeoutError) and (
            asyncio.get_running_loop().time() >= deadline
        )
        status = "timeout" if timed_out else "error"
        error = {"error": type(exc).__name__, "message": str(exc)}
        if timed_out:
            error = {"error": "TimeoutError", "message": "Run timed out"}
        result = {"__error__": error}
        stream.publish("error", _json.dumps(error))
    await _finish(ctx, run, stream, status, error, result, started_at)


async def _finish(
    ctx: ServerContext,
    run: dict[str, Any],
    stream: RunStream,
    status: str,
    error: dict[str, str] | None,
    result: Any,
    started_at: str | None,
) -> None:
    thread_id = run["thread_id"]
    values = result if status == "success" else None
    if status == "rollback":
        await ctx.checkpointer.adelete_for_runs([run["run_id"]])
        await ctx.storage.delete_run(run["run_id"])
    else:
        await _set_status(ctx, run, status)
    temporary = run["kwargs"].get("temporary")
    if temporary and run["kwargs"].get("on_completion") == "delete":
        await ctx.checkpointer.adelete_thread(thread_id)
        await ctx.storage.delete_thread(thread_id)
    else:
        await refresh_thread(
            ctx,
            thread_id,
            error=error if status in ("error", "timeout") else None,
            ending_run=run["run_id"],
        )
        thread = await ctx.storage.get_thread(thread_id)
        values = (thread or {}).get("values")
    if result is None and status in ("success", "interrupted"):
        result = values
    if status != "rollback":
        send_webhook(ctx, run, started_at=started_at, values=values, error=error)
    await ctx.broker.close(run["run_id"], _json.dumps(result))
