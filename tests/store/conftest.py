"""The ``pgvector`` fixture: the extension, installed once in ``public``.

Installed there rather than by the first store that needs it: a store
creates it in the first schema of its ``search_path``, and every test drops
its own schema afterwards (taking the extension along, under the feet of
tests running at the same time). ``CI=true`` makes a server without
pgvector a failure (``make install`` builds it), not a skip.
"""

from __future__ import annotations

import os

import psycopg
import pytest


@pytest.fixture(scope="session")
def pgvector(server: str) -> str:
    """The schema pgvector is installed in (``public`` when this installs it)."""
    with psycopg.connect(server, autocommit=True) as conn:
        available = conn.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchall()
        if not available:
            message = (
                "PostgreSQL has no pgvector extension: run `make install` as root"
                " (scripts/install_pgvector.sh builds it)."
            )
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
        row = conn.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
            " ON n.oid = e.extnamespace WHERE e.extname = 'vector'"
        ).fetchone()
    assert row is not None
    return str(row[0])
