"""``http`` of ``langgraph.json``: the user's own app, served with ours.

As in LangGraph's server, ``http.app`` names a Starlette or FastAPI app whose
routes are served alongside the API and win where both match a request (so
a custom ``GET /threads/{id}`` replaces ours); ``/ok``, ``/docs`` and
``/openapi.json`` cannot be replaced. The app's middleware wraps every route,
its lifespan runs inside the server's, and its exception handlers answer what
ours do not. ``enable_custom_route_auth`` puts its routes behind the custom
auth (``request.user`` is then the authenticated user), ``disable_*`` leaves
route groups out (they answer 404), ``cors`` replaces the default CORS and
``configurable_headers`` copies request headers into runs' ``configurable``.
The user's app object is not changed: its router is dispatched to in place.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from stategraph.server._auth import ServerAuth, authenticate_scope
from stategraph.server._http_layout import stack

#: Route groups ``http.disable_<group>`` can leave out.
GROUPS = ("assistants", "threads", "runs", "store", "meta", "mcp", "a2a", "ui")
_CORS_KEYS = {
    "allow_origins": list,
    "allow_methods": list,
    "allow_headers": list,
    "allow_credentials": bool,
    "allow_origin_regex": str,
    "expose_headers": list,
    "max_age": int,
}
#: ``http.middleware_order`` values: the user's middleware around auth, or inside.
MIDDLEWARE_ORDERS = ("middleware_first", "auth_first")
# Accepted and not applied: this server does not log request headers.
_IGNORED = ("logging_headers",)
#: Headers never copied into a run's config, whatever the patterns say.
_SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "x-service-key", "x-tenant-id"}
)


@dataclass(frozen=True, slots=True)
class HeaderFilter:
    """``configurable_headers``: which request headers runs see in ``configurable``.

    Patterns are header names with ``*`` wildcards, matched case-insensitively;
    excludes are checked first, and with no includes nothing is copied.
    """

    includes: tuple[re.Pattern[str], ...] = ()
    excludes: tuple[re.Pattern[str], ...] = ()

    def select(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers of a request that go into a run's ``configurable``."""
        out = {}
        for name, value in headers.items():
            key = name.lower()
            if key in _SECRET_HEADERS or any(p.fullmatch(key) for p in self.excludes):
                continue
            if any(p.fullmatch(key) for p in self.includes):
                out[key] = value
        return out


def _header_filter(raw: Any) -> HeaderFilter | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"'http.configurable_headers' must be an object, got {raw!r}")
    lists = {}
    for key in ("includes", "excludes"):
        # LangGraph's server reads the singular spellings too.
        value = raw.get(key, raw.get(key[:-1])) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(
                f"'http.configurable_headers.{key}' must be a list of header "
                f"patterns such as 'x-user-*', got {value!r}"
            )
        lists[key] = tuple(
            re.compile(".*".join(map(re.escape, v.lower().split("*")))) for v in value
        )
    return HeaderFilter(lists["includes"], lists["excludes"])


def run_headers(request: HTTPConnection) -> dict[str, str]:
    """What ``configurable_headers`` lets runs created by ``request`` see."""
    found: HeaderFilter | None = getattr(request.app.state, "header_filter", None)
    return {} if found is None else found.select(request.headers)


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """The ``http`` block of ``langgraph.json``.

    Attributes:
        app: ``"./file.py:app"`` of a Starlette or FastAPI app, or ``None``.
        enable_custom_route_auth: Put the app's routes behind the custom auth.
        disabled: Route groups left out (``assistants``, ``threads``, ``runs``
            with crons, ``store``, ``meta``: ``/info``, ``/docs``,
            ``/openapi.json``; ``/ok`` always answers; ``mcp``, ``a2a``, ``ui``).
        cors: ``CORSMiddleware`` arguments replacing the default ones.
        configurable_headers: Request headers copied into runs' config.
        disable_webhooks: Runs' ``webhook`` URLs are accepted and never called.
        mount_prefix: Serve the API under this path (``/ok`` stays at the root).
        auth_first: ``middleware_order: "auth_first"``: the app's middleware
            runs after authentication, on each route, instead of around
            everything.
    """

    app: str | None = None
    enable_custom_route_auth: bool = False
    disabled: frozenset[str] = frozenset()
    cors: Mapping[str, Any] | None = None
    configurable_headers: HeaderFilter | None = None
    disable_webhooks: bool = False
    mount_prefix: str | None = None
    auth_first: bool = False


def check_mount_prefix(raw: Any, name: str = "'http.mount_prefix'") -> str | None:
    """A mount prefix checked, without a trailing ``/`` (as LangGraph).

    Raises:
        ValueError: For a path not starting with ``/``, or a reserved one.
    """
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.startswith("/"):
        raise ValueError(
            f"{name} must be a path starting with '/', such as '/my-api', got {raw!r}"
        )
    prefix = raw.rstrip("/")
    if not prefix or prefix == "/noauth" or prefix.startswith("/noauth/"):
        raise ValueError(f"{name} cannot be {raw!r}")
    return prefix


def parse_http(raw: Any) -> HttpSettings | None:
    """``http`` checked; ``None`` when absent.

    Raises:
        ValueError: Saying which key is wrong and what it should be.
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"'http' must be an object, got {raw!r}")
    known = {"app", "enable_custom_route_auth", "cors", "configurable_headers"}
    known |= {"mount_prefix", "middleware_order", *_IGNORED}
    flags = {f"disable_{g}" for g in (*GROUPS, "webhooks")}
    unknown = sorted(set(raw) - known - flags)
    if unknown:
        raise ValueError(f"'http' has unknown keys {unknown}; known: {sorted(known)}")
    order = raw.get("middleware_order")
    if order is not None and order not in MIDDLEWARE_ORDERS:
        raise ValueError(
            f"'http.middleware_order' must be one of {list(MIDDLEWARE_ORDERS)},"
            f" got {order!r}"
        )
    for key in (*flags, "enable_custom_route_auth"):
        if not isinstance(raw.get(key, False), bool):
            raise ValueError(f"'http.{key}' must be true or false, got {raw[key]!r}")
    app = raw.get("app")
    if app is not None and (not isinstance(app, str) or ":" not in app):
        raise ValueError(f"'http.app' must be a 'path.py:attr' spec, got {app!r}")
    return HttpSettings(
        app=app,
        enable_custom_route_auth=raw.get("enable_custom_route_auth", False),
        disabled=frozenset(g for g in GROUPS if raw.get(f"disable_{g}")),
        cors=_cors(raw.get("cors")),
        configurable_headers=_header_filter(raw.get("configurable_headers")),
        disable_webhooks=raw.get("disable_webhooks", False),
        mount_prefix=check_mount_prefix(raw.get("mount_prefix")),
        auth_first=order == "auth_first",
    )


def _cors(raw: Any) -> Mapping[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"'http.cors' must be an object, got {raw!r}")
    for key, value in raw.items():
        kind = _CORS_KEYS.get(key)
        if kind is None:
            raise ValueError(
                f"'http.cors' has an unknown key {key!r}; known: {sorted(_CORS_KEYS)}"
            )
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(
                f"'http.cors.{key}' must be a {kind.__name__}, got {value!r}"
            )
    return dict(raw)


def check_app(spec: str, app: Any) -> Starlette:
    """The imported ``http.app``, checked to be a Starlette (or FastAPI) app.

    Raises:
        ValueError: When it is something else.
    """
    if not isinstance(app, Starlette):
        raise ValueError(
            f"'http.app' {spec!r} is {type(app).__name__}, not a Starlette or "
            "FastAPI app; point it at the app object (e.g. 'app = FastAPI()')"
        )
    return app


class CustomRoutes(BaseRoute):
    """The user app's routes as one route of ours.

    It matches a request fully when one of the app's routes does (and then
    the app's router serves it), partially when one matches but for the
    method, so a route of ours matching fully still wins then.

    Args:
        app: The user's app.
        auth: Authenticate each request first (``enable_custom_route_auth``).
        middleware: Run after authentication, before the app's router (the
            app's own middleware under ``middleware_order: "auth_first"``).
    """

    def __init__(
        self,
        app: Starlette,
        auth: ServerAuth | None,
        middleware: Sequence[Middleware] = (),
    ) -> None:
        self.app = app
        self.routes: Sequence[BaseRoute] = app.router.routes
        self._auth = auth
        self._router = stack(app.router, middleware)

    @property
    def custom_routes(self) -> Sequence[BaseRoute]:
        """The user's routes, for ``/openapi.json``."""
        return self.routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """How well the user's routes match ``scope``."""
        best = Match.NONE
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {}
            if match is Match.PARTIAL:
                best = Match.PARTIAL
        return best, {}

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        """URLs of the user's routes come from its own router."""
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with the user's router."""
        if self._auth is not None and scope["type"] == "http":
            # Rejections are ApiErrors: the server's handler answers them.
            await authenticate_scope(self._auth, scope)
        scope["router"] = self.app.router  # its url_for finds its routes
        # FastAPI's own middleware stack gives routes a stack closing uploaded
        # files; its routes refuse to run without one, so it is provided here.
        async with contextlib.AsyncExitStack() as files:
            scope.setdefault("fastapi_middleware_astack", files)
            await self._router(scope, receive, send)


def arrange(
    meta: Sequence[Route],
    groups: Mapping[str, Sequence[BaseRoute]],
    studio: Sequence[BaseRoute],
    custom: CustomRoutes | None,
    disabled: frozenset[str],
) -> list[BaseRoute]:
    """The app's routes in LangGraph's order: fixed meta, custom, the rest.

    ``meta`` holds ``/ok``, ``/info``, ``/openapi.json`` and ``/docs``.
    """
    fixed = [r for r in meta if r.path != "/info"]
    info = [r for r in meta if r.path == "/info"]
    if "meta" in disabled:
        fixed, info = [], [r for r in meta if r.path == "/ok"]
    resources = [
        route
        for name, group in groups.items()
        if name not in disabled
        for route in group
    ]
    extra = [custom] if custom is not None else []
    return [*fixed, *extra, *info, *resources, *studio]


def cors_middleware(settings: HttpSettings | None, expose: list[str]) -> Middleware:
    """CORS as ``http.cors`` sets it, else open to every origin."""
    if settings is None or settings.cors is None:
        options: dict[str, Any] = {
            "allow_origins": ["*"],
            "allow_methods": ["*"],
            "allow_headers": ["*"],
        }
    else:
        options = dict(settings.cors)
    options.setdefault("expose_headers", expose)
    # Studio on a public origin calls this local server (Chrome PNA).
    return Middleware(CORSMiddleware, **options, allow_private_network=True)


def user_middleware(app: Starlette | None) -> list[Middleware]:
    """The user app's middleware, applied to every route as LangGraph does."""
    return list(app.user_middleware) if app is not None else []


def exception_handlers(
    ours: Mapping[Any, Callable[..., Any]], app: Starlette | None
) -> dict[Any, Callable[..., Any]]:
    """Ours, plus the user app's for exceptions ours do not cover."""
    merged = dict(ours)
    for key, handler in (app.exception_handlers if app is not None else {}).items():
        merged.setdefault(key, handler)
    return merged


def with_user_lifespan(
    lifespan: Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]],
    app: Starlette | None,
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[Any]]:
    """``lifespan`` with the user app's lifespan running inside it."""
    if app is None:
        return lifespan

    @contextlib.asynccontextmanager
    async def both(server: Starlette) -> AsyncIterator[Any]:
        async with lifespan(server), app.router.lifespan_context(app) as state:
            yield state

    return both


def load_user_app(
    settings: HttpSettings | None,
    base_dir: Path,
    importer: Callable[[str, Path], Any],
) -> Starlette | None:
    """Import the ``http.app`` the settings name (``None``: there is none)."""
    if settings is None or settings.app is None:
        return None
    return check_app(settings.app, importer(settings.app, base_dir))


__all__ = (
    "GROUPS",
    "CustomRoutes",
    "HeaderFilter",
    "HttpSettings",
    "arrange",
    "check_app",
    "check_mount_prefix",
    "cors_middleware",
    "exception_handlers",
    "load_user_app",
    "parse_http",
    "run_headers",
    "user_middleware",
    "with_user_lifespan",
)
