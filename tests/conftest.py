"""Shared fixtures: one ``driver`` fixture runs a test with sync and async APIs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest


class Driver:
    """Calls a graph's sync or async API, so one test covers both."""

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def invoke(self, graph: Any, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            return graph.invoke(*args, **kwargs)
        return asyncio.run(graph.ainvoke(*args, **kwargs))

    def stream(self, graph: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if self.mode == "sync":
            return list(graph.stream(*args, **kwargs))

        async def collect() -> list[Any]:
            return [c async for c in graph.astream(*args, **kwargs)]

        return asyncio.run(collect())

    def get_state(self, graph: Any, config: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            return graph.get_state(config, **kwargs)
        return asyncio.run(graph.aget_state(config, **kwargs))

    def history(self, graph: Any, config: Any, **kwargs: Any) -> list[Any]:
        if self.mode == "sync":
            return list(graph.get_state_history(config, **kwargs))

        async def collect() -> list[Any]:
            return [s async for s in graph.aget_state_history(config, **kwargs)]

        return asyncio.run(collect())

    def update_state(self, graph: Any, *args: Any, **kwargs: Any) -> Any:
        if self.mode == "sync":
            return graph.update_state(*args, **kwargs)
        return asyncio.run(graph.aupdate_state(*args, **kwargs))


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    return Driver(request.param)
