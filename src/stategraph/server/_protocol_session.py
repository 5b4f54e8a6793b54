"""A thread's v3 protocol events, read afresh by each event stream.

As LangGraph's server does, every ``/stream/events`` connection (or
WebSocket subscription) translates the thread's run streams itself: no
protocol state lives in the API process, so a stream may be served by
another process than the one that took the ``run.start`` (the run streams
are in the broker: Redis or PostgreSQL under ``stategraph serve``), and
nothing is left behind when a thread is deleted.

A reader starts with the thread's earliest run in flight (else its latest
run), or, given ``since``, with every retained run that may hold a later
event; then it follows the runs the thread gets while it is connected. A
finished run is readable for as long as the broker keeps its frames
(``RETAIN_SECONDS`` after its end). A reader that asks for events after a
``since`` the server can no longer replay is told so (``resume_gap``) instead
of getting a stream with a hole in it, as on LangGraph's server.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from itertools import pairwise
from typing import Any

from stategraph.server._context import ServerContext, new_id
from stategraph.server._protocol_events import RunTranslator, seq_base
from stategraph.server._storage.base import Query

__all__ = ("follow_thread", "gap_error", "resume_gap")

#: Most recent runs of a thread considered for replay.
_RECENT_RUNS = 20


async def _recent_runs(
    ctx: ServerContext, thread_id: str, limit: int = _RECENT_RUNS
) -> list[str]:
    """Ids of the thread's latest runs, oldest first (by id, so by seq)."""
    query = Query(equals={"thread_id": thread_id}, limit=limit)
    page = await ctx.storage.search_runs(query)
    return sorted((run["run_id"] for run in page.items), key=seq_base)


async def _replayed(ctx: ServerContext, thread_id: str, since: int | None) -> list[str]:
    """The runs a new reader starts with (see the module docstring)."""
    runs = await _recent_runs(ctx, thread_id)
    if not runs:
        return []
    if since is None:
        in_flight = set(await ctx.runs.in_flight(thread_id))
        first = next((i for i, run in enumerate(runs) if run in in_flight), None)
        return runs[-1:] if first is None else runs[first:]
    # A run whose successor starts at or before ``since`` has nothing later.
    keep = [run for run, after in pairwise(runs) if seq_base(after) > since]
    return [*keep, runs[-1]]


async def resume_gap(ctx: ServerContext, thread_id: str, since: int) -> int | None:
    """Where a reader after ``since`` can resume, when it cannot at ``since``.

    An event after ``since`` may be lost when the run ``since`` falls
    within (the last one begun before it; a run's first event, the root's
    ``running``, has seq ``seq_base + 1``) or a later run is no longer
    readable: its frames expired, or it is older than the runs a reader
    replays. A run's length is not kept once its frames are gone, so a
    reader that saw the end of the run ``since`` falls within cannot be
    told from one that did not: that is a gap, as on LangGraph's server
    when its replay buffer no longer holds the event after ``since``.

    Returns:
        ``None`` when every event after ``since`` can be replayed, else the
        first seq from which all can (``min_available_seq``).
    """
    # One run more than a reader replays: the oldest is then unreadable.
    runs = await _recent_runs(ctx, thread_id, _RECENT_RUNS + 1)
    readable_from = len(runs) - _RECENT_RUNS
    lost_before: int | None = None
    for index, run_id in enumerate(runs):
        successor = runs[index + 1] if index + 1 < len(runs) else None
        if successor is not None and seq_base(successor) <= since:
            continue  # every event of the run is at or before ``since``
        if index < readable_from or await ctx.broker.get(run_id) is None:
            lost_before = index + 1
    if lost_before is None:
        return None
    # Runs after the last lost one are all readable; with none, only events
    # of runs yet to come are.
    later = runs[lost_before:]
    return seq_base(later[0] if later else new_id()) + 1


def gap_error(command_id: Any, since: int, min_available_seq: int) -> dict[str, Any]:
    """The ``resume_gap`` error envelope (LangGraph's server's shape)."""
    return {
        "type": "error",
        "id": command_id,
        "error": "resume_gap",
        "message": (
            f"resume gap: since={since} is older than "
            f"min_available_seq={min_available_seq}"
        ),
        "since": since,
        "min_available_seq": min_available_seq,
    }


async def _translator(ctx: ServerContext, run_id: str) -> RunTranslator:
    run = await ctx.storage.get_run(run_id)
    name: Any = None
    if run is not None:
        configurable = run["kwargs"]["config"].get("configurable") or {}
        name = configurable.get("graph_id") or run["assistant_id"]
    return RunTranslator(run_id, seq_base(run_id), str(name or "root"))


async def _run_events(
    ctx: ServerContext, run_id: str, heartbeat: float
) -> AsyncIterator[dict[str, Any] | None]:
    """One run's events, from its first frame to its terminal ``lifecycle``."""
    stream = await ctx.broker.get(run_id)
    if stream is None:  # expired, or deleted
        return
    translator: RunTranslator | None = None
    async for frame in stream.subscribe(after=-1, modes=None, heartbeat=heartbeat):
        if frame is None:
            yield None
            continue
        if translator is None:
            # Looked up once the worker publishes: a queued run may not be
            # stored yet when the thread's watchers learn of it.
            translator = await _translator(ctx, run_id)
            for event in translator.start():
                yield event
        for event in translator.translate(frame):
            yield event
    if translator is None:
        translator = await _translator(ctx, run_id)
        for event in translator.start():
            yield event
    for event in translator.finish():
        yield event


async def follow_thread(
    ctx: ServerContext, thread_id: str, since: int | None, heartbeat: float
) -> AsyncGenerator[dict[str, Any] | None]:
    """The thread's protocol events for one reader, until it leaves.

    Args:
        ctx: The server.
        thread_id: The thread.
        since: Only events with a greater seq (``None``: see the module
            docstring for where a reader starts).
        heartbeat: Seconds of silence after which ``None`` is yielded.

    Yields:
        Protocol events in seq order, or ``None`` as a heartbeat tick.
    """
    # Watch first, so that a run created while the replay is read is not missed.
    watch = await ctx.broker.watch(thread_id)
    seen: set[str] = set()
    try:
        for run_id in await _replayed(ctx, thread_id, since):
            seen.add(run_id)
            async for event in _run_events(ctx, run_id, heartbeat):
                if event is None or since is None or event["seq"] > since:
                    yield event
        while True:
            news = await watch.next(heartbeat)
            if news is None:
                yield None
                continue
            kind, run_id = news
            if kind != "run" or run_id in seen:
                continue
            seen.add(run_id)
            async for event in _run_events(ctx, run_id, heartbeat):
                if event is None or since is None or event["seq"] > since:
                    yield event
    finally:
        watch.close()
