"""``http`` of ``langgraph.json``: custom routes, their auth, disabled groups, CORS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _server_graphs import agent  # noqa: F401  # the graph files import it
from openapi_spec_validator import validate

from conftest import HI, Api, serve
from stategraph.server import create_app
from stategraph.server._custom_routes import CustomRoutes, parse_http
from stategraph.server._openapi import build_openapi

AUTH_PY = """
from langgraph_sdk import Auth

auth = Auth()


@auth.authenticate
async def authenticate(authorization: str | None):
    if authorization != "Bearer good":
        raise Auth.exceptions.HTTPException(status_code=401, detail="Bad token")
    return {"identity": "alice", "permissions": ["greet"]}
"""

FASTAPI_PY = """
import contextlib

from fastapi import FastAPI, Request
from pydantic import BaseModel


@contextlib.asynccontextmanager
async def lifespan(app):
    app.state.events.append("up")
    yield
    app.state.events.append("down")


app = FastAPI(lifespan=lifespan)
app.state.events = []


class Greeting(BaseModel):
    name: str


@app.get("/hello")
async def hello(request: Request):
    \"\"\"Say hello.\"\"\"
    user = request.scope.get("user")
    return {
        "hello": "world",
        "user": getattr(user, "identity", None),
        "scopes": request.auth.scopes if "auth" in request.scope else None,
        "events": app.state.events,
    }


@app.post("/hello")
async def greet(body: Greeting):
    return {"hello": body.name}


@app.post("/threads/count")
async def count():
    return 42


@app.get("/info")
async def info():
    return {"custom": True}


@app.middleware("http")
async def stamp(request, call_next):
    response = await call_next(request)
    response.headers["x-custom"] = "stamped"
    return response
"""

STARLETTE_PY = """
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request):
    return JSONResponse({"hello": "plain", "authenticated": "user" in request.scope})


app = Starlette(routes=[Route("/hello", hello)])
"""

ECHO_PY = """
from typing_extensions import TypedDict

from stategraph.config import get_config
from stategraph.graph import START, StateGraph


class Seen(TypedDict, total=False):
    headers: dict


def look(state: Seen) -> dict:
    configurable = get_config()["configurable"]
    return {"headers": {k: v for k, v in configurable.items() if "-" in k}}


builder = StateGraph(Seen)
builder.add_node("look", look)
builder.add_edge(START, "look")
graph = builder.compile()
"""

GOOD = {"Authorization": "Bearer good"}


def _project(root: Path, app_py: str, http: dict[str, Any]) -> Path:
    (root / "auth.py").write_text(AUTH_PY)
    (root / "custom.py").write_text(app_py)
    (root / "g.py").write_text("from _server_graphs import agent as graph\n")
    (root / "echo.py").write_text(ECHO_PY)
    spec = {
        "graphs": {"agent": "./g.py:graph", "echo": "./echo.py:graph"},
        "auth": {"path": "./auth.py:auth"},
        "http": {"app": "./custom.py:app", **http},
    }
    path = root / "langgraph.json"
    path.write_text(json.dumps(spec))
    return path


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """FastAPI routes behind the custom auth, with a CORS allow-list."""
    http = {
        "enable_custom_route_auth": True,
        "cors": {"allow_origins": ["https://a.example"], "allow_methods": ["GET"]},
        "configurable_headers": {
            "includes": ["X-User-*", "user-agent", "x-api-key"],
            "excludes": ["*secret*"],
        },
    }
    path = _project(tmp_path_factory.mktemp("fastapi"), FASTAPI_PY, http)
    yield from serve(create_app(config=path))


@pytest.fixture(scope="module")
def plain_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Starlette app's routes, public; assistants, store and meta disabled."""
    http = {"disable_assistants": True, "disable_store": True, "disable_meta": True}
    path = _project(tmp_path_factory.mktemp("plain"), STARLETTE_PY, http)
    yield from serve(create_app(config=path))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _sdk(mode: str, url: str, path: str, *args: Any, **kwargs: Any) -> Any:
    client = Api(mode, url)
    for sdk in (client.sync, client.aio):
        sdk.http.client.headers.update(GOOD)
    try:
        return await client(path, *args, **kwargs)
    finally:
        await client.aclose()


@pytest.mark.asyncio
async def test_custom_routes_are_served_with_ours(url: str, mode: str) -> None:
    async with httpx.AsyncClient(base_url=url, headers=GOOD) as http:
        hello = (await http.get("/hello")).json()
        assert hello == {
            "hello": "world",
            "user": "alice",
            "scopes": ["greet"],
            "events": ["up"],  # its lifespan ran
        }
        assert (await http.post("/hello", json={"name": "bo"})).json() == {
            "hello": "bo"
        }
        invalid = await http.post("/hello", json={})
        assert invalid.status_code == 422  # FastAPI's own validation handler
        assert invalid.json()["detail"][0]["loc"] == ["body", "name"]
        # Its middleware wraps our routes too.
        created = await http.post("/threads", json={})
        assert created.headers["x-custom"] == "stamped"
        # /info may be replaced; /ok and /docs may not.
        assert (await http.get("/info")).json() == {"custom": True}
        assert (await http.get("/ok")).json() == {"ok": True}
        assert "stategraph server API" in (await http.get("/docs")).text
        wrong_method = await http.delete("/hello")
        assert wrong_method.status_code == 405
    # On a conflict the custom route wins; the rest of the API is unchanged.
    assert await _sdk(mode, url, "threads.count") == 42
    thread = await _sdk(mode, url, "threads.create")
    done = await _sdk(mode, url, "runs.wait", thread["thread_id"], "agent", input=HI)
    assert done["messages"][-1]["content"]


@pytest.mark.asyncio
async def test_custom_route_auth(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        for headers in ({}, {"Authorization": "Bearer bad"}):
            refused = await http.get("/hello", headers=headers)
            assert refused.status_code == 401
            assert refused.json() == {"detail": "Bad token"}
            assert (
                await http.post("/threads/search", headers=headers)
            ).status_code == 401
        assert (await http.get("/ok")).status_code == 200  # meta stays public


@pytest.mark.asyncio
async def test_cors_config(url: str) -> None:
    preflight = {"Access-Control-Request-Method": "GET"}
    async with httpx.AsyncClient(base_url=url) as http:
        allowed = await http.options(
            "/hello", headers={"Origin": "https://a.example", **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://a.example"
        refused = await http.options(
            "/hello", headers={"Origin": "https://b.example", **preflight}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        simple = await http.get("/ok", headers={"Origin": "https://a.example"})
        assert simple.headers["access-control-allow-origin"] == "https://a.example"
        assert "x-pagination-total" in simple.headers["access-control-expose-headers"]


@pytest.mark.asyncio
async def test_openapi_lists_custom_routes(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        document = (await http.get("/openapi.json")).json()
    validate(document)
    hello = document["paths"]["/hello"]
    assert hello["get"]["tags"] == ["custom"]
    assert hello["get"]["summary"] == "Say hello."
    assert hello["post"]["summary"] == "Custom route."
    # The route a request reaches is the one documented.
    assert document["paths"]["/threads/count"]["post"]["tags"] == ["custom"]
    assert document["paths"]["/threads/search"]["post"]["tags"] == ["threads"]
    assert "/redoc" not in document["paths"]  # FastAPI's own pages are hidden
    assert "custom" in {tag["name"] for tag in document["tags"]}


def test_openapi_is_strict_about_our_routes_only(tmp_path: Path) -> None:
    path = _project(tmp_path, STARLETTE_PY, {})
    app = create_app(config=path)
    custom = [r for r in app.routes if isinstance(r, CustomRoutes)]
    assert len(custom) == 1
    document = build_openapi(app.routes)  # strict: no LookupError for /hello
    assert document["paths"]["/hello"]["get"]["tags"] == ["custom"]


@pytest.mark.asyncio
async def test_disabled_groups_answer_404(plain_url: str, mode: str) -> None:
    async with httpx.AsyncClient(base_url=plain_url) as http:
        for method, path in (
            ("POST", "/assistants/search"),
            ("PUT", "/store/items"),
            ("GET", "/info"),
            ("GET", "/openapi.json"),
            ("GET", "/docs"),
        ):
            reply = await http.request(method, path, json={}, headers=GOOD)
            assert reply.status_code == 404, (method, path)
        assert (await http.get("/ok")).json() == {"ok": True}
        # Custom auth is off for custom routes here; ours still need it.
        hello = (await http.get("/hello")).json()
        assert hello == {"hello": "plain", "authenticated": False}
        assert (await http.post("/threads/search", json={})).status_code == 401
    thread = await _sdk(mode, plain_url, "threads.create")
    assert (await _sdk(mode, plain_url, "threads.get", thread["thread_id"]))[
        "thread_id"
    ]


@pytest.mark.asyncio
async def test_configurable_headers_reach_runs(url: str, plain_url: str) -> None:
    headers = {
        **GOOD,
        "x-user-id": "u-1",
        "x-user-secret": "hidden",  # excluded
        "x-api-key": "never",  # never copied, whatever the patterns
        "x-other": "not included",
        "user-agent": "probe/1",
    }
    body = {"assistant_id": "echo", "input": {}}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        seen = (await http.post("/runs/wait", json=body)).json()
        assert seen["headers"] == {"x-user-id": "u-1", "user-agent": "probe/1"}
        batch = await http.post("/runs/batch", json=[body])
        run = batch.json()[0]
        assert run["kwargs"]["config"]["configurable"]["x-user-id"] == "u-1"
    # Without configurable_headers no header reaches a run, as in LangGraph.
    async with httpx.AsyncClient(base_url=plain_url, headers=headers) as http:
        seen = (await http.post("/runs/wait", json=body)).json()
        assert seen["headers"] == {}


def test_user_lifespan_runs_inside_ours(tmp_path: Path) -> None:
    path = _project(tmp_path, FASTAPI_PY, {})
    app = create_app(config=path)
    user_app = next(r for r in app.routes if isinstance(r, CustomRoutes)).app
    served = serve(app)
    base = next(served)
    assert httpx.get(f"{base}/hello", timeout=30).json()["user"] is None
    assert user_app.state.events == ["up"]
    served.close()
    assert user_app.state.events == ["up", "down"]


def test_http_config_errors(tmp_path: Path) -> None:
    assert parse_http(None) is None
    parsed = parse_http({"disable_runs": True, "disable_mcp": True})
    assert parsed is not None
    assert parsed.disabled == frozenset({"runs", "mcp"})
    assert parsed.configurable_headers is None
    singular = parse_http({"configurable_headers": {"include": ["x-a*"]}})
    assert singular is not None
    assert singular.configurable_headers is not None
    assert singular.configurable_headers.select({"X-Ab": "1", "x-b": "2"}) == {
        "x-ab": "1"
    }
    cases = [
        ("on", r"'http' must be an object"),
        ({"apps": "./x.py:app"}, r"unknown keys \['apps'\]"),
        ({"app": "x.py"}, r"'http.app' must be a 'path.py:attr' spec"),
        ({"disable_store": "yes"}, r"'http.disable_store' must be true or false"),
        ({"cors": {"allow_origin": ["*"]}}, r"unknown key 'allow_origin'"),
        ({"cors": {"max_age": "1"}}, r"'http.cors.max_age' must be a int"),
        ({"cors": ["*"]}, r"'http.cors' must be an object"),
        ({"mount_prefix": "api"}, r"'http.mount_prefix' must be a path starting"),
        ({"mount_prefix": "/noauth"}, r"'http.mount_prefix' cannot be '/noauth'"),
        ({"mount_prefix": "/"}, r"'http.mount_prefix' cannot be '/'"),
        ({"middleware_order": "auth_last"}, r"'http.middleware_order' must be one"),
        ({"disable_webhooks": "yes"}, r"'http.disable_webhooks' must be true or"),
        ({"configurable_headers": ["x-*"]}, r"'http.configurable_headers' must be"),
        ({"configurable_headers": {"includes": "x-*"}}, r"must be a list of header"),
    ]
    for raw, message in cases:
        with pytest.raises(ValueError, match=message):
            parse_http(raw)
    path = _project(tmp_path, "app = object()\n", {})
    with pytest.raises(ValueError, match=r"is object, not a Starlette or FastAPI app"):
        create_app(config=path)
    spec = json.loads(path.read_text())
    spec["http"]["disable_meta"] = 1
    path.write_text(json.dumps(spec))
    with pytest.raises(ValueError, match=r"langgraph\.json: 'http.disable_meta' must"):
        create_app(config=path)
