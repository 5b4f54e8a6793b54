"""Route dispatch by an index: the routes a request could match, found by a dict.

Starlette's ``Router`` tries every route's regex in order; with some sixty
routes, a run request is matched after forty-odd tries. ``IndexedRouter``
keys each route by what its path fixes, its first segment and its number of
``/`` (when its parameters cannot hold one), and tries in order only the
routes whose key fits the request. A route left out could not have matched,
fully or for the method alone, so the chosen route, the 405 and the path
params are Starlette's own. Requests nothing matches, and any scope that is
not HTTP, go through Starlette's full scan (its slash redirects and 404).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# The function ``Route.matches`` reads the path with; private, but sharing it
# is what keeps the index's path the routes' own.
from starlette._utils import get_route_path
from starlette.convertors import (
    FloatConvertor,
    IntegerConvertor,
    StringConvertor,
    UUIDConvertor,
)
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

#: Convertors whose values never hold a ``/`` (custom ones may).
_NO_SLASH = (FloatConvertor, IntegerConvertor, StringConvertor, UUIDConvertor)

#: ``(first segment, slash count)``; ``None`` in either place fits any.
Key = tuple[str | None, int | None]


def route_key(route: BaseRoute) -> Key:
    """What every path ``route`` matches shares (``None``: anything)."""
    if isinstance(route, Route):
        path = route.path
        slashes: int | None = path.count("/")
        if any(type(c) not in _NO_SLASH for c in route.param_convertors.values()):
            slashes = None
    elif isinstance(route, Mount) and route.path:
        path, slashes = route.path, None
    else:  # hosts, websockets, the user's app: they may match anything
        return None, None
    first = path.split("/", 2)[1]
    return (None if "{" in first else first), slashes


class IndexedRouter(Router):
    """A ``Router`` trying only the routes a request's path could match."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._indexed: list[BaseRoute] = []
        self._keys: list[Key] = []
        self._firsts: frozenset[str] = frozenset()
        self._most_slashes = 0
        self._candidates: dict[tuple[str | None, int], Sequence[BaseRoute]] = {}

    def _reindex(self) -> None:
        # Routes may be added after the app is built (``app.add_route``).
        self._indexed = list(self.routes)
        self._keys = [route_key(route) for route in self._indexed]
        self._firsts = frozenset(k[0] for k in self._keys if k[0] is not None)
        self._most_slashes = max((k[1] or 0 for k in self._keys), default=0)
        self._candidates = {}

    def candidates(self, route_path: str) -> Sequence[BaseRoute]:
        """The routes, in order, whose paths could match ``route_path``."""
        if self.routes != self._indexed:
            self._reindex()
        first = route_path.split("/", 2)[1]
        # Unknown first segments and slash counts share keys, so the cache
        # stays as small as the routes whatever paths clients send.
        key = (
            first if first in self._firsts else None,
            min(route_path.count("/"), self._most_slashes + 1),
        )
        found = self._candidates.get(key)
        if found is None:
            found = self._candidates[key] = [
                route
                for route, (head, slashes) in zip(
                    self._indexed, self._keys, strict=True
                )
                if (head is None or head == key[0])
                and (slashes is None or slashes == key[1])
            ]
        return found

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve ``scope`` with the first route fitting it, as ``Router`` does."""
        route_path = get_route_path(scope) if scope["type"] == "http" else ""
        if not route_path.startswith("/"):
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(route_path):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is None:  # no route: Starlette's redirects and 404
            await super().app(scope, receive, send)
            return
        scope["route"] = partial[0]
        scope.update(partial[1])
        await partial[0].handle(scope, receive, send)
