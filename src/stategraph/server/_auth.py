"""Custom auth: a ``langgraph_sdk.Auth`` object authenticating and authorizing requests.

``langgraph.json``'s ``"auth": {"path": "./auth.py:auth"}`` names the object.
``ServerAuth`` wraps it: it runs ``@auth.authenticate`` on a request and
picks the most specific ``@auth.on`` handler for an action; the middleware
and the ``RequestAuth`` routes authorize with are in ``_auth_request`` (its
names are re-exported here). ``/ok``, ``/info`` and other routes that are
not resources stay public. The ``langgraph_sdk`` package is imported only
when an auth object is loaded.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection, Request
from starlette.types import Scope

from stategraph.server._auth_config import (
    AuthCache,
    AuthSettings,
    CacheSettings,
    apply_openapi,
)
from stategraph.server._auth_request import (
    SCOPE_KEY as SCOPE_KEY,
    AuthMiddleware as AuthMiddleware,
    Filters as Filters,
    RequestAuth as RequestAuth,
    authenticate_scope as authenticate_scope,
    authorize as authorize,
    protect as protect,
    request_auth as request_auth,
    with_auth_user as with_auth_user,
)
from stategraph.server._auth_user import normalize
from stategraph.server._http import ApiError

if TYPE_CHECKING:
    from stategraph.server._config import ServerConfig

#: The parameters an authenticate handler may ask for by name.
AUTHENTICATE_PARAMETERS = (
    "request",
    "scope",
    "user",
    "scopes",
    "path",
    "path_params",
    "query_params",
    "headers",
    "authorization",
    "method",
)
_STUDIO_IDENTITY = "langgraph-studio-user"


def _authenticate_parameters(fn: Callable[..., Any]) -> frozenset[str]:
    names = set()
    for name, param in inspect.signature(fn).parameters.items():
        if name in AUTHENTICATE_PARAMETERS:
            names.add(name)
        elif param.default is param.empty and param.kind not in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        ):
            raise ValueError(
                f"authenticate handler {fn.__name__!r} asks for {name!r}, which"
                f" the server cannot give; ask for any of"
                f" {', '.join(AUTHENTICATE_PARAMETERS)}"
            )
    return frozenset(names)


def _argument(name: str, scope: Scope, headers: dict[bytes, bytes]) -> Any:
    """One argument an authenticate handler asked for, taken from the request."""
    if name == "authorization":
        raw = headers.get(b"authorization")
        return None if raw is None else raw.decode("latin-1")
    if name == "headers":
        return headers  # raw lower-case bytes, as LangGraph's server gives them
    if name == "request":
        # A WebSocket handshake has no body to read: its request is the
        # connection (headers, URL, cookies) without one.
        return Request(scope) if scope["type"] == "http" else HTTPConnection(scope)
    if name == "query_params":
        return QueryParams(scope.get("query_string") or b"")
    if name == "path_params":
        return dict(scope.get("path_params") or {})
    if name == "scopes":
        return []  # nothing is granted before authentication
    if name == "scope":
        return scope
    if name == "method":
        return scope.get("method", "GET")
    return scope.get(name)  # "path", "user"


class ServerAuth:
    """A ``langgraph_sdk.Auth`` object, ready to serve requests.

    Args:
        auth: The ``Auth`` instance; it must have an ``@auth.authenticate``
            handler.
        studio: Let requests sent with ``x-auth-scheme: langsmith`` in as the
            Studio user (the dev server's behaviour).
        openapi: ``auth.openapi`` of the config.
        cache: ``auth.cache`` of the config: reuse authentications.

    Raises:
        TypeError: When ``auth`` is not a ``langgraph_sdk.Auth``.
        ValueError: When it has no authenticate handler, or that handler asks
            for parameters the server cannot give.
    """

    def __init__(
        self,
        auth: Any,
        *,
        studio: bool = False,
        openapi: Mapping[str, Any] | None = None,
        cache: CacheSettings | None = None,
    ) -> None:
        from langgraph_sdk.auth import Auth, exceptions, types

        if not isinstance(auth, Auth):
            raise TypeError(
                f"the auth object must be a langgraph_sdk.Auth instance, got {auth!r}"
            )
        handler = auth._authenticate_handler
        if handler is None:
            raise ValueError(
                "the Auth object has no authenticate handler; register one with"
                " @auth.authenticate"
            )
        self.auth = auth
        self.studio = studio
        self.openapi = openapi
        self._authenticate: Callable[..., Any] = handler
        self._is_async = inspect.iscoroutinefunction(handler)
        self._parameters = _authenticate_parameters(handler)
        self._http_exception: type[Exception] = exceptions.HTTPException
        # Its resource and action are Literal-typed; ours are checked strings.
        self._context: Any = types.AuthContext
        self._studio_user = types.StudioUser
        self._chosen: dict[tuple[str, str], Any] = {}
        self._cache = None if cache is None else AuthCache(cache)

    def handler(self, resource: str, action: str) -> Any:
        """The handler for ``resource`` and ``action``: the most specific one."""
        key = (resource, action)
        if key not in self._chosen:
            found = None
            for candidate in (key, (resource, "*"), ("*", action), ("*", "*")):
                registered = self.auth._handlers.get(candidate)
                if registered:
                    found = registered[-1]
                    break
            if found is None and self.auth._global_handlers:
                found = self.auth._global_handlers[-1]
            self._chosen[key] = found
        return self._chosen[key]

    def rejection(self, exc: Exception) -> ApiError:
        """An ``Auth.exceptions.HTTPException`` as the response it asks for."""
        headers = getattr(exc, "headers", None)
        return ApiError(
            getattr(exc, "status_code", 401),
            getattr(exc, "detail", None),
            headers=dict(headers) if headers else None,
        )

    async def authenticate(self, scope: Scope) -> RequestAuth:
        """Run the authenticate handler on a request.

        Raises:
            ApiError: What the handler raised (``Auth.exceptions.HTTPException``
                keeps its status, 401 by default; ``AssertionError`` is 403), or
                500 when it returned no user.
        """
        if (
            self.studio
            and HTTPConnection(scope).headers.get("x-auth-scheme") == "langsmith"
        ):
            return self._studio_auth()
        cache = self._cache
        key = () if cache is None else cache.key(dict(scope.get("headers") or ()))
        if cache is not None and key:
            cached: RequestAuth | None = cache.get(key)
            if cached is not None:
                return cached
        found = await self._run_authenticate(scope)
        if cache is not None and key:
            cache.put(key, found)
        return found

    def _studio_auth(self) -> RequestAuth:
        studio = self._studio_user(_STUDIO_IDENTITY, is_authenticated=True)
        record = {
            "kind": "StudioUser",
            "identity": _STUDIO_IDENTITY,
            "display_name": _STUDIO_IDENTITY,
            "is_authenticated": True,
            "permissions": [],
        }
        return RequestAuth(self, studio, [], record)

    async def _run_authenticate(self, scope: Scope) -> RequestAuth:
        headers = dict(scope.get("headers") or ())
        kwargs = {name: _argument(name, scope, headers) for name in self._parameters}
        try:
            if self._is_async:
                response = await self._authenticate(**kwargs)
            else:
                response = await run_in_threadpool(self._authenticate, **kwargs)
        except AssertionError as exc:
            raise ApiError(403, str(exc) or "Forbidden") from None
        except self._http_exception as exc:
            raise self.rejection(exc) from None
        try:
            permissions, user = normalize(response)
        except TypeError as exc:
            raise ApiError(500, f"Invalid authenticate handler result: {exc}") from None
        return RequestAuth(self, user, permissions, dict(user))


def load_auth(settings: AuthSettings, base_dir: Path) -> ServerAuth | None:
    """The ``ServerAuth`` of a config's ``auth`` block (``None`` without a path)."""
    from stategraph.server._config import import_object

    if settings.path is None:
        return None
    # ``langgraph dev`` marks itself so; only then may Studio skip auth.
    dev = os.environ.get("LANGSMITH_LANGGRAPH_API_VARIANT") == "local_dev"
    return ServerAuth(
        import_object(settings.path, base_dir),
        studio=dev and not settings.disable_studio_auth,
        openapi=settings.openapi,
        cache=settings.cache,
    )


def resolve_auth(auth: Any, config: ServerConfig | None) -> ServerAuth | None:
    """The app's auth: ``auth`` given in code, else the config's, else none."""
    if auth is not None:
        return auth if isinstance(auth, ServerAuth) else ServerAuth(auth)
    if config is None or config.auth is None:
        return None
    return load_auth(config.auth, config.base_dir)


def openapi_security(
    document: dict[str, Any], auth: ServerAuth | None
) -> dict[str, Any]:
    """``document`` (an OpenAPI dict) with the config's ``auth.openapi`` applied.

    Without auth or ``auth.openapi`` the document is returned unchanged.
    """
    if auth is None or not auth.openapi:
        return document
    return apply_openapi(document, auth.openapi)
