"""``/ui``: generative-UI bundles declared under ``"ui"`` in ``langgraph.json``."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _protocol_project import write_bundle, write_project

from conftest import serve
from stategraph.server import create_app
from stategraph.server._ui import BUNDLER_ENV, ui_bundler, ui_settings

ALICE = {"authorization": "Bearer alice"}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("ui")
    path = write_project(root, with_auth=True)
    write_bundle(root)
    yield from serve(create_app(config=path))


def test_component_html_loads_the_bundle(url: str) -> None:
    reply = httpx.post(f"{url}/ui/echo", json={"name": "Card"}, headers=ALICE)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html"
    script, link = reply.text.split("\n")
    assert script == (
        '<script src="/ui/echo/entrypoint.js" onload=\'__LGUI_echo.render('
        '&quot;Card&quot;, "{{shadowRootId}}")\'></script>'
    )
    assert link == '<link rel="stylesheet" href="/ui/echo/entrypoint.css" />'


def test_component_names_are_escaped(url: str) -> None:
    name = "x\")'><img src=y>"
    reply = httpx.post(f"{url}/ui/echo", json={"name": name}, headers=ALICE)
    assert "<img" not in reply.text
    assert "&#x27;" in reply.text


def test_assets_are_public_and_the_component_route_is_not(url: str) -> None:
    asset = httpx.get(f"{url}/ui/echo/entrypoint.js")
    assert asset.status_code == 200
    assert asset.text == "var __LGUI_echo = {};\n"
    assert asset.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{url}/ui/echo/missing.js").status_code == 404
    assert httpx.get(f"{url}/ui/schemas.json").status_code == 404
    assert httpx.post(f"{url}/ui/echo", json={"name": "Card"}).status_code == 401


def test_unknown_graphs_and_bad_bodies(url: str) -> None:
    reply = httpx.post(f"{url}/ui/adder", json={"name": "Card"}, headers=ALICE)
    assert (reply.status_code, reply.text) == (404, "UI not found for graph 'adder'")
    bad = httpx.post(f"{url}/ui/echo", json={"nom": "Card"}, headers=ALICE)
    assert bad.status_code == 422
    assert "'name'" in bad.json()["detail"]


def test_a_declared_but_unbuilt_bundle_says_how_to_build_it(tmp_path: Path) -> None:
    for base in serve(create_app(config=write_project(tmp_path))):
        reply = httpx.post(f"{base}/ui/echo", json={"name": "Card"})
        assert reply.status_code == 404
        assert reply.text.startswith("UI not found for graph 'echo': langgraph.json")
        assert "@langchain/langgraph-ui" in reply.text


def test_http_disable_ui_removes_the_routes(tmp_path: Path) -> None:
    write_bundle(tmp_path)
    path = write_project(tmp_path, http={"disable_ui": True})
    for base in serve(create_app(config=path)):
        assert httpx.post(f"{base}/ui/echo", json={"name": "C"}).status_code == 404
        assert httpx.get(f"{base}/ui/echo/entrypoint.js").status_code == 404


def _written(seen: Path) -> tuple[str, str]:
    """What the fake ``npx`` wrote: ``$LANGGRAPH_UI`` and its arguments."""
    return seen.read_text(), Path(f"{seen}.args").read_text()


@pytest.mark.asyncio
async def test_the_bundler_runs_langgraph_ui_watch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, seen = tmp_path / "bin", tmp_path / "seen.json"
    bin_dir.mkdir()
    npx = bin_dir / "npx"
    npx.write_text(
        "#!/bin/sh\n"
        f"printf '%s\\n' \"$@\" > {seen}.args\n"
        f"printf '%s' \"$LANGGRAPH_UI\" > {seen}\n"
    )
    npx.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv(BUNDLER_ENV, "true")
    settings = ui_settings(tmp_path, {"echo": "./ui.tsx"})
    async with ui_bundler(settings) as process:
        assert process is not None
        assert await process.wait() == 0  # the fake exits once it wrote
    declared, args = _written(seen)
    assert json.loads(declared) == {"echo": "./ui.tsx"}
    out = str(tmp_path / ".langgraph_api" / "ui")
    assert args.split() == ["-y", "@langchain/langgraph-ui@latest", "watch", "-o", out]


@pytest.mark.asyncio
async def test_the_bundler_needs_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv(BUNDLER_ENV, "true")
    monkeypatch.delenv("LANGSMITH_LANGGRAPH_API_VARIANT", raising=False)
    with pytest.raises(RuntimeError, match=r"Node\.js"):
        async with ui_bundler(ui_settings(tmp_path, {"echo": "./ui.tsx"})):
            pass
    monkeypatch.delenv(BUNDLER_ENV)
    async with ui_bundler(ui_settings(tmp_path, {"echo": "./ui.tsx"})) as process:
        assert process is None  # not asked for: nothing runs, nothing is needed
