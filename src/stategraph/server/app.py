"""The app factory: a Starlette app speaking the LangGraph Server API.

``create_app`` wires the graph registry, storage, run streams and run queue
together and mounts the resource routes. ``stategraph dev`` serves it with
uvicorn; tests can too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import stategraph
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.server import assistants, crons, runs, store as store_routes, threads
from stategraph.server._a2a import routes as a2a_routes
from stategraph.server._auth import ServerAuth, protect, resolve_auth
from stategraph.server._broker import Broker, InMemoryBroker
from stategraph.server._config import (
    ServerConfig,
    allow_serde_types,
    import_object,
    load_config,
    prepare_environment,
)
from stategraph.server._context import RUN_TIMEOUT_SECONDS, ServerContext, context
from stategraph.server._custom_routes import (
    CustomRoutes,
    HttpSettings,
    arrange,
    check_mount_prefix,
    cors_middleware,
    exception_handlers,
    load_user_app,
    user_middleware,
    with_user_lifespan,
)
from stategraph.server._dispatch import IndexedRouter
from stategraph.server._http import http_error, json_response
from stategraph.server._http_layout import mounted, with_middleware
from stategraph.server._lifespan import lifespan as server_lifespan
from stategraph.server._mcp import routes as mcp_routes
from stategraph.server._openapi import docs, openapi
from stategraph.server._postgres import PostgresOptions
from stategraph.server._protocol import routes as protocol_routes_list
from stategraph.server._registry import GraphRegistry
from stategraph.server._storage import InMemoryStorage, Storage
from stategraph.server._studio import studio_routes
from stategraph.server._thread_ttl import ThreadSweeper, parse_ttl_config
from stategraph.server._ui import routes as ui_routes, ui_settings
from stategraph.store.base import IndexConfig
from stategraph.store.memory import InMemoryStore

#: Environment variable naming the ``langgraph.json`` of ``create_app_from_env``.
CONFIG_ENV = "STATEGRAPH_CONFIG"
#: Environment variable serving the API under a path (as ``http.mount_prefix``).
MOUNT_PREFIX_ENV = "MOUNT_PREFIX"
#: Environment variable with the PostgreSQL URI of ``create_app_from_env``.
DATABASE_ENV = "DATABASE_URI"

_EXPOSED = ["x-pagination-total", "x-pagination-next", "content-location", "location"]


async def ok(request: Request) -> Response:
    """Health check."""
    return json_response({"ok": True})


async def info(request: Request) -> Response:
    """Server version and feature flags."""
    return json_response(
        {
            "version": stategraph.__version__,
            "server": "stategraph",
            "python_version": sys.version.split()[0],
            "graphs": context(request).registry.ids(),
            "flags": {"assistants": True, "crons": True, "langsmith": False},
        }
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    return json_response({"detail": f"{type(exc).__name__}: {exc}"}, 500)


_PUBLIC_ROUTES = [
    Route("/ok", ok, methods=["GET"]),
    Route("/info", info, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/docs", docs, methods=["GET"]),
]
#: The routes custom auth guards, by the ``http.disable_*`` group leaving them out.
_RESOURCE_GROUPS: dict[str, Sequence[BaseRoute]] = {
    "assistants": assistants.routes,
    "threads": [*threads.routes, *protocol_routes_list],
    "store": store_routes.routes,
    "runs": [*crons.routes, *runs.routes],  # crons first: /runs/crons is no run id
    "mcp": mcp_routes,
    "a2a": a2a_routes,
    "ui": ui_routes,
}
#: The Studio's static files are public: its API calls carry the user's auth.
_STUDIO_ROUTES = studio_routes()


def _layout(
    http: HttpSettings | None, user_app: Starlette | None, auth: ServerAuth | None
) -> tuple[list[BaseRoute], list[Middleware]]:
    """The app's routes and app-wide middleware, as the ``http`` settings say."""
    # ``auth_first``: the user's middleware wraps each route, inside auth.
    inner = user_middleware(user_app) if http is not None and http.auth_first else []
    groups = {
        name: with_middleware(group, inner)
        if auth is None
        else protect(group, auth, inner)
        for name, group in _RESOURCE_GROUPS.items()
    }
    custom = None
    if user_app is not None:
        guard = auth if http is not None and http.enable_custom_route_auth else None
        custom = CustomRoutes(user_app, guard, inner)
    disabled = frozenset() if http is None else http.disabled
    public = with_middleware(_PUBLIC_ROUTES, inner)
    studio = with_middleware(_STUDIO_ROUTES, inner)
    around = [] if inner else user_middleware(user_app)
    routes = arrange(public, groups, studio, custom, disabled)
    return routes, [*around, cors_middleware(http, _EXPOSED)]


def _served_graphs(
    graphs: Mapping[str, Any] | None, config: ServerConfig | None
) -> dict[str, Any]:
    """The config's graphs (imported), then those given in code over them."""
    served: dict[str, Any] = {}
    if config is not None:
        prepare_environment(config)
        served = {
            k: import_object(v, config.base_dir) for k, v in config.graphs.items()
        }
        allow_serde_types(config.serde)
    served.update(graphs or {})
    if not served:
        raise ValueError("create_app() needs at least one graph to serve")
    return served


def _new_context(
    registry: GraphRegistry,
    storage: Storage | None,
    broker: Broker | None,
    run_timeout: float | None,
    clock: Callable[[], datetime] | None,
    config: ServerConfig | None,
) -> ServerContext:
    """The server's context, with in-memory defaults for what is not given."""
    if run_timeout is None:
        run_timeout = float(os.environ.get("BG_JOB_TIMEOUT_SECS", RUN_TIMEOUT_SECONDS))
    ctx = ServerContext(
        registry=registry,
        storage=storage or InMemoryStorage(),
        broker=broker or InMemoryBroker(),
        run_timeout=run_timeout,
    )
    if clock is not None:
        ctx.clock = clock
    raw_ttl = None if config is None else config.thread_ttl
    ctx.ttl = ThreadSweeper(ctx, parse_ttl_config(raw_ttl))
    return ctx


def create_app(
    graphs: Mapping[str, Any] | None = None,
    *,
    config: ServerConfig | str | os.PathLike[str] | None = None,
    checkpointer: Any = None,
    store: Any = None,
    storage: Storage | None = None,
    run_timeout: float | None = None,
    clock: Callable[[], datetime] | None = None,
    auth: Any = None,
    postgres: PostgresOptions | str | None = None,
    broker: Broker | None = None,
) -> Starlette:
    """Build the server app.

    Args:
        graphs: Graph id to compiled graph, ``StateGraph`` or factory. Merged
            over the graphs ``config`` names.
        config: A ``langgraph.json`` path or parsed ``ServerConfig``.
        checkpointer: Saver for checkpoints (default: ``InMemorySaver``, or an
            ``AsyncSqliteSaver`` when the config names a SQLite file).
        store: The ``BaseStore`` behind ``/store`` and every graph's
            ``runtime.store`` (default: an ``InMemoryStore``, with the
            config's ``store.index`` when it sets one; an in-memory
            ``AsyncSqliteStore`` when the config sets ``store.ttl``).
        storage: Where assistants, threads and runs are kept (default: memory).
        run_timeout: Seconds a run may take before it ends with status
            ``timeout`` (default: env ``BG_JOB_TIMEOUT_SECS``, else one day).
        clock: Returns the current time; crons and thread TTLs go by it.
        auth: A ``langgraph_sdk.Auth`` guarding every resource route (default:
            the one the config's ``auth.path`` names; none without it).
        postgres: Keep everything in PostgreSQL: a URI (``DATABASE_URI``)
            or ``PostgresOptions`` (role, worker concurrency, lease). The
            server's records, checkpoints and store share one pool (unless
            ``checkpointer``/``store`` are given), runs go through a
            ``FOR UPDATE SKIP LOCKED`` queue and streams through the
            database, so several processes can serve one deployment.
        broker: Run streams and cancel signals (default: in memory, one
            process); a ``RedisBroker`` shares them between processes. The
            app closes it on shutdown.

    Returns:
        A Starlette app; serve it with any ASGI server. ``N_JOBS_PER_WORKER``
        caps the runs it executes at once, as on LangGraph's server.
    """
    if config is not None and not isinstance(config, ServerConfig):
        config = load_config(config)
    registry = _registry(graphs, config, checkpointer, store)
    ctx = _new_context(registry, storage, broker, run_timeout, clock, config)
    # A saver given in code wins over the one langgraph.json names.
    return _http_app(
        ctx,
        config,
        resolve_auth(auth, config),
        None if checkpointer is not None else config,
        None if store is not None else config,
        postgres,
    )


def _registry(
    graphs: Mapping[str, Any] | None,
    config: ServerConfig | None,
    checkpointer: Any,
    store: Any,
) -> GraphRegistry:
    """The served graphs with the saver and store they share (default: memory)."""
    if store is None:
        # With ``store.ttl`` this is replaced by a SQLite store at start-up.
        index = None if config is None else config.store_index
        store = InMemoryStore(index=cast("IndexConfig | None", index))
    return GraphRegistry(
        _served_graphs(graphs, config),
        checkpointer=checkpointer or InMemorySaver(),
        store=store,
    )


def _http_app(
    ctx: ServerContext,
    config: ServerConfig | None,
    auth: ServerAuth | None,
    saver_config: ServerConfig | None,
    store_config: ServerConfig | None,
    postgres: PostgresOptions | str | None,
) -> Starlette:
    """The ASGI app serving ``ctx``: routes, middleware, lifespan and mount prefix.

    ``saver_config``/``store_config`` are the config whose saver/store the
    lifespan opens, ``None`` when one was given in code.
    """
    http = None if config is None else config.http
    user_app = (
        None if config is None else load_user_app(http, config.base_dir, import_object)
    )
    routes, middleware = _layout(http, user_app, auth)
    ctx.webhooks = http is None or not http.disable_webhooks
    lifespan = partial(
        server_lifespan,
        ctx,
        saver_config,
        store_config,
        PostgresOptions.from_uri(postgres) if isinstance(postgres, str) else postgres,
    )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=exception_handlers(
            {HTTPException: http_error, Exception: _internal_error}, user_app
        ),
        lifespan=with_user_lifespan(lifespan, user_app),
    )
    # Same routes and lifespan; a request tries only the routes it could match.
    app.router = IndexedRouter(routes, lifespan=app.router.lifespan_context)
    app.state.stategraph = ctx
    app.state.auth = auth
    app.state.header_filter = None if http is None else http.configurable_headers
    app.state.ui = (
        ui_settings(None)
        if config is None
        else ui_settings(config.base_dir, config.ui, config.ui_config)
    )
    ctx.app = app
    # As LangGraph's server, the environment's prefix wins over the config's.
    env_prefix = os.environ.get(MOUNT_PREFIX_ENV)
    prefix = check_mount_prefix(env_prefix, MOUNT_PREFIX_ENV) or (
        None if http is None else http.mount_prefix
    )
    return app if prefix is None else mounted(app, prefix, ok)


def create_app_from_env() -> Starlette:
    """``create_app`` for the ``langgraph.json`` named by ``STATEGRAPH_CONFIG``.

    This is the factory uvicorn imports when ``stategraph dev`` reloads code.
    With ``DATABASE_URI`` set, everything is kept in that PostgreSQL database.
    """
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise RuntimeError(f"set {CONFIG_ENV} to the path of a langgraph.json file")
    return create_app(config=path, postgres=os.environ.get(DATABASE_ENV) or None)
