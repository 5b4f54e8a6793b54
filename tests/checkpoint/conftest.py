"""PostgreSQL fixtures shared by the checkpoint tests: one schema per test.

``CI=true`` turns an unreachable server into a failure instead of a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

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
