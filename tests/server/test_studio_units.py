"""The Studio's SSE parser and graph layout in the browser, and how it is served."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _studio_browser
import httpx
import pytest
from _studio_browser import launch_browser, open_studio

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "server" / "langgraph.json"

STREAM = (
    ": heartbeat\r\n\r\n"
    'event: metadata\r\ndata: {"run_id": "r1"}\r\n\r\n'
    'event: values\ndata: {"a":\ndata: 1}\nid: 7\n\n'
    "data: plain text\r\r"
    'event: updates|sub:1\r\ndata: {"n": {"x": "\\u00e9"}}\r\n\r\n'
)
EXPECTED = [
    {"event": "metadata", "data": {"run_id": "r1"}, "id": None},
    {"event": "values", "data": {"a": 1}, "id": "7"},
    {"event": "message", "data": "plain text", "id": None},
    {"event": "updates|sub:1", "data": {"n": {"x": "é"}}, "id": None},
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any, url: str) -> Iterator[Any]:
    with open_studio(browser, url) as page:
        yield page


def test_sse_parser_gives_the_same_events_however_the_stream_is_split(
    page: Any,
) -> None:
    results = page.evaluate(
        """async (text) => {
            const { SSEParser, decodeData } = await import("./js/sse.js");
            const runs = [];
            for (let size = 1; size <= text.length; size++) {
                const parser = new SSEParser();
                const events = [];
                for (let i = 0; i < text.length; i += size) {
                    events.push(...parser.feed(text.slice(i, i + size)));
                }
                events.push(...parser.feed("\\n\\n"));
                runs.push(events.map((e) => ({ ...e, data: decodeData(e.data) })));
            }
            return runs;
        }""",
        STREAM,
    )
    assert len(results) == len(STREAM)
    for events in results:
        assert events == EXPECTED


def test_layout_layers_top_down_and_routes_cycles_around(page: Any) -> None:
    graph = {
        "nodes": [{"id": n} for n in ["__start__", "a", "b", "c", "__end__"]],
        "edges": [
            {"source": "__start__", "target": "a"},
            {"source": "a", "target": "b"},
            {"source": "a", "target": "c", "conditional": True},
            {"source": "b", "target": "a", "conditional": True},
            {"source": "b", "target": "__end__", "conditional": True},
            {"source": "c", "target": "__end__"},
        ],
    }
    laid = page.evaluate(
        """async (graph) => {
            const { layout } = await import("./js/layout.js");
            return layout(graph);
        }""",
        graph,
    )
    layer = {node["id"]: node["layer"] for node in laid["nodes"]}
    assert layer == {"__start__": 0, "a": 1, "b": 2, "c": 2, "__end__": 3}
    boxes = {node["id"]: node for node in laid["nodes"]}
    left, right = sorted([boxes["b"], boxes["c"]], key=lambda box: box["x"])
    assert left["x"] + left["width"] < right["x"]  # same layer, no overlap
    back = [e for e in laid["edges"] if e["back"]]
    assert [(e["source"], e["target"]) for e in back] == [("b", "a")]
    assert all(
        n["x"] >= 0 and n["x"] + n["width"] <= laid["width"] for n in boxes.values()
    )
    dashed = {(e["source"], e["target"]) for e in laid["edges"] if e["conditional"]}
    assert dashed == {("a", "c"), ("b", "a"), ("b", "__end__")}


def test_dev_prints_the_studio_url_and_serves_it() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "stategraph.cli", "dev", "--no-reload"),
            *("--config", str(EXAMPLE), "--port", "0"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        api = lines[1].split("API: ", 1)[1].split()[0]
        assert lines[2].strip() == f"Studio: {api}/studio/"
        with httpx.Client(base_url=api, timeout=30) as http:
            moved = http.get("/studio")
            assert moved.status_code == 307
            assert moved.headers["location"].endswith("/studio/")
            index = http.get("/studio/")
            assert index.headers["content-type"].startswith("text/html")
            assert '<script type="module" src="js/main.js">' in index.text
            module = http.get("/studio/js/main.js")
            assert "javascript" in module.headers["content-type"]
            assert module.headers["cache-control"] == "no-cache"
            etag = module.headers["etag"]
            again = http.get("/studio/js/main.js", headers={"if-none-match": etag})
            assert again.status_code == 304
            assert http.get("/studio/js/nope.js").status_code == 404
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode is not None


def test_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_studio_browser, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        next(_studio_browser.launch_browser())
