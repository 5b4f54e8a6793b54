"""Where ``http`` settings put things: route-level middleware and the mount prefix.

With ``middleware_order: "auth_first"`` the user app's middleware leaves the
app-wide stack and wraps each route instead, inside authentication, as
LangGraph's server does; ``middleware_first`` (the default) keeps it around
everything. ``mount_prefix`` serves the whole API under a path while ``/``
and ``/ok`` still answer at the root, for health checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

R = TypeVar("R", bound=BaseRoute)


def with_middleware(routes: Sequence[R], middleware: Sequence[Middleware]) -> list[R]:
    """``routes`` with ``middleware`` (outermost first) around each endpoint.

    Each route is rebuilt as the same kind of route (a ``Route`` stays one).
    """
    if not middleware:
        return list(routes)
    wrapped: list[Any] = []
    for route in routes:
        if isinstance(route, Route):
            wrapped.append(
                Route(
                    route.path,
                    route.endpoint,
                    methods=route.methods,
                    name=route.name,
                    include_in_schema=route.include_in_schema,
                    middleware=middleware,
                )
            )
        elif isinstance(route, Mount):
            wrapped.append(
                Mount(route.path, app=route.app, name=route.name, middleware=middleware)
            )
        else:  # the user's routes take the middleware themselves
            wrapped.append(route)
    return wrapped


def stack(app: ASGIApp, middleware: Sequence[Middleware]) -> ASGIApp:
    """``app`` inside ``middleware``, the first one outermost."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


def mounted(app: Starlette, prefix: str, ok: Callable[..., Any]) -> Starlette:
    """``app`` served under ``prefix``, with ``/`` and ``/ok`` at the root.

    The outer app runs ``app``'s lifespan and shares its ``state``, so code
    reaching the server through either finds the same context.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[Any]:
        async with app.router.lifespan_context(app) as state:
            yield state  # the user app's lifespan state, if it has one

    outer = Starlette(
        routes=[
            Route("/", ok, methods=["GET"]),
            Route("/ok", ok, methods=["GET"]),
            Mount(prefix, app=app),
        ],
        lifespan=lifespan,
    )
    outer.state = app.state
    return outer
