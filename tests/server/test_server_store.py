"""The ``/store`` routes through the real SDK, and a graph sharing the store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import UnprocessableEntityError

from conftest import Api, serve
from stategraph.server import create_app
from stategraph.server._config import load_config


@pytest.mark.asyncio
async def test_item_crud(api: Api) -> None:
    ns = ["docs", uuid.uuid4().hex]
    assert await api("store.get_item", ns, key="a") is None
    await api("store.put_item", ns, key="a", value={"title": "A", "n": 1})
    item = await api("store.get_item", ns, key="a")
    assert (item["namespace"], item["key"], item["value"]) == (
        ns,
        "a",
        {"title": "A", "n": 1},
    )
    assert item["created_at"] <= item["updated_at"]
    await api("store.put_item", ns, key="a", value={"title": "A2"}, index=False)
    again = await api("store.get_item", ns, key="a")
    assert again["value"] == {"title": "A2"}
    assert again["created_at"] == item["created_at"]
    await api("store.delete_item", ns, key="a")
    assert await api("store.get_item", ns, key="a") is None
    await api("store.delete_item", ns, key="a")  # absent: still fine


@pytest.mark.asyncio
async def test_search_and_filter(api: Api) -> None:
    root = uuid.uuid4().hex
    for i in range(5):
        ns = [root, "even" if i % 2 == 0 else "odd"]
        await api("store.put_item", ns, key=f"k{i}", value={"i": i, "even": i % 2 == 0})
    found = await api("store.search_items", [root], limit=10)
    assert sorted(item["key"] for item in found["items"]) == [f"k{i}" for i in range(5)]
    assert all("score" in item for item in found["items"])
    evens = await api("store.search_items", [root], filter={"even": True})
    assert sorted(item["value"]["i"] for item in evens["items"]) == [0, 2, 4]
    big = await api("store.search_items", [root], filter={"i": {"$gte": 3}})
    assert sorted(item["key"] for item in big["items"]) == ["k3", "k4"]
    page = await api("store.search_items", [root, "even"], limit=2, offset=1)
    assert len(page["items"]) == 2
    first = await api("store.search_items", [root, "even"], limit=1)
    assert first["items"][0]["key"] not in {item["key"] for item in page["items"]}


@pytest.mark.asyncio
async def test_list_namespaces(api: Api) -> None:
    root = uuid.uuid4().hex
    for path in (["a", "x"], ["a", "y"], ["b", "x"]):
        await api("store.put_item", [root, *path], key="k", value={})
    listed = await api("store.list_namespaces", prefix=[root])
    assert sorted(listed["namespaces"]) == [
        [root, "a", "x"],
        [root, "a", "y"],
        [root, "b", "x"],
    ]
    shallow = await api("store.list_namespaces", prefix=[root], max_depth=2)
    assert sorted(shallow["namespaces"]) == [[root, "a"], [root, "b"]]
    by_suffix = await api("store.list_namespaces", prefix=[root], suffix=["x"])
    assert sorted(by_suffix["namespaces"]) == [[root, "a", "x"], [root, "b", "x"]]
    one = await api("store.list_namespaces", prefix=[root], limit=1, offset=2)
    assert len(one["namespaces"]) == 1


@pytest.mark.asyncio
async def test_invalid_requests(api: Api) -> None:
    with pytest.raises(UnprocessableEntityError):
        await api("store.put_item", ["docs", ""], key="a", value={})
    with pytest.raises(UnprocessableEntityError):  # InMemoryStore has no TTL
        await api("store.put_item", ["docs"], key="a", value={}, ttl=5)
    with pytest.raises(UnprocessableEntityError):
        await api("store.search_items", ["docs"], limit=-1)
    with pytest.raises(UnprocessableEntityError):
        await api("store.search_items", ["docs"], filter={"a": {"$bogus": 1}})


@pytest.mark.asyncio
async def test_raw_http_shapes(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        put = await http.put(
            "/store/items", json={"namespace": ["raw"], "key": "k", "value": {"v": 1}}
        )
        assert (put.status_code, put.content) == (204, b"")
        missing = await http.get("/store/items", params={"namespace": "raw"})
        assert missing.status_code == 400
        dotted = await http.put(
            "/store/items", json={"namespace": ["a.b"], "key": "k", "value": {}}
        )
        assert dotted.status_code == 422
        got = await http.get("/store/items", params={"namespace": "raw", "key": "k"})
        assert got.json()["value"] == {"v": 1}
        gone = await http.request(
            "DELETE", "/store/items", json={"namespace": ["raw"], "key": "k"}
        )
        assert gone.status_code == 204


@pytest.mark.asyncio
async def test_graph_and_client_share_the_store(api: Api) -> None:
    user = uuid.uuid4().hex
    thread = await api("threads.create")
    first = await api(
        "runs.wait", thread["thread_id"], "memo", input={"user": user, "note": "x"}
    )
    assert first["recalled"] == ["x"]
    await api("store.put_item", ["notes", user], key="client", value={"text": "yz"})
    second = await api("runs.wait", None, "memo", input={"user": user, "note": "abc"})
    assert sorted(second["recalled"]) == ["abc", "x", "yz"]
    item = await api("store.get_item", ["notes", user], key="n3")
    assert item["value"] == {"text": "abc"}


def test_store_index_from_config(tmp_path: Path) -> None:
    """``store.index`` reaches the default store, with a ``.py:`` embed imported."""
    base = tmp_path
    (base / "emb.py").write_text(
        "def embed(texts):\n    return [[float(len(t)), 1.0] for t in texts]\n"
        "graph = None\n"
    )
    (base / "g.py").write_text(
        "from stategraph.graph import StateGraph, START\n"
        "from typing_extensions import TypedDict\n"
        "class S(TypedDict):\n    x: int\n"
        "b = StateGraph(S)\nb.add_node('n', lambda s: s)\nb.add_edge(START, 'n')\n"
        "graph = b.compile()\n"
    )
    spec = {
        "graphs": {"g": "./g.py:graph"},
        "store": {"index": {"dims": 2, "embed": "./emb.py:embed", "fields": ["text"]}},
    }
    (base / "langgraph.json").write_text(json.dumps(spec))
    config = load_config(base / "langgraph.json")
    assert config.store_index is not None
    assert callable(config.store_index["embed"])
    app = create_app(config=config)
    store = app.state.stategraph.store
    assert store.index_config["dims"] == 2
    store.put(("d",), "short", {"text": "ab"})
    store.put(("d",), "long", {"text": "abcdefgh"})
    hits = store.search(("d",), query="abcdefg")
    assert [hit.key for hit in hits] == ["long", "short"]


@pytest.mark.asyncio
async def test_store_ttl_from_config(tmp_path: Path) -> None:
    """``store.ttl`` swaps the in-memory store for one with TTLs."""
    (tmp_path / "g.py").write_text("from _server_graphs import memo as graph\n")
    spec = {
        "graphs": {"memo": "./g.py:graph"},
        "store": {"ttl": {"default_ttl": 5, "refresh_on_read": True}},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(spec))
    app = create_app(config=tmp_path / "langgraph.json")
    served = serve(app)
    url = next(served)
    try:
        client = get_client(url=url, api_key=None)
        await client.store.put_item(["t"], key="k", value={"v": 1}, ttl=1)
        item = await client.store.get_item(["t"], key="k", refresh_ttl=False)
        assert item is not None
        assert item["value"] == {"v": 1}
        result = await client.runs.wait(None, "memo", input={"user": "u", "note": "n"})
        assert isinstance(result, dict)
        assert result["recalled"] == ["n"]
        store = app.state.stategraph.store
        assert type(store).__name__ == "AsyncSqliteStore"
        assert store.ttl_config["default_ttl"] == 5
        await client.http.client.aclose()
    finally:
        served.close()
