"""The Studio under ``http.mount_prefix`` finds the API where its own path starts."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from _server_graphs import agent  # noqa: F401  # the graph file imports it
from _studio_browser import launch_browser, open_studio

from stategraph.server import create_app
from stategraph.server._registry import system_assistant_id


@pytest.fixture(scope="module")
def mounted_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mounted")
    (root / "g.py").write_text("from _server_graphs import agent as graph\n")
    spec = {"graphs": {"agent": "./g.py:graph"}, "http": {"mount_prefix": "/my/api"}}
    (root / "langgraph.json").write_text(json.dumps(spec))
    app = create_app(config=Path(root / "langgraph.json"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


def test_studio_talks_to_the_mounted_api(browser: Any, mounted_url: str) -> None:
    with open_studio(browser, f"{mounted_url}/my/api") as page:
        # Ready means it loaded the assistants from /my/api/assistants/search.
        options = page.eval_on_selector_all(
            "#assistant-select option", "options => options.map(o => o.value)"
        )
    assert system_assistant_id("agent") in options
