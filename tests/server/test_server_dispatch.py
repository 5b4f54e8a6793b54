"""``IndexedRouter`` chooses the route Starlette's linear scan would choose."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from _server_graphs import agent
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Match, Mount, Route

from stategraph.server import create_app
from stategraph.server._dispatch import IndexedRouter, route_key

UUID = "3f1d3b2e-5c4a-4e7b-9a0d-2b6c8e1f4a7d"
_PARAM = re.compile(r"{([a-zA-Z_]\w*)(?::(\w+))?}")
_SAMPLES = {None: "abc", "str": "abc", "int": "7", "uuid": UUID, "path": "a/b/c"}


class SlashConvertor(Convertor[str]):
    """A custom convertor whose values may hold ``/``."""

    regex = r"[a-z]+(?:/[a-z]+)?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("slashy", SlashConvertor())


def _ok(request: Request) -> PlainTextResponse:
    return PlainTextResponse(request.url.path)


def _filled(path: str) -> str:
    return _PARAM.sub(lambda m: _SAMPLES.get(m.group(2), "abc"), path)


def _linear(routes: list[BaseRoute], scope: dict[str, Any]) -> Any:
    """Starlette's choice: the first full match, else the first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route, Match.FULL
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (partial, Match.PARTIAL) if partial is not None else (None, Match.NONE)


def _probes(routes: list[BaseRoute]) -> set[str]:
    """Paths of every route, and near misses of each."""
    paths = {"/", "/nowhere", "/nowhere/at/all", "/a/b/c/d/e/f/g/h/i/j"}
    for route in routes:
        raw = getattr(route, "path", None)
        if not raw:
            continue
        path = _filled(raw)
        head = path.rstrip("/") or "/"
        paths |= {path, head, head + "/", head + "/x", head + "/x/y"}
        paths.add(path.replace("/", "//", 1))
        paths.add(path.upper())
    return paths


def _app_routes() -> list[BaseRoute]:
    app = create_app({"agent": agent})
    extra: list[BaseRoute] = [
        Route("/{anything}/tail", _ok),  # a parameter first: fits any head
        Route("/files/{rest:path}", _ok),  # any number of slashes
        Route("/odd/{part:slashy}", _ok),  # a custom convertor: the same
        Route("/runs/{n:int}/x", _ok, methods=["DELETE"]),
        Mount("/mounted", routes=[Route("/in", _ok)]),
    ]
    return [*app.routes[:3], *extra, *app.routes[3:]]


def test_the_index_keeps_starlettes_choice() -> None:
    routes = _app_routes()
    router = IndexedRouter(routes)
    methods = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
    tried = 0
    for path in sorted(_probes(routes)):
        candidates = router.candidates(path)
        # Never more than the whole list, and in its order.
        assert [r for r in routes if r in candidates] == list(candidates)
        for method in methods:
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            assert _linear(list(candidates), scope) == _linear(routes, scope), (
                method,
                path,
            )
            tried += 1
    assert tried > 1500
    # A run request tries a handful of routes, not the forty-odd before it.
    assert len(router.candidates("/runs/wait")) <= len(routes) // 8
    assert len(router.candidates(f"/threads/{UUID}/runs/wait")) <= len(routes) // 6


def test_route_keys() -> None:
    assert route_key(Route("/runs/wait", _ok)) == ("runs", 2)
    assert route_key(Route("/threads/{id}/runs", _ok)) == ("threads", 3)
    assert route_key(Route("/{id}/runs", _ok)) == (None, 2)
    assert route_key(Route("/files/{rest:path}", _ok)) == ("files", None)
    assert route_key(Route("/odd/{part:slashy}", _ok)) == ("odd", None)
    assert route_key(Route("/", _ok)) == ("", 1)
    assert route_key(Mount("/studio", routes=[])) == ("studio", None)
    assert route_key(Mount("", routes=[])) == (None, None)


@pytest.mark.asyncio
async def test_served_like_starlette_with_routes_added_later() -> None:
    app = create_app({"agent": agent})
    assert isinstance(app.router, IndexedRouter)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/ok")).status_code == 200
        assert (await http.get("/runs/wait")).status_code == 405
        assert (await http.get("/nowhere")).status_code == 404
        redirect = await http.get("/ok/", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.headers["location"] == "http://t/ok"
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        assert (await http.get(f"/threads/{tid}")).json()["thread_id"] == tid
        app.add_route("/late/{name}", _ok)
        assert (await http.get("/late/one")).text == "/late/one"


@pytest.mark.asyncio
async def test_a_mounted_app_routes_by_its_own_path() -> None:
    inner = create_app({"agent": agent})
    outer = Starlette(routes=[Mount("/api", app=inner)])
    transport = httpx.ASGITransport(app=outer)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/api/ok")).status_code == 200
        assert (await http.get("/api/runs/wait")).status_code == 405
