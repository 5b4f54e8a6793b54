"""``stategraph dev``: serve the graphs of a ``langgraph.json`` on one process.

Parses arguments, picks the port (2024 unless taken) and hands the app to
uvicorn, with code reloading unless ``--no-reload``. ``--database-uri``
keeps everything in PostgreSQL instead of memory; the debugger, HTTPS,
Studio link and tunnel options are in ``_dev_tools``. Needs the ``server``
extra. ``stategraph serve`` (several processes on PostgreSQL) is in
``_serve``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stategraph.cli import _dev_tools, _serve

DEFAULT_PORT = 2024
#: ``--server-log-level`` values (uvicorn's levels; given in any case).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stategraph")
    commands = parser.add_subparsers(dest="command", required=True)
    dev = commands.add_parser(
        "dev", help="serve the graphs of a langgraph.json on this machine"
    )
    dev.add_argument("--config", default="langgraph.json", help="langgraph.json path")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port (default {DEFAULT_PORT}, or a free one when it is taken)",
    )
    dev.add_argument("--no-reload", action="store_true", help="do not reload on edits")
    dev.add_argument(
        "--n-jobs-per-worker",
        type=int,
        default=None,
        metavar="N",
        help="most runs executed at once, across threads (default: $N_JOBS_PER_WORKER,"
        " else no limit; one run at a time per thread always)",
    )
    dev.add_argument(
        "--no-browser", action="store_true", help="accepted for langgraph-cli parity"
    )
    dev.add_argument(
        "--allow-blocking",
        action="store_true",
        help="accepted for langgraph-cli parity (blocking calls are never refused)",
    )
    dev.add_argument(
        "--server-log-level",
        type=str.lower,
        choices=LOG_LEVELS,
        default="warning",
        help="log level of the API server (default: WARNING)",
    )
    _dev_tools.add_options(dev)
    dev.add_argument(
        "--database-uri",
        default=os.environ.get("DATABASE_URI"),
        help="keep everything in this PostgreSQL database (default: $DATABASE_URI;"
        " without one, in memory)",
    )
    _serve.add_parser(commands)
    return parser


def _bind(host: str, port: int) -> socket.socket:
    # The protocol must be named: asyncio sets TCP_NODELAY only on sockets whose
    # proto is IPPROTO_TCP, and without it every response whose headers and body
    # are written separately waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def listen(host: str, requested: int | None) -> socket.socket:
    """A listening socket: on ``requested``, else 2024, else any free port.

    The socket listens before the server starts, so clients that connect as
    soon as the URL is printed wait in the backlog instead of being refused.
    """
    if requested is not None:
        sock = _bind(host, requested)
    else:
        try:
            sock = _bind(host, DEFAULT_PORT)
        except OSError:
            sock = _bind(host, 0)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def dev(args: argparse.Namespace) -> int:
    """Run the development server until interrupted."""
    path = Path(args.config).resolve()
    if not path.is_file():
        print(f"stategraph dev: no config file at {path}", file=sys.stderr)
        return 2
    problem = _dev_tools.check_options(args)
    if args.n_jobs_per_worker is not None and args.n_jobs_per_worker < 1:
        problem = "--n-jobs-per-worker must be at least 1"
    if problem is not None:
        print(f"stategraph dev: {problem}", file=sys.stderr)
        return 2
    try:
        if args.debug_port is not None:
            # As langgraph dev: before serving, so --wait-for-client can stop
            # the server starting until a debugger is there.
            _dev_tools.start_debugger(
                args.host, args.debug_port, wait=args.wait_for_client
            )
        sock = listen(args.host, args.port)
    except _dev_tools.DevOptionError as exc:
        print(f"stategraph dev: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"stategraph dev: cannot listen on port {args.port}: {exc}", file=sys.stderr
        )
        return 1
    tunnel: _dev_tools.Tunnel | None = None
    try:
        if args.tunnel:
            tunnel = _dev_tools.open_tunnel(sock.getsockname()[1])
        _serve_dev(args, path, sock, tunnel)
    except _dev_tools.DevOptionError as exc:
        print(f"stategraph dev: {exc}", file=sys.stderr)
        return 1
    finally:
        sock.close()
        if tunnel is not None:
            tunnel.close()
    return 0


def _serve_dev(
    args: argparse.Namespace,
    path: Path,
    sock: socket.socket,
    tunnel: _dev_tools.Tunnel | None,
) -> None:
    import uvicorn
    from uvicorn.supervisors import ChangeReload

    from stategraph.server._processes import KEEP_ALIVE_SECONDS
    from stategraph.server._queue import JOBS_ENV
    from stategraph.server.app import CONFIG_ENV, DATABASE_ENV, create_app

    scheme = "https" if args.ssl_certfile else "http"
    local = f"{scheme}://{args.host}:{sock.getsockname()[1]}"
    url = local if tunnel is None else tunnel.url
    # LangGraph's dev-server marker: with custom auth, Studio's requests
    # (x-auth-scheme: langsmith) get in unless auth.disable_studio_auth is set.
    os.environ.setdefault("LANGSMITH_LANGGRAPH_API_VARIANT", "local_dev")
    if args.database_uri:
        os.environ[DATABASE_ENV] = args.database_uri
    if args.n_jobs_per_worker is not None:
        # Read by the app (as LangGraph's server reads it), also after a reload.
        os.environ[JOBS_ENV] = str(args.n_jobs_per_worker)
    common: dict[str, Any] = {
        "log_level": args.server_log_level,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "ssl_certfile": args.ssl_certfile,
        "ssl_keyfile": args.ssl_keyfile,
    }
    if args.no_reload:
        app = create_app(config=path, postgres=args.database_uri or None)
        config = uvicorn.Config(app, **common)
    else:
        os.environ[CONFIG_ENV] = str(path)
        config = uvicorn.Config(
            "stategraph.server.app:create_app_from_env",
            factory=True,
            reload=True,
            reload_dirs=[str(path.parent)],
            **common,
        )
    print(f"stategraph dev: serving the graphs of {path} at {local}", flush=True)
    if tunnel is not None:
        print(f"  Tunnel: {tunnel.url} -> {local}", flush=True)
    print(f"  API: {url}  health: {url}/ok", flush=True)
    print(f"  Studio: {_dev_tools.studio_link(url, args.studio_url)}", flush=True)
    server = uvicorn.Server(config)
    if args.no_reload:
        server.run(sockets=[sock])
    else:
        ChangeReload(config, target=server.run, sockets=[sock]).run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stategraph`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "dev":
        return dev(args)
    if args.command == "serve":
        return _serve.serve(args)
    return 2  # argparse already rejected unknown commands
