"""The JavaScript SDK's UI client (``LoadExternalComponent``) against ``/ui``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _node import SDKS, run_script
from _protocol_project import write_bundle, write_project

from conftest import serve
from stategraph.server import create_app


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("js-ui")
    path = write_project(root)
    write_bundle(root)
    yield from serve(create_app(config=path))


@pytest.mark.parametrize("sdk", list(SDKS.values()))
def test_load_external_component_gets_the_bundle(url: str, sdk: str) -> None:
    args = {"url": url, "sdk": sdk, "namespace": "echo", "name": "Card"}
    html = run_script("ui.mjs", args)["html"]
    assert html.splitlines() == [
        '<script src="/ui/echo/entrypoint.js" onload=\'__LGUI_echo.render('
        '&quot;Card&quot;, "{{shadowRootId}}")\'></script>',
        '<link rel="stylesheet" href="/ui/echo/entrypoint.css" />',
    ]
