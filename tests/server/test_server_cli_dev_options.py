"""``stategraph dev``'s ``langgraph dev`` options: debugger, HTTPS, Studio, tunnel.

``debugpy`` and ``cloudflared`` are stand-ins here (a module and a script
that record what they are asked), so the tests need neither installed nor a
network; the HTTPS test serves with a certificate made by ``openssl``.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stategraph.cli import _dev_tools, _main

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "server" / "langgraph.json"
DEV = ["dev", "--config", str(EXAMPLE), "--port", "0", "--no-reload"]

FAKE_CLOUDFLARED = """#!/bin/sh
echo "$@" > "$0.args"
echo $$ > "$0.pid"
echo "INF |  https://quick-fox.trycloudflare.com  |" >&2
exec sleep 600
"""

STUB_DEBUGPY = """
import os

def _log(line):
    with open(os.environ["DEBUGPY_LOG"], "a") as f:
        f.write(line + "\\n")

def listen(address):
    _log(f"listen {address[0]} {address[1]}")

def wait_for_client():
    _log("wait")
"""


def test_option_combinations_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    parse = _main._parser().parse_args
    args = parse(["dev", "--debug-port", "5678", "--wait-for-client"])
    assert (args.debug_port, args.wait_for_client) == (5678, True)
    assert _dev_tools.check_options(args) is None
    bad = {
        ("--wait-for-client",): "give --debug-port too",
        ("--ssl-certfile", str(EXAMPLE)): "give both --ssl-certfile and",
        ("--tunnel", "--ssl-certfile", str(EXAMPLE), "--ssl-keyfile", str(EXAMPLE)): (
            "--tunnel cannot go with"
        ),
    }
    for options, message in bad.items():
        assert _main.main([*DEV, *options]) == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse(["dev", "--ssl-certfile", str(EXAMPLE.parent / "missing.pem")])
    assert "no file at" in capsys.readouterr().err


def test_n_jobs_per_worker_reaches_the_app(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    # As ``langgraph dev``: the option becomes N_JOBS_PER_WORKER, which the
    # app reads (also in a process started by a reload).
    # Set here so that the test's end restores it (dev sets it for good).
    monkeypatch.setenv("N_JOBS_PER_WORKER", "7")
    serve = _main._parser().parse_args(["serve"])
    assert serve.jobs_per_worker == 7  # ``serve``'s default, as the server's
    seen: list[str | None] = []
    monkeypatch.setattr(
        uvicorn.Server,
        "run",
        lambda server, sockets: seen.append(os.environ.get("N_JOBS_PER_WORKER")),
    )
    assert _main.main(DEV) == 0
    assert _main.main([*DEV, "--n-jobs-per-worker", "1"]) == 0
    assert seen == ["7", "1"]
    assert _main.main([*DEV, "--n-jobs-per-worker", "0"]) == 2
    assert "--n-jobs-per-worker must be at least 1" in capsys.readouterr().err
    assert seen == ["7", "1"]


def test_debug_port_without_debugpy_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "debugpy", None)  # import fails
    assert _main.main([*DEV, "--debug-port", "5678"]) == 1
    assert "pip install debugpy" in capsys.readouterr().err


@pytest.mark.parametrize("wait", [False, True])
def test_debugger_listens_and_waits_when_asked(
    wait: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    stub = types.ModuleType("debugpy")
    stub.listen = lambda address: calls.append(("listen", address))  # type: ignore[attr-defined]
    stub.wait_for_client = lambda: calls.append(("wait",))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "debugpy", stub)
    _dev_tools.start_debugger("127.0.0.1", 5678, wait=wait)
    expected: list[Any] = [("listen", ("127.0.0.1", 5678))]
    assert calls == expected + ([("wait",)] if wait else [])


def test_studio_link_follows_studio_url() -> None:
    url = "http://127.0.0.1:2024"
    assert _dev_tools.studio_link(url, None) == f"{url}/studio/"
    assert (
        _dev_tools.studio_link(url, "https://studio.example/")
        == f"https://studio.example/studio/?baseUrl={url}"
    )


def _fake_cloudflared(folder: Path, script: str) -> Path:
    path = folder / "cloudflared"
    path.write_text(script)
    path.chmod(0o755)
    return path


def test_tunnel_failures_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert _main.main([*DEV, "--tunnel"]) == 1
    assert "--tunnel needs the cloudflared command" in capsys.readouterr().err
    # cloudflared that cannot reach Cloudflare: its words are passed on.
    _fake_cloudflared(tmp_path, "#!/bin/sh\necho 'failed to dial edge' >&2\nexit 1\n")
    assert _main.main([*DEV, "--tunnel"]) == 1
    err = capsys.readouterr().err
    assert "cloudflared gave no tunnel URL" in err
    assert "failed to dial edge" in err


@pytest.fixture
def dev_process() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        proc.terminate()
        proc.communicate(timeout=30)
        assert proc.returncode is not None


def _start(
    started: list[subprocess.Popen[str]], options: list[str], env: dict[str, str]
) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stategraph.cli", *DEV, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
    )
    started.append(proc)
    return proc


def _lines_until_studio(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith("  Studio:"):
        line = proc.stdout.readline()
        assert line, f"dev ended early: {lines}"
        lines.append(line.rstrip("\n"))
    return lines


def test_dev_serves_https_after_the_debugger_attached(
    tmp_path: Path, dev_process: list[subprocess.Popen[str]]
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec"),
            *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "stub").mkdir()
    (tmp_path / "stub" / "debugpy.py").write_text(STUB_DEBUGPY)
    log = tmp_path / "debugpy.log"
    proc = _start(
        dev_process,
        [
            *("--ssl-certfile", str(cert), "--ssl-keyfile", str(key)),
            *("--debug-port", "5679", "--wait-for-client"),
            *("--studio-url", "https://studio.example/"),
        ],
        {
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{tmp_path / 'stub'}",
            "DEBUGPY_LOG": str(log),
        },
    )
    lines = _lines_until_studio(proc)
    # The debugger listened and was waited for before the server started.
    assert log.read_text().splitlines() == ["listen 127.0.0.1 5679", "wait"]
    serving = next(i for i, line in enumerate(lines) if "serving" in line)
    assert any("Debugger attached" in line for line in lines[:serving])
    url = lines[serving].rsplit(" at ", 1)[1]
    assert url.startswith("https://127.0.0.1:")
    assert lines[-1] == f"  Studio: https://studio.example/studio/?baseUrl={url}"
    trusted = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(verify=trusted, timeout=30) as http:
        assert http.get(f"{url}/ok").json() == {"ok": True}


def test_dev_tunnel_runs_cloudflared_and_stops_it(
    tmp_path: Path, dev_process: list[subprocess.Popen[str]]
) -> None:
    fake = _fake_cloudflared(tmp_path, FAKE_CLOUDFLARED)
    proc = _start(
        dev_process,
        ["--tunnel"],
        {"PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"},
    )
    lines = _lines_until_studio(proc)
    local = lines[0].rsplit(" at ", 1)[1]
    tunnel = "https://quick-fox.trycloudflare.com"
    port = local.rsplit(":", 1)[1]
    assert Path(f"{fake}.args").read_text().split() == [
        *("tunnel", "--url", f"http://localhost:{port}"),
    ]
    assert lines[1:] == [
        f"  Tunnel: {tunnel} -> {local}",
        f"  API: {tunnel}  health: {tunnel}/ok",
        f"  Studio: {tunnel}/studio/",
    ]
    with httpx.Client(timeout=30) as http:
        assert http.get(f"{local}/ok").json() == {"ok": True}
    pid = int(Path(f"{fake}.pid").read_text())
    proc.terminate()
    proc.communicate(timeout=30)
    # dev stopped its cloudflared on the way out.
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
