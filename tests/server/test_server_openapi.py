"""``/openapi.json`` describes exactly the routes the app serves, validly.

Real responses of the live server are checked against the document's
schemas, so the described shapes cannot drift from the wire format.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate
from starlette.routing import Route

from conftest import HI
from stategraph.server import create_app
from stategraph.server._openapi import build_openapi, document_path
from stategraph.server._openapi_paths import OPERATIONS


@pytest.fixture(scope="module")
def document(url: str) -> dict[str, Any]:
    reply = httpx.get(f"{url}/openapi.json", timeout=30)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = reply.json()
    return doc


def _served(app: Any) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and route.include_in_schema
        for method in route.methods or ()
        if method != "HEAD"
    }


def _app() -> Any:
    from _server_graphs import agent

    return create_app({"agent": agent})


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert {tag["name"] for tag in document["tags"]} == {
        "assistants",
        "threads",
        "runs",
        "crons",
        "store",
        "system",
        "mcp",
        "a2a",
        "ui",
    }


def test_every_route_is_described_and_nothing_else(document: dict[str, Any]) -> None:
    served = _served(_app())
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
    }
    as_documented = {(m, document_path(p)) for m, p in served}
    assert documented == as_documented
    assert set(OPERATIONS) == served
    tags = {
        op["tags"][0] for item in document["paths"].values() for op in item.values()
    }
    assert "undescribed" not in tags
    ids = [
        op["operationId"] for item in document["paths"].values() for op in item.values()
    ]
    assert len(ids) == len(set(ids))


def test_an_undescribed_route_is_refused_or_flagged() -> None:
    async def endpoint(request: Any) -> None:
        raise AssertionError("never called")

    routes = [*_app().routes, Route("/extra/{x}", endpoint, methods=["POST"])]
    with pytest.raises(
        LookupError,
        match=r"^route POST /extra/\{x\} has no entry in stategraph/server/"
        r"_openapi_paths\.py OPERATIONS",
    ):
        build_openapi(routes)
    lenient = build_openapi(routes, strict=False)
    validate(lenient)
    extra = lenient["paths"]["/extra/{x}"]["post"]
    assert extra["tags"] == ["undescribed"]
    assert extra["parameters"][0]["name"] == "x"


def test_path_parameters_and_bodies(document: dict[str, Any]) -> None:
    op = document["paths"]["/assistants/{assistant_id}/subgraphs/{namespace}"]["get"]
    assert [p["name"] for p in op["parameters"]] == [
        "assistant_id",
        "namespace",
        "recurse",
    ]
    stream = document["paths"]["/threads/{thread_id}/runs/stream"]["post"]
    assert stream["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunCreateStateful"
    }
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    delete = document["paths"]["/threads/{thread_id}"]["delete"]
    assert "content" not in delete["responses"]["204"]
    assert document_path("/threads/{thread_id}/runs") == "/threads/{thread_id}/runs"
    assert document_path("/threads/{id}/state") == "/threads/{thread_id}/state"
    assert document_path("/threadsx/{id}") == "/threadsx/{id}"


def _check(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    root = {**schema, "components": document["components"]}
    jsonschema.Draft202012Validator(root).validate(value)


def _response_schema(document: dict[str, Any], method: str, path: str) -> Any:
    op = document["paths"][path][method]
    ok = op["responses"]["200"]
    return ok["content"]["application/json"]["schema"]


def test_real_responses_match_the_schemas(url: str, document: dict[str, Any]) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        assistants = http.post("/assistants/search", json={}).json()
        thread = http.post("/threads", json={}).json()
        tid = thread["thread_id"]
        http.post(
            f"/threads/{tid}/runs/wait",
            json={"assistant_id": "agent", "input": {**HI, "need_review": True}},
        )
        state = http.get(f"/threads/{tid}/state").json()
        runs = http.get(f"/threads/{tid}/runs").json()
        history = http.post(f"/threads/{tid}/history", json={"limit": 2}).json()
        got = http.get(f"/threads/{tid}").json()
        http.put(
            "/store/items",
            json={"namespace": ["t", uuid.uuid4().hex], "key": "k", "value": {}},
        )
        found = http.post("/store/items/search", json={"namespace_prefix": ["t"]})
        info = http.get("/info").json()
    checks = [
        ("post", "/assistants/search", assistants),
        ("post", "/threads", thread),
        ("get", "/threads/{thread_id}/state", state),
        ("get", "/threads/{thread_id}/runs", runs),
        ("post", "/threads/{thread_id}/history", history),
        ("get", "/threads/{thread_id}", got),
        ("post", "/store/items/search", found.json()),
        ("get", "/info", info),
    ]
    for method, path, value in checks:
        _check(document, _response_schema(document, method, path), value)
    assert state["tasks"][0]["interrupts"][0]["value"] == {"question": "ok?"}
    broken = {**state, "next": "review"}
    with pytest.raises(jsonschema.ValidationError):
        _check(
            document,
            _response_schema(document, "get", "/threads/{thread_id}/state"),
            broken,
        )


def test_docs_page_lists_every_route(url: str, document: dict[str, Any]) -> None:
    page = httpx.get(f"{url}/docs", timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for path in document["paths"]:
        assert f"<code>{path}</code>" in page.text
