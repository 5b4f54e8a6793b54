"""The MCP and A2A suites again, on a server kept in PostgreSQL.

``test_server_mcp`` and ``test_server_a2a`` run here against
``create_app(postgres=...)`` (storage, checkpoints, the ``SKIP LOCKED`` run
queue and the PostgreSQL broker) on a schema of this module's own, dropped
after: the protocols reach runs and threads only through the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from _protocol_project import write_project
from _server_graphs import agent
from psycopg import sql
from psycopg.conninfo import make_conninfo
from test_server_a2a import *  # noqa: F403
from test_server_mcp import *  # noqa: F403

from conftest import serve
from stategraph.server import create_app


@pytest.fixture(scope="module")
def url(server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"sg_{uuid.uuid4().hex}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        uri = make_conninfo(server, options=f"-c search_path={name}")
        path = write_project(tmp_path_factory.mktemp("pg-protocols"))
        yield from serve(create_app({"agent": agent}, config=path, postgres=uri))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name))
            )
