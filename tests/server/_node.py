"""Node scripts driving the JavaScript SDK (``tests/server/js``) against a server.

``make install`` runs ``npm ci`` there. Without node or those packages the
tests skip locally and fail under ``CI=true``. A script prints JSON lines: a
``pause`` line waits for the test to act (release a gate...) and answer on
stdin; the ``result`` line is what the test asserts on.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).parent / "js"
NODE = os.environ.get("STATEGRAPH_NODE") or shutil.which("node") or ""

#: The SDK versions under test: the latest 1.x, and what agent-chat-ui's lock pins.
SDKS = {"1.15": "@langchain/langgraph-sdk", "1.8": "langgraph-sdk-1.8"}


def require_node() -> str:
    """Node's path, once the harness's packages are installed (else skip/fail)."""
    message = ""
    if not NODE:
        message = "node is missing: install Node 20+ and npm (make install needs them)"
    elif not (JS_DIR / "node_modules" / "@langchain" / "langgraph-sdk").is_dir():
        message = (
            f"the JS SDK is not installed: npm ci --prefix {JS_DIR} (make install)"
        )
    if message:
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return NODE


def websocket_options() -> str:
    """``NODE_OPTIONS`` giving scripts a global ``WebSocket`` (built in from 22)."""
    version = subprocess.run(
        [require_node(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    major = int(version.strip().lstrip("v").split(".")[0])
    return "--experimental-websocket" if major < 22 else ""


Pause = Callable[[dict[str, Any]], None]


def run_script(
    script: str,
    args: dict[str, Any],
    on_pause: Pause | None = None,
    *,
    timeout: float = 60,
    node_options: str = "",
) -> Any:
    """Run ``js/<script>``, answer its pauses with ``on_pause``, return its result.

    ``node_options`` go to node as ``NODE_OPTIONS`` (``--experimental-websocket``
    gives Node 20 the ``WebSocket`` that Node 22 has by default).
    """
    node = require_node()
    env = {**os.environ, "NODE_OPTIONS": node_options} if node_options else None
    with (
        tempfile.TemporaryFile("w+") as errors,
        subprocess.Popen(
            [node, str(JS_DIR / script), json.dumps(args)],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        ) as proc,
    ):
        # A hung script must fail the test, not hang it: kill it after `timeout`.
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        try:
            result = _converse(proc, on_pause)
            code = proc.wait()
        finally:
            watchdog.cancel()
            if proc.poll() is None:  # the test failed while it ran
                proc.kill()
        errors.seek(0)
        assert code == 0, f"{script} exited with {code}:\n{errors.read()}"
    assert result is not _MISSING, f"{script} printed no result"
    return result


_MISSING = object()


def _converse(proc: subprocess.Popen[str], on_pause: Pause | None) -> Any:
    assert proc.stdin is not None
    assert proc.stdout is not None
    result: Any = _MISSING
    for line in proc.stdout:
        message = json.loads(line)
        if "pause" in message:
            assert on_pause is not None, f"unexpected pause: {message}"
            on_pause(message)
            proc.stdin.write("go\n")
            proc.stdin.flush()
        elif "result" in message:
            result = message["result"]
            proc.stdin.close()
    return result
