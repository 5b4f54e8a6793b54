"""Drive ``stream_events(version="v3")`` runs and record what a user sees.

A *program* is ``build(lib) -> (graph, calls)``: one graph built with the
library ``lib`` and the ``(args, kwargs)`` of each v3 run to start on it, in
order (so a run can resume the one before). ``V3.both(build, read)`` records
the program on langgraph and on stategraph; recordings are normalised plain
data, so they compare with ``==``.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from typing import Any

from _lib import Lib
from _norm import Normalizer

Call = tuple[tuple[Any, ...], dict[str, Any]]
Program = Callable[[Lib], tuple[Any, list[Call]]]


def event_record(event: dict[str, Any]) -> dict[str, Any]:
    """An event without its wall-clock timestamp (checked to be an int)."""
    params = dict(event["params"])
    assert isinstance(params.pop("timestamp"), int)
    return {**event, "params": params}


class V3:
    """Starts and reads v3 runs with the sync or the async API.

    Args:
        mode: ``"sync"`` or ``"async"``.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode

    async def start(self, graph: Any, *args: Any, **kwargs: Any) -> Any:
        """``stream_events`` or ``await astream_events`` with ``version="v3"``."""
        if self.mode == "sync":
            return graph.stream_events(*args, version="v3", **kwargs)
        return await graph.astream_events(*args, version="v3", **kwargs)

    def cursor(self, source: Any) -> Any:
        """Subscribe to a projection (or the run's log)."""
        return iter(source) if self.mode == "sync" else aiter(source)

    async def drain(self, source: Any) -> list[Any]:
        """Read a projection (or cursor) to its end."""
        if self.mode == "sync":
            return list(source)
        return [item async for item in source]

    async def result(self, run: Any, name: str) -> Any:
        """``run.<name>`` (sync property) or ``await run.<name>()``."""
        if self.mode == "sync":
            return getattr(run, name)
        return await getattr(run, name)()

    async def outcome(self, run: Any) -> Any:
        """The run's output, or the exception reading it raised."""
        try:
            return await self.result(run, "output")
        except Exception as exc:
            return exc

    async def events(self, run: Any) -> dict[str, Any]:
        """The event log (up to the run's error, if any), then the results."""
        events: list[dict[str, Any]] = []
        cursor = self.cursor(run)
        try:
            while True:
                try:
                    event = next(cursor) if self.mode == "sync" else await anext(cursor)
                except (StopIteration, StopAsyncIteration):
                    break
                events.append(event_record(event))
        except Exception as exc:
            return {"events": events, "raised": exc}
        return {
            "events": events,
            "output": await self.result(run, "output"),
            "interrupted": await self.result(run, "interrupted"),
            "interrupts": await self.result(run, "interrupts"),
        }

    async def projections(self, run: Any, names: tuple[str, ...]) -> dict[str, Any]:
        """The named projections (all subscribed before any is read)."""
        cursors = {name: self.cursor(run.extensions[name]) for name in names}
        out = {name: await self.drain(cursor) for name, cursor in cursors.items()}
        out["output"] = await self.result(run, "output")
        return out

    async def subgraphs(self, run: Any) -> list[dict[str, Any]]:
        """Each ``run.subgraphs`` handle with its values and its children."""
        handles = self.cursor(run.subgraphs)
        found: list[dict[str, Any]] = []
        while True:
            try:
                handle = next(handles) if self.mode == "sync" else await anext(handles)
            except (StopIteration, StopAsyncIteration):
                return found
            except Exception as exc:
                # The run failed: the handles seen so far, then the error.
                found.append({"raised": exc})
                return found
            # Subscribe before reading on: later events would not be kept.
            values = self.cursor(handle.values)
            children = self.cursor(handle.subgraphs)
            entry: dict[str, Any] = {
                "path": handle.path,
                "graph_name": handle.graph_name,
                "trigger_call_id": handle.trigger_call_id,
            }
            try:
                entry["values"] = await self.drain(values)
            except Exception as exc:
                # A failed subgraph fails its projections; carry on walking.
                entry["values_raised"] = exc
            try:
                entry["children"] = await self._walk(children)
            except Exception as exc:
                entry["children_raised"] = exc
            entry["status"] = handle.status
            entry["error"] = handle.error
            found.append(entry)

    async def _walk(self, handles: Any) -> list[dict[str, Any]]:
        return [
            {"path": handle.path, "status": handle.status}
            for handle in await self.drain(handles)
        ]

    def record(self, lib: Lib, build: Program, read: Any) -> Any:
        """Build the program with ``lib`` and record each of its runs."""
        graph, calls = build(lib)

        async def one(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            try:
                run = await self.start(graph, *args, **kwargs)
                return await read(self, run)
            except Exception as exc:
                return {"raised": exc}

        async def all_runs() -> list[Any]:
            return [await one(args, kwargs) for args, kwargs in calls]

        with warnings.catch_warnings():
            # LangGraph marks v3 as beta; the suite turns warnings into errors.
            from langchain_core._api import LangChainBetaWarning

            warnings.simplefilter("ignore", LangChainBetaWarning)
            return Normalizer()(asyncio.run(all_runs()))

    def both(self, build: Program, read: Any) -> tuple[Any, Any]:
        """Record ``build`` on (langgraph, stategraph)."""
        return (
            self.record(Lib("langgraph"), build, read),
            self.record(Lib("stategraph"), build, read),
        )
