"""``http.middleware_order``, ``http.mount_prefix`` and ``http.disable_webhooks``.

As LangGraph's server: ``auth_first`` moves the user app's middleware from
around everything to each route, inside authentication (so it sees
``request.user`` and never runs for rejected requests); ``mount_prefix``
serves the API under a path with ``/`` and ``/ok`` left at the root;
``disable_webhooks`` accepts runs' webhooks and never calls them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server_graphs import agent  # noqa: F401  # the graph file imports it

from stategraph.server import _webhooks, create_app
from stategraph.server._context import ServerContext

AUTH_PY = """
from langgraph_sdk import Auth

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None):
    if authorization != "Bearer good":
        raise Auth.exceptions.HTTPException(status_code=401, detail="Bad token")
    return {"identity": "alice"}
"""

CUSTOM_PY = """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

RECEIVED = []


class Saw:
    \"\"\"Stamps each response with the user the middleware saw ('-': none).\"\"\"

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        seen = getattr(scope.get("user"), "identity", "-")

        async def stamped(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-saw", seen.encode())]
            await send(message)

        await self.app(scope, receive, stamped)


async def hello(request):
    return JSONResponse({"path": request.url.path})


async def hook(request):
    RECEIVED.append(await request.json())
    return Response(status_code=204)


app = Starlette(
    routes=[Route("/hello", hello), Route("/hook", hook, methods=["POST"])],
    middleware=[Middleware(Saw)],
)
"""

GOOD = {"Authorization": "Bearer good"}
HI = {"messages": [{"role": "user", "content": "hi"}]}


def _project(root: Path, http: dict[str, Any], *, auth: bool = True) -> Path:
    (root / "auth.py").write_text(AUTH_PY)
    (root / "custom.py").write_text(CUSTOM_PY)
    (root / "g.py").write_text("from _server_graphs import agent as graph\n")
    spec: dict[str, Any] = {
        "graphs": {"agent": "./g.py:graph"},
        "http": {"app": "./custom.py:app", **http},
    }
    if auth:
        spec["auth"] = {"path": "./auth.py:auth"}
    path = root / "langgraph.json"
    path.write_text(json.dumps(spec))
    return path


@contextlib.asynccontextmanager
async def _client(app: Any, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of ``app`` in process, its lifespan running."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t", **kwargs) as http,
    ):
        yield http


@pytest.mark.asyncio
@pytest.mark.parametrize("order", ["middleware_first", "auth_first"])
async def test_middleware_order(tmp_path: Path, order: str) -> None:
    http = {"middleware_order": order, "enable_custom_route_auth": True}
    app = create_app(config=_project(tmp_path, http))
    first = order == "middleware_first"
    async with _client(app) as client:
        created = await client.post("/threads", json={}, headers=GOOD)
        custom = await client.get("/hello", headers=GOOD)
        refused = await client.post("/threads", json={})
        ok = await client.get("/ok")
    assert created.status_code == 200
    assert custom.json() == {"path": "/hello"}
    # Around everything it runs before auth; inside, after it, with the user.
    assert created.headers["x-saw"] == ("-" if first else "alice")
    assert custom.headers["x-saw"] == ("-" if first else "alice")
    assert refused.status_code == 401
    assert refused.headers.get("x-saw") == ("-" if first else None)
    assert ok.headers["x-saw"] == "-"  # public routes get it either way


@pytest.mark.asyncio
async def test_mount_prefix_serves_the_api_under_a_path(tmp_path: Path) -> None:
    app = create_app(config=_project(tmp_path, {"mount_prefix": "/my/api/"}))
    assert isinstance(app.state.stategraph, ServerContext)
    async with _client(app, headers=GOOD) as client:
        root = [await client.get(path) for path in ("/", "/ok", "/my/api/ok")]
        tid = (await client.post("/my/api/threads", json={})).json()["thread_id"]
        body = {"assistant_id": "agent", "input": HI}
        done = await client.post(f"/my/api/threads/{tid}/runs/wait", json=body)
        unprefixed = await client.post("/threads", json={})
        custom = await client.get("/my/api/hello")
        info = await client.get("/my/api/info")
        studio = await client.get("/my/api/studio")
        page = await client.get("/my/api/studio/")
    assert [r.json() for r in root] == [{"ok": True}] * 3
    assert done.status_code == 200
    assert done.json()["messages"][-1]["type"] == "ai"
    assert unprefixed.status_code == 404
    assert custom.json() == {"path": "/my/api/hello"}
    assert info.status_code == 200
    assert studio.headers["location"] == "/my/api/studio/"
    assert page.status_code == 200


@pytest.mark.asyncio
@pytest.mark.parametrize("disabled", [False, True])
async def test_disable_webhooks(tmp_path: Path, disabled: bool) -> None:
    path = _project(tmp_path, {"disable_webhooks": disabled}, auth=False)
    app = create_app(config=path)
    received = _received(tmp_path)
    received.clear()
    async with _client(app) as client:
        body = {"assistant_id": "agent", "input": HI, "webhook": "/hook"}
        done = await client.post("/runs/wait", json=body)
        assert done.status_code == 200
        if disabled:
            # The delivery task is made before the run's result is released:
            # none pending and none received means none was made.
            assert not _webhooks._pending
            assert received == []
        else:
            await asyncio.gather(*_webhooks._pending)  # if still under way
            assert [hook["status"] for hook in received] == ["success"]


def _received(root: Path) -> list[Any]:
    """The custom app's list of webhook bodies (the module create_app loaded)."""
    import sys

    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == str(root / "custom.py"):
            found: list[Any] = module.RECEIVED
            return found
    raise AssertionError("custom.py was not imported")


@pytest.mark.asyncio
async def test_mount_prefix_from_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOUNT_PREFIX", "/env")
    path = _project(tmp_path, {"mount_prefix": "/config"}, auth=False)
    async with _client(create_app(config=path)) as client:
        answers = {
            url: (await client.post(url, json={})).status_code
            for url in ("/env/threads", "/config/threads", "/threads")
        }
    assert answers == {"/env/threads": 200, "/config/threads": 404, "/threads": 404}
    monkeypatch.setenv("MOUNT_PREFIX", "env")
    with pytest.raises(ValueError, match="MOUNT_PREFIX must be a path starting"):
        create_app(config=path)
