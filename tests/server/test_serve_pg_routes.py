"""The route test suites again, on a server kept in PostgreSQL.

``test_server_runs``, ``test_server_run_options``, ``test_server_streaming``,
``test_server_threads`` and ``test_server_thread_stream`` run here against
``create_app(postgres=...)``: PostgreSQL storage, checkpoints and store, the
``SKIP LOCKED`` run queue and the PostgreSQL broker, on a schema of this
module's own (dropped after), instead of the in-memory server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from _server_graphs import agent, make_who_graph, memo, talker
from psycopg import sql
from psycopg.conninfo import make_conninfo
from test_server_run_options import *  # noqa: F403
from test_server_runs import *  # noqa: F403
from test_server_streaming import *  # noqa: F403
from test_server_thread_stream import *  # noqa: F403
from test_server_threads import *  # noqa: F403

from conftest import serve
from stategraph.server import create_app


@pytest.fixture(scope="module")
def url(server: str) -> Iterator[str]:
    name = f"sg_{uuid.uuid4().hex}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        uri = make_conninfo(server, options=f"-c search_path={name}")
        graphs = {"agent": agent, "who": make_who_graph, "talk": talker, "memo": memo}
        yield from serve(create_app(graphs, postgres=uri))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name))
            )
