"""The processes of ``stategraph serve``: API processes and run workers.

Each is a fresh interpreter (multiprocessing ``spawn``) that builds the same
app from the ``langgraph.json`` with ``create_app(postgres=...)``. An API
process serves HTTP on the socket the supervisor listens on and only
enqueues and reads; a worker runs the app's start-up and shut-down without
HTTP, claiming and executing runs until it is told to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from stategraph.server._postgres import PostgresOptions

logger = logging.getLogger("stategraph.server")

#: Seconds an idle keep-alive connection stays open. Longer than the idle
#: expiry of common clients (httpx 5 s, aiohttp 15 s, Node's 4 s) so that
#: they close first: with uvicorn's default of 5 s the server may close a
#: connection just as httpx reuses it, and the request fails with ReadError.
KEEP_ALIVE_SECONDS = 30


def _logging() -> None:
    level = os.environ.get("STATEGRAPH_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(process)d %(name)s %(message)s"
    )


def _exit_with_parent() -> None:
    """Stop this process when the supervisor is gone (even if it was killed)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)  # polling: Linux sends no signal for this by default
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _app(config: Path, options: PostgresOptions) -> Any:
    from stategraph.server.app import create_app

    return create_app(config=config, postgres=options)


def run_api(config: Path, options: PostgresOptions, sock: socket.socket) -> None:
    """Serve HTTP on ``sock`` until SIGTERM/SIGINT (an API process's main)."""
    import uvicorn

    _logging()
    _exit_with_parent()
    app = _app(config, replace(options, role="api"))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            lifespan="on",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            # Open streams must not hold a stopping process for long; their
            # clients reconnect to another process.
            timeout_graceful_shutdown=5,
        )
    )
    server.run(sockets=[sock])


def run_worker(config: Path, options: PostgresOptions) -> None:
    """Claim and execute runs until SIGTERM/SIGINT (a worker process's main)."""
    _logging()
    _exit_with_parent()
    app = _app(config, replace(options, role="worker"))
    asyncio.run(_work(app))  # noqa: TID251  # a worker process owns its loop


async def _work(app: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with app.router.lifespan_context(app):
        await stop.wait()


async def _setup(config: Path | None, options: PostgresOptions) -> None:
    from stategraph.server._config import load_config

    loaded = None if config is None else load_config(config)
    async with contextlib.AsyncExitStack() as stack:
        from stategraph.server._postgres import setup_postgres

        await setup_postgres(stack, options, loaded)


def setup_database(config: Path | None, options: PostgresOptions) -> None:
    """Create or migrate every table once, before the processes start.

    Raises:
        psycopg.OperationalError: The database cannot be reached (at once,
            not after the pool's retries).
    """
    import psycopg

    psycopg.connect(options.uri, connect_timeout=10).close()
    asyncio.run(_setup(config, options))  # noqa: TID251  # the CLI owns this loop
