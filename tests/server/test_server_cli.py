"""``stategraph dev`` as a subprocess, the port choice, and langgraph.json parsing."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from stategraph.cli import _main
from stategraph.server import load_config

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "server" / "langgraph.json"


@pytest.mark.parametrize("reload", [False, True], ids=["no-reload", "reload"])
def test_dev_serves_the_example_until_stopped(reload: bool) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "stategraph.cli", "dev"),
            *("--config", str(EXAMPLE), "--port", "0", "--no-browser"),
            *(() if reload else ("--no-reload",)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the socket listens
        assert line.startswith("stategraph dev: serving the graphs of"), line
        url = line.rsplit(" at ", 1)[1].strip()
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.get("/ok").json() == {"ok": True}
            thread = http.post("/threads", json={}).json()
            paused = http.post(
                f"/threads/{thread['thread_id']}/runs/wait",
                json={"assistant_id": "approval", "input": {"amount": 7}},
            ).json()
            assert paused["__interrupt__"][0]["value"]["amount"] == 7
            done = http.post(
                f"/threads/{thread['thread_id']}/runs/wait",
                json={"assistant_id": "approval", "command": {"resume": "yes"}},
            ).json()
            assert done["status"] == "paid 7"
            names = [a["name"] for a in http.post("/assistants/search", json={}).json()]
            assert names == ["approval"]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode is not None


def test_default_port_falls_back_to_a_free_one(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setattr(_main, "DEFAULT_PORT", busy)
        with _main.listen("127.0.0.1", None) as sock:
            assert sock.getsockname()[1] not in (busy, 0)
        with pytest.raises(OSError, match="Address already in use"):
            _main.listen("127.0.0.1", busy)


def test_missing_config_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main.main(["dev", "--config", str(tmp_path / "nope.json")]) == 2
    assert "no config file" in capsys.readouterr().err


def test_load_config(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# comment\nexport A_KEY='one'\nB=two\n")
    (tmp_path / "langgraph.json").write_text(
        json.dumps(
            {
                "graphs": {"g": "./g.py:graph", "h": {"path": "pkg.mod:make"}},
                "env": ".env",
                "dependencies": [".", "./lib", "requests"],
                "checkpointer": {"sqlite": "state.db"},
            }
        )
    )
    config = load_config(tmp_path / "langgraph.json")
    assert dict(config.graphs) == {"g": "./g.py:graph", "h": "pkg.mod:make"}
    assert dict(config.env) == {"A_KEY": "one", "B": "two"}
    assert config.dependencies == (".", "./lib", "requests")
    assert config.sqlite_path == str(tmp_path / "state.db")
    (tmp_path / "bad.json").write_text(json.dumps({"graphs": {"g": "nocolon"}}))
    with pytest.raises(ValueError, match=r"^graph 'g': spec 'nocolon' is not"):
        load_config(tmp_path / "bad.json")


def test_listening_socket_gets_tcp_nodelay_connections() -> None:
    # asyncio only sets TCP_NODELAY on accepted sockets whose proto is TCP.
    with _main.listen("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP


def test_langgraph_cli_option_names_are_accepted() -> None:
    # `langgraph dev` options, and `langgraph up`'s short and PostgreSQL names.
    dev = _main._parser().parse_args(
        ["dev", "--allow-blocking", "--server-log-level", "INFO", "--no-browser"]
    )
    assert (dev.allow_blocking, dev.server_log_level) == (True, "info")
    assert _main._parser().parse_args(["dev"]).server_log_level == "warning"
    with pytest.raises(SystemExit):
        _main._parser().parse_args(["dev", "--server-log-level", "loud"])
    serve = _main._parser().parse_args(
        [
            *("serve", "-c", "x.json", "-p", "9000"),
            *("--postgres-uri", "postgresql://h/db", "--n-jobs-per-worker", "3"),
        ]
    )
    assert (serve.config, serve.port) == ("x.json", 9000)
    assert (serve.database_uri, serve.jobs_per_worker) == ("postgresql://h/db", 3)


def test_checkpointer_serde_allows_the_classes_it_names(tmp_path: Path) -> None:
    import uuid

    from stategraph.checkpoint.serde import DeserializationError
    from stategraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from stategraph.server import create_app

    module = f"allowed_{uuid.uuid4().hex}"
    (tmp_path / f"{module}.py").write_text(
        "import dataclasses\n\n@dataclasses.dataclass\nclass Thing:\n    n: int\n"
    )
    (tmp_path / "graph.py").write_text(
        "from stategraph.graph import START, StateGraph\n"
        "from typing_extensions import TypedDict\n"
        "class S(TypedDict):\n    n: int\n"
        "builder = StateGraph(S)\nbuilder.add_node('n', lambda s: s)\n"
        "builder.add_edge(START, 'n')\ngraph = builder.compile()\n"
    )
    config = {
        "graphs": {"g": "./graph.py:graph"},
        "checkpointer": {"serde": {"allowed_msgpack_modules": [[module, "Thing"]]}},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    assert (
        load_config(tmp_path / "langgraph.json").serde
        == config["checkpointer"]["serde"]
    )
    sys.path.insert(0, str(tmp_path))
    try:
        thing = importlib.import_module(module).Thing(3)
        # Written by a serializer that registered Thing for itself only.
        blob = JsonPlusSerializer().dumps_typed(thing)
        with pytest.raises(DeserializationError, match="not registered"):
            JsonPlusSerializer().loads_typed(blob)
        create_app(config=tmp_path / "langgraph.json")
        assert JsonPlusSerializer().loads_typed(blob) == thing
        config["checkpointer"] = {"serde": {"allowed_msgpack_modules": [[module]]}}
        (tmp_path / "langgraph.json").write_text(json.dumps(config))
        with pytest.raises(ValueError, match=r"is not a \[module, class\] pair"):
            create_app(config=tmp_path / "langgraph.json")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(module, None)


def test_dev_reloads_a_graph_file_when_it_changes(tmp_path: Path) -> None:
    graph_file = tmp_path / "graph.py"
    source = (
        "from typing_extensions import TypedDict\n"
        "from stategraph.graph import StateGraph, START\n"
        "class S(TypedDict):\n"
        "    v: str\n"
        "builder = StateGraph(S)\n"
        "builder.add_node('n', lambda s: {{'v': {word!r}}})\n"
        "builder.add_edge(START, 'n')\n"
        "graph = builder.compile()\n"
    )
    graph_file.write_text(source.format(word="one"))
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"g": "./graph.py:graph"}}))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "stategraph.cli", "dev"),
            *("--config", str(config), "--port", "0", "--no-browser"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )

    def answer(http: httpx.Client) -> Any:
        try:
            response = http.post("/runs/wait", json={"assistant_id": "g", "input": {}})
        except httpx.TransportError:
            return None  # the server is restarting
        return response.json().get("v") if response.status_code == 200 else None

    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("stategraph dev: serving the graphs of"), line
        url = line.rsplit(" at ", 1)[1].strip()
        with httpx.Client(base_url=url, timeout=30) as http:
            assert answer(http) == "one"
            graph_file.write_text(source.format(word="two"))
            deadline = time.monotonic() + 60
            seen = answer(http)
            while seen != "two" and time.monotonic() < deadline:
                seen = answer(http)
            assert seen == "two"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode is not None
