"""``stategraph dev``'s debugger, TLS, Studio link and tunnel options.

They are ``langgraph dev``'s, and do what they do there: ``--debug-port``
listens for a debugger with ``debugpy`` (``--wait-for-client`` starts serving
only once one attached), ``--ssl-certfile``/``--ssl-keyfile`` serve HTTPS,
``--studio-url`` names the Studio the printed link opens, and ``--tunnel``
exposes the server through a Cloudflare quick tunnel. ``langgraph dev``
downloads ``cloudflared``; here it must be on ``PATH``, and whatever stops
the tunnel (no such command, no way to Cloudflare) is reported, never
passed over.
"""

from __future__ import annotations

import argparse
import collections
import queue
import re
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = (
    "DevOptionError",
    "Tunnel",
    "add_options",
    "check_options",
    "open_tunnel",
    "start_debugger",
    "studio_link",
)

#: Seconds ``cloudflared`` has to print its tunnel's URL.
TUNNEL_TIMEOUT_SECONDS = 30.0
_TUNNEL_URL = re.compile(r"(https://[A-Za-z0-9.-]+\.trycloudflare\.com)")


class DevOptionError(Exception):
    """An option of ``stategraph dev`` that cannot be carried out (why)."""


def _file(value: str) -> str:
    path = Path(value)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no file at {value}")
    return str(path.resolve())


def add_options(dev: argparse.ArgumentParser) -> None:
    """Add the options of this module to the ``dev`` parser."""
    dev.add_argument(
        "--debug-port",
        type=int,
        default=None,
        metavar="PORT",
        help="listen for a debugger (debugpy's remote attach) on this port",
    )
    dev.add_argument(
        "--wait-for-client",
        action="store_true",
        help="with --debug-port: start serving once a debugger has attached",
    )
    dev.add_argument(
        "--studio-url",
        default=None,
        metavar="URL",
        help="print a link to this Studio (URL/studio/?baseUrl=<server>) instead"
        " of the one this server serves at /studio/",
    )
    dev.add_argument(
        "--tunnel",
        action="store_true",
        help="expose the server through a Cloudflare quick tunnel (needs the"
        " cloudflared command and a way to Cloudflare)",
    )
    dev.add_argument(
        "--ssl-certfile", type=_file, default=None, help="serve HTTPS: certificate"
    )
    dev.add_argument(
        "--ssl-keyfile", type=_file, default=None, help="serve HTTPS: private key"
    )


def check_options(args: argparse.Namespace) -> str | None:
    """Why these ``dev`` options cannot go together, if they cannot."""
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        return "give both --ssl-certfile and --ssl-keyfile to serve HTTPS"
    if args.ssl_certfile is not None and args.tunnel:
        return "--tunnel cannot go with --ssl-certfile/--ssl-keyfile: choose one"
    if args.wait_for_client and args.debug_port is None:
        return "--wait-for-client waits for a debugger: give --debug-port too"
    return None


def start_debugger(host: str, port: int, *, wait: bool) -> None:
    """Listen for a debugger on ``host:port``; with ``wait``, until one attaches.

    Raises:
        DevOptionError: ``debugpy`` is not installed.
    """
    try:
        import debugpy  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise DevOptionError(
            "--debug-port needs debugpy, which is not installed: pip install debugpy"
        ) from None
    debugpy.listen((host, port))
    print(f"  Debugger: listening on {host}:{port} (remote attach)", flush=True)
    if wait:
        print("  Waiting for a debugger to attach...", flush=True)
        debugpy.wait_for_client()
        print("  Debugger attached.", flush=True)


def studio_link(url: str, studio_url: str | None) -> str:
    """The Studio link printed for a server at ``url``."""
    if studio_url is None:
        return f"{url}/studio/"
    return f"{studio_url.rstrip('/')}/studio/?baseUrl={url}"


@dataclass
class Tunnel:
    """A running ``cloudflared`` quick tunnel to this server."""

    url: str
    process: subprocess.Popen[str]
    reader: threading.Thread

    def close(self) -> None:
        """Stop ``cloudflared``."""
        _stop(self.process, self.reader)


def _stop(process: subprocess.Popen[str], reader: threading.Thread) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join(timeout=10)  # at the output's end now
    if process.stdout is not None:
        process.stdout.close()


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # uvicorn hands SIGTERM back once it stopped serving; exiting by an
    # exception lets ``dev`` stop cloudflared, which the default would not.
    raise SystemExit(128 + signum)


def open_tunnel(port: int, timeout: float = TUNNEL_TIMEOUT_SECONDS) -> Tunnel:
    """Start ``cloudflared tunnel --url http://localhost:<port>``; its URL.

    Raises:
        DevOptionError: No ``cloudflared`` on ``PATH``, or it gave no URL
            (it exited, or did not reach Cloudflare within ``timeout``).
    """
    binary = shutil.which("cloudflared")
    if binary is None:
        raise DevOptionError(
            "--tunnel needs the cloudflared command on PATH (see"
            " https://developers.cloudflare.com/cloudflare-one/connections/"
            "connect-networks/downloads/) and a way to reach Cloudflare"
        )
    process = subprocess.Popen(
        [binary, "tunnel", "--url", f"http://localhost:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found: queue.Queue[str | None] = queue.Queue()
    last: collections.deque[str] = collections.deque(maxlen=5)

    def read() -> None:
        # Reads to the end, so cloudflared never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            last.append(line.strip())
            match = _TUNNEL_URL.search(line)
            if match:
                found.put(match.group(1))
        found.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        url = found.get(timeout=timeout)
    except queue.Empty:
        url = None
    if url is None:
        _stop(process, reader)
        said = " | ".join(last) or "nothing"
        raise DevOptionError(
            f"cloudflared gave no tunnel URL (it needs to reach Cloudflare);"
            f" it said: {said}"
        )
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    return Tunnel(url, process, reader)
