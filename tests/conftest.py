"""Shared fixtures: one ``driver`` fixture runs a test with sync and async APIs;
``server``/``schemas`` give each test its own PostgreSQL schema.

``CI=true`` turns an unreachable PostgreSQL server into a failure, not a skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo


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


@pytest.fixture(autouse=True, scope="session")
def _check_header_deltas() -> Iterator[None]:
    """Check every header ``InMemorySaver`` keeps as changes against a copy."""
    from stategraph.checkpoint.memory import InMemorySaver

    InMemorySaver.check_deltas = True
    yield
    InMemorySaver.check_deltas = False


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    return Driver(request.param)


DSN = os.environ.get(
    "STATEGRAPH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def server() -> str:
    """The test server's conninfo, once it answers."""
    try:
        psycopg.connect(DSN, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL unreachable at {DSN} with CI=true: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {DSN}: {exc}")
    return DSN


@pytest.fixture
def schemas(server: str) -> Iterator[Callable[[], str]]:
    """Make fresh schemas; returns their conninfo strings; drops them after."""
    made: list[str] = []

    def make() -> str:
        name = f"sg_{uuid.uuid4().hex}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        made.append(name)
        return make_conninfo(server, options=f"-c search_path={name}")

    yield make
    with psycopg.connect(server, autocommit=True) as admin:
        for name in made:
            admin.execute(
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name))
            )
