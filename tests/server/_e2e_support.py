"""The cluster, users and helpers of ``test_serve_e2e.py``.

``serve_cluster`` starts the ``stategraph serve`` cluster the module shares;
``AUTH_PY`` is its ``langgraph_sdk.Auth`` file: Alice and Bob own what they
create and see nothing else, requests without a token belong to nobody and
are not filtered (so recorded scenarios replay unchanged).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from _cluster_support import Supervisors
from _redis_support import delete_prefix, new_prefix, require_redis
from langgraph_sdk import get_client, get_sync_client
from psycopg import sql
from psycopg.conninfo import make_conninfo

from conftest import Api

AUTH_PY = """
from langgraph_sdk import Auth

auth = Auth()
TOKENS = {"token-alice": "alice", "token-bob": "bob"}


@auth.authenticate
async def authenticate(authorization: str | None):
    if not authorization:
        return {"identity": "nobody"}
    identity = TOKENS.get(authorization.removeprefix("Bearer "))
    if identity is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid token")
    return {"identity": identity}


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: dict):
    if ctx.user.identity == "nobody":
        return None  # the recorded scenarios: no owner, no filter
    metadata = value.setdefault("metadata", {})
    if isinstance(metadata, dict):
        metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}


@auth.on.store
async def own_namespace(ctx: Auth.types.AuthContext, value: dict):
    prefix = value.get("namespace") or value.get("namespace_prefix") or ()
    value["namespace"] = (ctx.user.identity, *prefix)
"""

GRAPHS = {"agent": "_server_graphs:agent", "talk": "_server_graphs:talker"}


def write_project(root: Path) -> Path:
    """Write ``langgraph.json`` and the auth file into ``root``; the config's path."""
    (root / "auth.py").write_text(AUTH_PY)
    config = {
        "graphs": GRAPHS,
        # The tests' own directory: the graphs import ``_server_graphs``.
        "dependencies": [str(Path(__file__).parent)],
        "auth": {"path": "./auth.py:auth"},
    }
    path = root / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


class UserApi(Api):
    """The SDK client (sync or async) of one API process, as one user."""

    def __init__(self, mode: str, url: str, token: str | None) -> None:
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.mode = mode
        self.url = url
        self.sync = get_sync_client(url=url, api_key=None, headers=self.headers)
        self.aio = get_client(url=url, api_key=None, headers=self.headers)


@contextmanager
def serve_cluster(server: str, root: Path) -> Iterator[list[str]]:
    """The two API processes' URLs of a cluster serving ``write_project(root)``.

    Two supervisors, one API process and one worker each, on a new schema of
    ``server`` and a new Redis key prefix. Every process is stopped on exit,
    then the schema and the keys are dropped.
    """
    schema = f"sg_{uuid.uuid4().hex}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    redis = ("--redis-uri", require_redis(), "--redis-prefix", new_prefix())
    uri = make_conninfo(server, options=f"-c search_path={schema}")
    cluster = Supervisors(write_project(root), uri)
    try:
        made = [cluster.start(apis=1, workers=1, extra=redis) for _ in range(2)]
        for supervisor in made:
            cluster.client(supervisor.url)  # waits until it answers
        yield [supervisor.url for supervisor in made]
    finally:
        cluster.close()
        delete_prefix(redis[3])
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema))
            )


async def status_of(api: UserApi, path: str, *args: Any, **kwargs: Any) -> int:
    """The HTTP status an SDK call fails with."""
    with pytest.raises(httpx.HTTPStatusError) as info:
        await api(path, *args, **kwargs)
    return info.value.response.status_code


async def call(api: UserApi, graph: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``graph.<name>`` in the test's mode: sync in a thread, or ``a<name>``."""
    if api.mode == "sync":

        def run() -> Any:
            result = getattr(graph, name)(*args, **kwargs)
            return list(result) if name in ("stream", "get_state_history") else result

        return await asyncio.to_thread(run)
    result = getattr(graph, f"a{name}")(*args, **kwargs)
    if name in ("stream", "get_state_history"):
        return [item async for item in result]
    return await result
