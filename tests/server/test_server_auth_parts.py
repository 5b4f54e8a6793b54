"""The parts of custom auth on their own: filters (in Python and SQL), users."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stategraph.server._auth_filters import (
    and_store_filters,
    check_filter,
    matches,
    to_sql,
)
from stategraph.server._auth_user import AuthUser, normalize
from stategraph.server._http import ApiError


def test_filters_match_as_langgraph_matches_them() -> None:
    meta = {"owner": "a", "tags": ["x", "y"], "n": 1}
    assert matches(meta, {"owner": "a"})
    assert matches(meta, {"owner": {"$eq": "a"}, "n": 1})
    assert not matches(meta, {"owner": "b"})
    assert not matches(meta, {"missing": None})
    assert matches(meta, {"tags": {"$contains": "x"}})
    assert matches(meta, {"tags": {"$contains": ["y", "x"]}})
    assert not matches(meta, {"tags": {"$contains": ["x", "z"]}})
    assert not matches(meta, {"owner": {"$contains": "a"}})  # not a list
    assert matches(meta, {"$or": [{"owner": "b"}, {"n": 1}]})
    assert not matches(meta, {"$and": [{"owner": "a"}, {"n": 2}]})
    assert matches(None, {})
    for bad, message in [
        ([], "expected a dict"),
        ({"$or": [{"a": 1}]}, r"\$or must be a list of at least 2 filters"),
        ({"a": {"$gt": 1}}, r"must be one of \['\$eq', '\$contains'\]"),
        (
            {"$or": [{"$or": [{"$or": [{"a": 1}, {"b": 1}]}, {}]}, {}]},
            "nest deeper than 2 levels",
        ),
    ]:
        with pytest.raises(ApiError, match=message) as info:
            check_filter(bad)
        assert info.value.status_code == 500


def test_store_filters_are_merged_key_by_key() -> None:
    assert and_store_filters(None, {"kind": "note"}) == {"kind": "note"}
    assert and_store_filters({"n": 1}, {"kind": "note"}) == {"n": 1, "kind": "note"}
    assert and_store_filters({"n": {"$gt": 1}}, {"n": {"$lt": 5}}) == {
        "n": {"$gt": 1, "$lt": 5}
    }
    with pytest.raises(ApiError, match=r"conflicts with the auth handler's filter"):
        and_store_filters({"kind": "draft"}, {"kind": "note"})


class Person:
    identity = "p1"
    permissions = ("read",)
    team = "blue"

    def dict(self) -> dict[str, Any]:
        return {"team": self.team}


def test_authenticate_results_become_one_kind_of_user() -> None:
    permissions, user = normalize("u1")
    assert (permissions, user) == ([], AuthUser(user))
    assert (user.identity, user.display_name, user.is_authenticated) == (
        "u1",
        "u1",
        True,
    )
    permissions, user = normalize({"identity": "u2", "permissions": ["w"], "x": 1})
    assert (permissions, user.permissions, user.x, user["x"]) == (["w"], ["w"], 1, 1)
    permissions, user = normalize(Person())
    assert (permissions, user.identity, user.team, user["team"]) == (
        ["read"],
        "p1",
        "blue",
        "blue",
    )
    permissions, user = normalize((["admin"], "u3"))
    assert (permissions, user.identity) == (["admin"], "u3")
    with pytest.raises(TypeError, match=r"needs a string 'identity'"):
        normalize({"name": "no id"})
    with pytest.raises(TypeError, match=r"must return a string identity"):
        normalize(42)
    with pytest.raises(AttributeError, match=r"the user has no attribute 'nope'"):
        _ = normalize("u1")[1].nope


FILTER_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"owner": "a"}, {"owner": "a"}),
    ({"owner": "a"}, {"owner": "b"}),
    ({"owner": "a"}, {"other": "a"}),
    ({"owner": None}, {"owner": None}),
    ({"n": 1}, {"n": {"$eq": 1}}),
    ({"n": 1}, {"n": {"$eq": "1"}}),
    ({"o": {"x": [1]}}, {"o": {"$eq": {"x": [1]}}}),
    ({"tags": ["x", "y"]}, {"tags": {"$contains": "x"}}),
    ({"tags": ["x", "y"]}, {"tags": {"$contains": ["y", "x"]}}),
    ({"tags": ["x", "y"]}, {"tags": {"$contains": ["x", "z"]}}),
    ({"tags": "xy"}, {"tags": {"$contains": "x"}}),
    ({"a": 1, "b": 2}, {"$or": [{"a": 2}, {"b": 2}]}),
    ({"a": 1, "b": 2}, {"$or": [{"a": 2}, {"c": 2}]}),
    ({"a": 1, "b": 2}, {"$and": [{"a": 1}, {"b": 2}], "c": {"$eq": 3}}),
    ({"a": 1, "b": 2, "c": 3}, {"$and": [{"a": 1}, {"$or": [{"b": 0}, {"c": 3}]}]}),
    ({"it's": "o'k"}, {"it's": "o'k"}),
    ({}, {}),
]


@pytest.mark.parametrize(("metadata", "filters"), FILTER_CASES)
def test_filters_mean_the_same_in_postgresql(
    server: str, metadata: dict[str, Any], filters: dict[str, Any]
) -> None:
    import psycopg

    check_filter(filters)
    condition, params = to_sql(filters, "doc.metadata")
    statement = (
        f"SELECT count(*) FROM (SELECT %s::jsonb AS metadata) doc WHERE {condition}"
    )
    with psycopg.connect(server) as conn:
        row = conn.execute(statement, [json.dumps(metadata), *params]).fetchone()
    assert row is not None
    assert row[0] == int(matches(metadata, filters))


def test_openapi_gets_the_configured_security() -> None:
    from langgraph_sdk import Auth

    from stategraph.server._auth import ServerAuth, openapi_security

    auth = Auth()

    @auth.authenticate
    async def who(authorization: str | None) -> str:
        return "u"

    bearer = {"bearer": {"type": "http", "scheme": "bearer"}}
    spec = {
        "security_schemes": bearer,
        "security": [{"bearer": []}],
        "paths": {"/ok": {"GET": []}, "/nowhere": {"get": []}},
    }
    document = {
        "openapi": "3.1.0",
        "paths": {"/ok": {"get": {"summary": "health"}}, "/threads": {"post": {}}},
        "components": {"schemas": {"A": {}}},
    }
    out = openapi_security(document, ServerAuth(auth, openapi=spec))
    assert out["components"] == {"schemas": {"A": {}}, "securitySchemes": bearer}
    assert out["security"] == [{"bearer": []}]
    assert out["paths"]["/ok"]["get"] == {"summary": "health", "security": []}
    assert "/nowhere" not in out["paths"]
    assert document["paths"]["/ok"]["get"] == {"summary": "health"}  # a copy
    assert openapi_security(document, ServerAuth(auth)) is document
    assert openapi_security(document, None) is document


def test_auth_cache_keeps_authentications_for_a_while() -> None:
    from stategraph.server._auth_config import AuthCache, CacheSettings

    now = [0.0]
    cache = AuthCache(CacheSettings(("authorization",), 10, 2), clock=lambda: now[0])
    headers = {b"authorization": b"Bearer a", b"host": b"h"}
    key = cache.key(headers)
    assert key == ((b"authorization", b"Bearer a"),)
    assert cache.key({b"host": b"h"}) == ()
    assert cache.get(key) is None
    cache.put(key, "alice")
    now[0] = 9.9
    assert cache.get(key) == "alice"
    now[0] = 10.0
    assert cache.get(key) is None  # expired
    cache.put(key, "alice")
    cache.put(((b"authorization", b"b"),), "bob")
    cache.get(key)  # alice is now the most recently used
    cache.put(((b"authorization", b"c"),), "carol")
    assert cache.get(((b"authorization", b"b"),)) is None  # evicted
    assert cache.get(key) == "alice"


def test_auth_settings_are_checked() -> None:
    from stategraph.server._auth_config import CacheSettings, parse_settings

    settings = parse_settings(
        {"path": "./a.py:auth", "cache": {"cache_keys": ["Authorization"]}}
    )
    assert settings is not None
    assert settings.cache == CacheSettings(("authorization",), 60.0, 1000)
    assert parse_settings(None) is None
    for raw, message in [
        ([], r"'auth' must be an object"),
        ({"cache": []}, r"'auth.cache' must be an object"),
        ({"cache": {"cache_keys": "x"}}, r"cache_keys' must be a list of header"),
        ({"cache": {"ttl_seconds": 0}}, r"ttl_seconds' must be a positive number"),
        ({"cache": {"max_size": 1.5}}, r"max_size' must be a positive integer"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_settings(raw)


@pytest.mark.asyncio
async def test_authenticate_handlers_sync_or_async_and_their_failures() -> None:
    from langgraph_sdk import Auth

    from stategraph.server._auth import ServerAuth

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/threads",
        "path_params": {"id": "1"},
        "query_string": b"a=1",
        "headers": [(b"authorization", b"Bearer t"), (b"x-team", b"blue")],
    }
    seen: dict[str, Any] = {}
    sync_auth = Auth()

    @sync_auth.authenticate
    def blocking(
        headers: dict[bytes, bytes],
        method: str,
        path_params: dict[str, str],
        query_params: Any,
    ) -> dict[str, Any]:
        seen.update(method=method, params=path_params, a=query_params["a"])
        return {"identity": headers[b"x-team"].decode(), "permissions": ["p"]}

    found = await ServerAuth(sync_auth).authenticate(scope)
    assert (found.identity, found.permissions) == ("blue", ["p"])
    assert seen == {"method": "POST", "params": {"id": "1"}, "a": "1"}
    assert found.configurable() == {
        "langgraph_auth_user": {
            "identity": "blue",
            "display_name": "blue",
            "is_authenticated": True,
            "permissions": ["p"],
        },
        "langgraph_auth_user_id": "blue",
        "langgraph_auth_permissions": ["p"],
    }
    for returned, status, detail in [
        (AssertionError("no team"), 403, "no team"),
        (None, 500, "Invalid authenticate handler result: an authenticate handler"),
    ]:
        failing = Auth()

        @failing.authenticate
        async def fails(authorization: str | None, outcome: Any = returned) -> Any:
            if isinstance(outcome, Exception):
                raise outcome
            return outcome

        with pytest.raises(ApiError) as info:
            await ServerAuth(failing).authenticate(scope)
        assert info.value.status_code == status
        assert str(info.value.detail).startswith(detail)


def test_served_openapi_document_carries_the_configured_security() -> None:
    from _server_graphs import agent
    from langgraph_sdk import Auth
    from starlette.testclient import TestClient

    from stategraph.server import create_app
    from stategraph.server._auth import ServerAuth

    auth = Auth()

    @auth.authenticate
    async def who(authorization: str | None) -> str:
        return "u"

    bearer = {"bearer": {"type": "http", "scheme": "bearer"}}
    spec = {"security_schemes": bearer, "security": [{"bearer": []}]}
    app = create_app({"agent": agent}, auth=ServerAuth(auth, openapi=spec))
    with TestClient(app) as client:
        # /openapi.json stays public: no Authorization header is sent.
        reply = client.get("/openapi.json")
    assert reply.status_code == 200
    document = reply.json()
    assert document["components"]["securitySchemes"] == bearer
    assert document["security"] == [{"bearer": []}]
    assert "/threads" in document["paths"]
