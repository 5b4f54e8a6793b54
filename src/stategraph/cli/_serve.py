"""``stategraph serve``: API processes and run workers on PostgreSQL.

The supervisor prepares the database once, listens on the port, then starts
``--api-processes`` uvicorn processes sharing that socket and ``--workers``
processes that claim and execute runs. Any API process answers any request:
records, checkpoints, the store, the run queue and run streams all live in
PostgreSQL. A process that dies is started again; SIGTERM or SIGINT stops
them all.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

#: Port of ``stategraph serve`` when none is given (LangGraph's server's).
SERVE_PORT = 8123
#: A child that exits sooner than this after starting is restarted this late.
_QUICK_EXIT_SECONDS = 2.0


def add_parser(commands: Any) -> None:
    """Register ``serve`` and its options."""
    serve = commands.add_parser(
        "serve",
        help="serve a langgraph.json with API and worker processes on PostgreSQL",
    )
    # -c, -p and --postgres-uri are `langgraph up`'s names for these options.
    serve.add_argument(
        "--config", "-c", default="langgraph.json", help="langgraph.json path"
    )
    serve.add_argument(
        "--database-uri",
        "--postgres-uri",
        default=os.environ.get("DATABASE_URI"),
        help="PostgreSQL URI (default: $DATABASE_URI)",
    )
    serve.add_argument(
        "--redis-uri",
        default=os.environ.get("REDIS_URI"),
        help="Redis URI for run streams (default: $REDIS_URI; without one,"
        " streams go through PostgreSQL)",
    )
    serve.add_argument(
        "--redis-prefix",
        default="stategraph",
        help="start of the Redis keys (deployments sharing a Redis need their own)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--port",
        "-p",
        type=int,
        default=SERVE_PORT,
        help=f"port (default {SERVE_PORT})",
    )
    serve.add_argument("--api-processes", type=int, default=1, metavar="M")
    serve.add_argument("--workers", type=int, default=1, metavar="N")
    serve.add_argument(
        "--jobs-per-worker",
        "--n-jobs-per-worker",
        type=int,
        # A string default goes through ``type`` too: a bad value is reported.
        default=os.environ.get("N_JOBS_PER_WORKER") or "10",
        help="runs a worker executes at once (default: $N_JOBS_PER_WORKER, else 10)",
    )
    serve.add_argument(
        "--async-commit",
        action="store_true",
        help="commit without waiting for the disk (faster; a database crash"
        " may lose the last fraction of a second of writes)",
    )
    serve.add_argument(
        "--lease-seconds",
        type=float,
        default=30.0,
        help="a dead worker's runs are taken over after this long",
    )


@dataclass
class _Supervisor:
    config: Path
    options: Any
    sock: Any
    apis: int
    workers: int
    children: dict[str, BaseProcess] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    stopping: bool = False

    def start(self, name: str) -> None:
        from stategraph.server._processes import run_api, run_worker

        spawn = multiprocessing.get_context("spawn")
        if name.startswith("api"):
            args: tuple[Any, ...] = (self.config, self.options, self.sock)
            proc = spawn.Process(target=run_api, args=args, name=name)
        else:
            # API processes run the crons: the one a cron is created on wakes
            # at once, and each tick is claimed in the database, so it fires
            # once whatever the number of processes and supervisors.
            from dataclasses import replace

            options = replace(self.options, background=False)
            proc = spawn.Process(
                target=run_worker, args=(self.config, options), name=name
            )
        proc.start()
        self.children[name] = proc
        self.started[name] = time.monotonic()
        print(f"  {name} pid={proc.pid}", flush=True)

    def run(self) -> None:
        for index in range(self.apis):
            self.start(f"api-{index}")
        for index in range(self.workers):
            self.start(f"worker-{index}")

        def stop(signum: int, frame: Any) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        print("stategraph serve: ready", flush=True)
        while not self.stopping:
            sentinels = {p.sentinel: n for n, p in self.children.items()}
            for sentinel in wait(list(sentinels), timeout=0.5):
                name = sentinels[cast("int", sentinel)]
                if self.stopping:
                    break
                code = self.children[name].exitcode
                print(f"  {name} exited ({code}); starting it again", flush=True)
                if time.monotonic() - self.started[name] < _QUICK_EXIT_SECONDS:
                    # It fails at start-up (a bad graph, no database): do not
                    # spin; the pause is the restart policy.
                    time.sleep(_QUICK_EXIT_SECONDS)
                self.start(name)
        self.shutdown()

    def shutdown(self) -> None:
        for proc in self.children.values():
            if proc.is_alive():
                proc.terminate()
        for proc in self.children.values():
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()


def serve(args: argparse.Namespace) -> int:
    """Run API and worker processes until SIGTERM or SIGINT."""
    import psycopg

    from stategraph.cli._main import listen
    from stategraph.server._postgres import PostgresOptions
    from stategraph.server._processes import setup_database

    path = Path(args.config).resolve()
    if not path.is_file():
        print(f"stategraph serve: no config file at {path}", file=sys.stderr)
        return 2
    if not args.database_uri:
        print(
            "stategraph serve: give --database-uri or set DATABASE_URI to a"
            " PostgreSQL URI (postgresql://user@host:5432/db)",
            file=sys.stderr,
        )
        return 2
    if args.api_processes < 1 or args.workers < 0 or args.jobs_per_worker < 1:
        print(
            "stategraph serve: --api-processes and --jobs-per-worker must be at"
            " least 1, --workers at least 0",
            file=sys.stderr,
        )
        return 2
    options = PostgresOptions(
        args.database_uri,
        concurrency=args.jobs_per_worker,
        lease_seconds=args.lease_seconds,
        redis_uri=args.redis_uri or None,
        redis_prefix=args.redis_prefix,
        async_commit=args.async_commit,
    )
    try:
        setup_database(path, options)
    except (OSError, ValueError, psycopg.Error) as exc:  # refused, bad URI...
        print(f"stategraph serve: cannot use the database: {exc}", file=sys.stderr)
        return 1
    try:
        sock = listen(args.host, args.port)
    except OSError as exc:
        print(
            f"stategraph serve: cannot listen on port {args.port}: {exc}",
            file=sys.stderr,
        )
        return 1
    url = f"http://{args.host}:{sock.getsockname()[1]}"
    print(f"stategraph serve: serving the graphs of {path} at {url}", flush=True)
    _Supervisor(path, options, sock, args.api_processes, args.workers).run()
    sock.close()
    return 0
