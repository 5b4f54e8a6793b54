"""Per-request auth: the middleware authenticating requests and what routes ask of it.

``AuthMiddleware`` (put on every resource route by ``protect``) runs the
server's authenticate handler and leaves a ``RequestAuth`` in the ASGI scope;
routes read it with ``request_auth`` and call ``authorize`` before acting.
Choosing handlers and running ``@auth.authenticate`` are ``ServerAuth``'s
(``_auth``); this module does not load auth objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.authentication import AuthCredentials
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from stategraph.server._auth_filters import check_filter
from stategraph.server._auth_user import AuthUser, from_config
from stategraph.server._http import ApiError

if TYPE_CHECKING:
    from stategraph.server._auth import ServerAuth

#: Where ``AuthMiddleware`` leaves the request's ``RequestAuth`` in the scope.
SCOPE_KEY = "stategraph.auth"
#: Set by ``_loopback`` on its calls; only the server itself can put it in a scope.
LOOPBACK_KEY = "stategraph.loopback"

Filters = dict[str, Any]


class RequestAuth:
    """Who made a request, and the authorization of what it does.

    Args:
        server: The app's ``ServerAuth``.
        user: The user handlers see as ``ctx.user``.
        permissions: Their permissions (``ctx.permissions``).
        record: The user as JSON, as runs keep it.
    """

    __slots__ = ("permissions", "record", "server", "user")

    def __init__(
        self,
        server: ServerAuth,
        user: Any,
        permissions: list[str],
        record: dict[str, Any],
    ) -> None:
        self.server = server
        self.user = user
        self.permissions = permissions
        self.record = record

    @property
    def identity(self) -> str:
        """The user's identity."""
        return str(self.user.identity)

    async def authorize(self, resource: str, action: str, value: Any) -> Filters | None:
        """Run the handler for ``resource:action`` on ``value`` (it may change it).

        Returns:
            The handler's metadata filter, or ``None`` when it allows all.

        Raises:
            ApiError: 403 when the handler returns ``False`` or fails an
                assertion, the status of an ``Auth.exceptions.HTTPException``
                it raises, 500 when it returns something else or a bad filter.
        """
        server = self.server
        handler = server.handler(resource, action)
        if handler is None:
            return None
        context = server._context(
            permissions=self.permissions,
            user=self.user,
            resource=resource,
            action=action,
        )
        try:
            result = await handler(ctx=context, value=value)
        except AssertionError as exc:
            raise ApiError(403, str(exc) or "Forbidden") from None
        except server._http_exception as exc:
            raise server.rejection(exc) from None
        if result is None or result is True:
            return None
        if result is False:
            raise ApiError(403, "Forbidden")
        if not isinstance(result, dict):
            raise ApiError(
                500,
                "Auth handler returned invalid result. Expected filter dict, None,"
                f" or boolean. Got {type(result)} instead.",
            )
        if resource != "store":  # a store filter is the store's own language
            check_filter(result)
        return result or None

    def configurable(self) -> dict[str, Any]:
        """The ``configurable`` keys naming this user in a run's config."""
        return {
            "langgraph_auth_user": self.record,
            "langgraph_auth_user_id": self.identity,
            "langgraph_auth_permissions": list(self.permissions),
        }


class AuthMiddleware:
    """Authenticates each request to the route it wraps.

    Args:
        app: The route's endpoint app.
        auth: The server's auth.
    """

    def __init__(self, app: ASGIApp, auth: ServerAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get(LOOPBACK_KEY):
            # The server calling itself for an authenticated request (MCP,
            # A2A): the scope already holds that request's user.
            pass
        elif scope["type"] == "http":
            # Rejections are ApiErrors: the app's handler answers them.
            await authenticate_scope(self.auth, scope)
        elif scope["type"] == "websocket":
            try:
                await authenticate_scope(self.auth, scope)
            except ApiError:
                # Closing before accepting refuses the handshake (a 403).
                await send({"type": "websocket.close", "code": 1008})
                return
        await self.app(scope, receive, send)


async def authenticate_scope(auth: ServerAuth, scope: Scope) -> None:
    """Authenticate the request; its user also goes where Starlette keeps one.

    ``request.user`` and ``request.auth`` then work in what runs after (the
    user app's routes, and its middleware under ``auth_first``).
    """
    found = await auth.authenticate(scope)
    scope[SCOPE_KEY] = found
    scope["user"] = found.user
    scope["auth"] = AuthCredentials(list(found.permissions))


def protect(
    routes: Sequence[BaseRoute], auth: ServerAuth, inner: Sequence[Middleware] = ()
) -> list[BaseRoute]:
    """``routes`` with every request authenticated first, then ``inner``."""
    middleware = [Middleware(AuthMiddleware, auth=auth), *inner]
    guarded: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, WebSocketRoute):
            guarded.append(
                WebSocketRoute(
                    route.path, route.endpoint, name=route.name, middleware=middleware
                )
            )
        elif isinstance(route, Route):
            guarded.append(
                Route(
                    route.path,
                    route.endpoint,
                    methods=route.methods,
                    name=route.name,
                    include_in_schema=route.include_in_schema,
                    middleware=middleware,
                )
            )
        else:
            guarded.append(route)
    return guarded


def request_auth(request: HTTPConnection) -> RequestAuth | None:
    """The request's ``RequestAuth`` (``None`` when the server has no auth)."""
    found: RequestAuth | None = request.scope.get(SCOPE_KEY)
    return found


async def authorize(
    request: Request, resource: str, action: str, value: Any
) -> Filters | None:
    """``RequestAuth.authorize`` for ``request``; ``None`` when there is no auth."""
    auth: RequestAuth | None = request.scope.get(SCOPE_KEY)
    if auth is None:
        return None
    return await auth.authorize(resource, action, value)


def with_auth_user(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config with its stored user as an ``AuthUser`` again.

    Runs keep the user as JSON; graphs read ``configurable["langgraph_auth_user"]``
    as LangGraph gives it: an object with ``identity`` that also reads like a dict.
    """
    configurable = config.get("configurable") or {}
    stored = configurable.get("langgraph_auth_user")
    if stored is None or isinstance(stored, AuthUser):
        return config
    return {
        **config,
        "configurable": {**configurable, "langgraph_auth_user": from_config(stored)},
    }
