"""``langgraph.json``'s ``auth`` block: its settings, the authentication cache, OpenAPI.

Reads and checks ``path``, ``disable_studio_auth``, ``openapi`` and ``cache``
(``cache_keys``, ``ttl_seconds``, ``max_size``), keeps authentication results
for the configured headers, and applies ``openapi`` to an OpenAPI document.
It neither imports nor calls the auth object.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """``auth.cache``: reuse an authentication for the same header values.

    Attributes:
        cache_keys: Header names (lower case) whose values key the cache.
        ttl_seconds: How long an authentication is reused.
        max_size: How many distinct keys are kept (the least recently used go).
    """

    cache_keys: tuple[str, ...]
    ttl_seconds: float = 60.0
    max_size: int = 1000


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """``langgraph.json``'s ``auth`` block.

    Attributes:
        path: ``"./auth.py:auth"`` or ``"package.module:auth"``.
        disable_studio_auth: Authenticate Studio's requests (those sent with
            ``x-auth-scheme: langsmith``) like any other. Otherwise the dev
            server lets them in as a Studio user.
        openapi: ``securitySchemes``, ``security`` and per-path ``paths``
            security for the OpenAPI document.
        cache: Reuse of authentications, when set.
    """

    path: str | None = None
    disable_studio_auth: bool = False
    openapi: Mapping[str, Any] | None = None
    cache: CacheSettings | None = None


def _cache_settings(raw: Any) -> CacheSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(f"'auth.cache' must be an object, got {raw!r}")
    keys = raw.get("cache_keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ValueError(
            f"'auth.cache.cache_keys' must be a list of header names, got {keys!r}"
        )
    ttl, size = raw.get("ttl_seconds", 60), raw.get("max_size", 1000)
    if not isinstance(ttl, (int, float)) or isinstance(ttl, bool) or ttl <= 0:
        raise ValueError(
            f"'auth.cache.ttl_seconds' must be a positive number, got {ttl!r}"
        )
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ValueError(
            f"'auth.cache.max_size' must be a positive integer, got {size!r}"
        )
    return CacheSettings(tuple(k.lower() for k in keys), float(ttl), size)


def parse_settings(raw: Any) -> AuthSettings | None:
    """The ``auth`` block of a ``langgraph.json`` (``None`` when absent).

    Raises:
        ValueError: When the block or one of its keys has the wrong type.
    """
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise ValueError(
            f"'auth' must be an object such as {{'path': ...}}, got {raw!r}"
        )
    path = raw.get("path")
    if path is not None and (not isinstance(path, str) or ":" not in path):
        raise ValueError(f"'auth.path' must be 'file.py:attr', got {path!r}")
    openapi = raw.get("openapi")
    if openapi is not None and not isinstance(openapi, Mapping):
        raise ValueError(f"'auth.openapi' must be an object, got {openapi!r}")
    return AuthSettings(
        path=path,
        disable_studio_auth=bool(raw.get("disable_studio_auth", False)),
        openapi=openapi,
        cache=_cache_settings(raw.get("cache")),
    )


class AuthCache:
    """Authentications by the values of the configured headers, for a while.

    Args:
        settings: The ``auth.cache`` settings.
        clock: Seconds on a monotonic clock (tests pass their own).
    """

    def __init__(
        self, settings: CacheSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._entries: OrderedDict[tuple[tuple[bytes, bytes], ...], tuple[float, Any]]
        self._entries = OrderedDict()

    def key(self, headers: Mapping[bytes, bytes]) -> tuple[tuple[bytes, bytes], ...]:
        """The cache key of a request's headers (empty: do not cache)."""
        names = (name.encode("latin-1") for name in self.settings.cache_keys)
        return tuple((name, headers[name]) for name in names if name in headers)

    def get(self, key: tuple[tuple[bytes, bytes], ...]) -> Any:
        """The cached result for ``key``, or ``None`` (also once expired)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: tuple[tuple[bytes, bytes], ...], value: Any) -> None:
        """Keep ``value`` for ``key`` until the TTL ends."""
        self._entries[key] = (self._clock() + self.settings.ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.settings.max_size:
            self._entries.popitem(last=False)


def apply_openapi(document: dict[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` (OpenAPI) with ``auth.openapi``'s security in it.

    ``securitySchemes`` (or ``security_schemes``) go to ``components``,
    ``security`` to the top level, and ``paths`` (``{path: {method:
    security}}``) to the operations that exist, as LangGraph's server does.
    """
    out = {**document, "components": dict(document.get("components") or {})}
    schemes = spec.get("securitySchemes", spec.get("security_schemes"))
    if schemes is not None:
        out["components"]["securitySchemes"] = schemes
    if "security" in spec:
        out["security"] = spec["security"]
    paths = {path: dict(item) for path, item in (document.get("paths") or {}).items()}
    for path, methods in (spec.get("paths") or {}).items():
        for method, security in methods.items():
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                paths[path][method.lower()] = {**operation, "security": security}
    out["paths"] = paths
    return out
