"""Custom auth (``langgraph_sdk.Auth`` from ``langgraph.json``) through the real SDK.

One server reads ``auth.path`` from its config. Alice, Bob and Eve each talk to
it with their own token; every resource of one user must be invisible to the
others (404, as LangGraph answers), handlers' values and filters must apply,
and graphs must see who started the run.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from _server_graphs import make_who_graph
from langgraph_sdk import Auth, get_client, get_sync_client

from conftest import Api, serve
from stategraph.server import create_app
from stategraph.server._auth import ServerAuth
from stategraph.server._auth_config import CacheSettings
from stategraph.server._config import load_config
from stategraph.server._storage import InMemoryStorage, Page, Query

AUTH_PY = """
from langgraph_sdk import Auth

auth = Auth()
USERS = {
    "token-alice": {"identity": "alice", "permissions": ["delete"], "secret": "a-1"},
    "token-bob": {"identity": "bob", "permissions": []},
    "token-eve": {"identity": "eve"},
}


@auth.authenticate
async def authenticate(authorization: str | None, path: str, method: str):
    if authorization == "Bearer teapot":
        raise Auth.exceptions.HTTPException(
            status_code=418, detail="short and stout", headers={"x-teapot": "yes"}
        )
    if not authorization:
        raise Auth.exceptions.HTTPException(detail="Missing token")
    user = USERS.get(authorization.removeprefix("Bearer "))
    if user is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Invalid token")
    return user


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: dict):
    if ctx.user.identity == "eve":
        return False
    metadata = value.setdefault("metadata", {})
    if isinstance(metadata, dict):
        metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}


@auth.on.threads.search
async def own_or_member(ctx: Auth.types.AuthContext, value: dict):
    me = ctx.user.identity
    return {"$or": [{"owner": {"$eq": me}}, {"members": {"$contains": me}}]}


@auth.on.threads.delete
async def deleters_only(ctx: Auth.types.AuthContext, value: dict):
    assert "delete" in ctx.permissions, "You may not delete threads"
    return {"owner": ctx.user.identity}


@auth.on.store
async def own_namespace(ctx: Auth.types.AuthContext, value: dict):
    namespace = tuple(value.get("namespace") or ())
    if namespace[:1] == ("forbidden",):
        return False
    value["namespace"] = (ctx.user.identity, *namespace)


@auth.on.store.search
async def notes_only(ctx: Auth.types.AuthContext, value: dict):
    value["namespace"] = (ctx.user.identity, *value["namespace"])
    return {"kind": "note"}
"""

GRAPH_PY = """
from typing_extensions import TypedDict

from stategraph.config import get_config
from stategraph.graph import START, StateGraph
from stategraph.runtime import Runtime


class Seen(TypedDict, total=False):
    ask: str
    identity: str
    by_key: str
    user_id: str
    permissions: list
    server_user: str
    secret: str


def whoami(state: Seen, runtime: Runtime) -> dict:
    configurable = get_config()["configurable"]
    user = configurable["langgraph_auth_user"]
    return {
        "identity": user.identity,
        "by_key": user["identity"],
        "user_id": configurable["langgraph_auth_user_id"],
        "permissions": configurable["langgraph_auth_permissions"],
        "server_user": runtime.server_info.user.identity,
        "secret": user.get("secret"),
    }


builder = StateGraph(Seen)
builder.add_node("whoami", whoami)
builder.add_edge(START, "whoami")
graph = builder.compile()
"""

SOON = "0 0 1 1 *"  # once a year: crons here never fire during a test


def write_project(root: Path, auth: dict[str, Any] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "auth.py").write_text(AUTH_PY)
    (root / "who.py").write_text(GRAPH_PY)
    config = {
        "graphs": {"who": "./who.py:graph"},
        "auth": auth or {"path": "./auth.py:auth"},
    }
    path = root / "langgraph.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture(scope="module")
def auth_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = write_project(tmp_path_factory.mktemp("auth"))
    yield from serve(create_app(config=path))


class UserApi(Api):
    """The SDK client of one user (sync or async), sending their token."""

    def __init__(self, mode: str, url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.mode = mode
        self.url = url
        self.sync = get_sync_client(url=url, api_key=None, headers=headers)
        self.aio = get_client(url=url, api_key=None, headers=headers)


@pytest_asyncio.fixture(params=["sync", "async"])
async def users(
    request: pytest.FixtureRequest, auth_url: str
) -> AsyncIterator[dict[str, UserApi]]:
    tokens = {
        "alice": "token-alice",
        "bob": "token-bob",
        "eve": "token-eve",
        "anon": None,
        "bad": "token-nobody",
        "teapot": "teapot",
    }
    clients = {name: UserApi(request.param, auth_url, t) for name, t in tokens.items()}
    try:
        yield clients
    finally:
        for client in clients.values():
            await client.aclose()


async def status_of(api: UserApi, path: str, *args: Any, **kwargs: Any) -> int:
    """The HTTP status an SDK call fails with."""
    with pytest.raises(httpx.HTTPStatusError) as info:
        await api(path, *args, **kwargs)
    return info.value.response.status_code


async def detail_of(api: UserApi, path: str, *args: Any, **kwargs: Any) -> Any:
    with pytest.raises(httpx.HTTPStatusError) as info:
        await api(path, *args, **kwargs)
    response = info.value.response
    return response.status_code, response.json()["detail"], response.headers


# -- authentication ------------------------------------------------------------


@pytest.mark.asyncio
async def test_requests_without_a_valid_token_get_401(
    users: dict[str, UserApi],
) -> None:
    status, detail, _ = await detail_of(users["anon"], "threads.search")
    assert (status, detail) == (401, "Missing token")
    status, detail, _ = await detail_of(users["bad"], "threads.create")
    assert (status, detail) == (401, "Invalid token")
    assert await status_of(users["bad"], "store.get_item", ["x"], key="k") == 401
    assert await status_of(users["anon"], "runs.wait", None, "who") == 401


@pytest.mark.asyncio
async def test_custom_http_exception_keeps_status_detail_and_headers(
    users: dict[str, UserApi],
) -> None:
    status, detail, headers = await detail_of(users["teapot"], "assistants.search")
    assert (status, detail, headers["x-teapot"]) == (418, "short and stout", "yes")


@pytest.mark.asyncio
async def test_health_and_info_stay_public(auth_url: str) -> None:
    async with httpx.AsyncClient(base_url=auth_url) as client:
        assert (await client.get("/ok")).json() == {"ok": True}
        assert (await client.get("/info")).status_code == 200
        assert (await client.post("/threads/search", json={})).status_code == 401


# -- threads ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_threads_of_one_user_are_invisible_to_another(
    users: dict[str, UserApi],
) -> None:
    alice, bob = users["alice"], users["bob"]
    tag = uuid.uuid4().hex
    thread = await alice("threads.create", metadata={"tag": tag})
    tid = thread["thread_id"]
    assert thread["metadata"] == {"tag": tag, "owner": "alice"}  # the handler's
    assert (await alice("threads.get", tid))["thread_id"] == tid
    for call, args, kwargs in [
        ("threads.get", (tid,), {}),
        ("threads.update", (tid,), {"metadata": {"owner": "bob"}}),
        ("threads.get_state", (tid,), {}),
        ("threads.get_history", (tid,), {}),
        ("threads.update_state", (tid, {"ask": "x"}), {}),
        ("threads.copy", (tid,), {}),
        ("runs.list", (tid,), {}),
        ("runs.create", (tid, "who"), {}),
        ("crons.create_for_thread", (tid, "who"), {"schedule": SOON}),
    ]:
        assert await status_of(bob, call, *args, **kwargs) == 404, call
    # Bob cannot take the id over either: it "already exists".
    assert await status_of(bob, "threads.create", thread_id=tid) == 409
    mine = await alice("threads.search", metadata={"tag": tag})
    assert [t["thread_id"] for t in mine] == [tid]
    assert await bob("threads.search", metadata={"tag": tag}) == []
    assert await bob("threads.count", metadata={"tag": tag}) == 0
    assert await alice("threads.count", metadata={"tag": tag}) == 1
    assert await status_of(bob, "threads.delete", tid) == 403  # no permission
    assert await status_of(bob, "threads.prune", [tid]) == 403
    bobs = (await bob("threads.create"))["thread_id"]
    assert await status_of(alice, "threads.prune", [tid, bobs]) == 404
    assert (await bob("threads.get", bobs))["thread_id"] == bobs
    await alice("threads.delete", tid)
    assert await status_of(alice, "threads.get", tid) == 404


@pytest.mark.asyncio
async def test_search_filters_match_with_or_and_contains(
    users: dict[str, UserApi],
) -> None:
    alice, bob = users["alice"], users["bob"]
    tag = uuid.uuid4().hex
    shared = await alice("threads.create", metadata={"tag": tag, "members": ["bob"]})
    await alice("threads.create", metadata={"tag": tag, "members": ["carol"]})
    found = await bob("threads.search", metadata={"tag": tag})
    assert [t["thread_id"] for t in found] == [shared["thread_id"]]
    assert len(await alice("threads.search", metadata={"tag": tag})) == 2
    # Reading goes by the global handler: members are not owners.
    assert await status_of(bob, "threads.get", shared["thread_id"]) == 404


@pytest.mark.asyncio
async def test_handler_returning_false_forbids(users: dict[str, UserApi]) -> None:
    eve = users["eve"]
    status, detail, _ = await detail_of(eve, "threads.create")
    assert (status, detail) == (403, "Forbidden")
    assert await status_of(eve, "assistants.search") == 403
    assert await status_of(eve, "runs.wait", None, "who") == 403


@pytest.mark.asyncio
async def test_failed_assertion_in_a_handler_is_403(users: dict[str, UserApi]) -> None:
    bob = users["bob"]
    tid = (await bob("threads.create"))["thread_id"]
    status, detail, _ = await detail_of(bob, "threads.delete", tid)
    assert (status, detail) == (403, "You may not delete threads")
    assert (await bob("threads.get", tid))["thread_id"] == tid


# -- runs ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_graphs_see_the_user_who_started_the_run(
    users: dict[str, UserApi],
) -> None:
    alice = users["alice"]
    spoof = {"configurable": {"langgraph_auth_user_id": "bob"}}
    values = await alice("runs.wait", None, "who", input={"ask": "?"}, config=spoof)
    assert values == {
        "ask": "?",
        "identity": "alice",
        "by_key": "alice",
        "user_id": "alice",
        "permissions": ["delete"],
        "server_user": "alice",
        "secret": "a-1",
    }
    tid = (await alice("threads.create"))["thread_id"]
    run = await alice("runs.create", tid, "who", input={})
    await alice("runs.join", tid, run["run_id"])
    configurable = (await alice("runs.get", tid, run["run_id"]))["kwargs"]["config"][
        "configurable"
    ]
    assert configurable["langgraph_auth_user_id"] == "alice"
    assert configurable["langgraph_auth_user"]["identity"] == "alice"


@pytest.mark.asyncio
async def test_runs_of_one_user_are_invisible_to_another(
    users: dict[str, UserApi],
) -> None:
    alice, bob = users["alice"], users["bob"]
    tid = (await alice("threads.create"))["thread_id"]
    # Delayed an hour, the run stays pending while Bob tries his luck.
    run = await alice("runs.create", tid, "who", input={}, after_seconds=3600)
    rid = run["run_id"]
    for call in ("runs.get", "runs.join", "runs.cancel"):
        assert await status_of(bob, call, tid, rid) == 404, call
    assert await status_of(bob, "runs.delete", tid, rid) == 403  # threads:delete
    assert await status_of(bob, "runs.join_stream", tid, rid) == 404
    assert await status_of(bob, "runs.cancel_many", thread_id=tid, run_ids=[rid]) == 404
    with pytest.raises(httpx.HTTPStatusError):  # none of Bob's own are in flight
        await bob("runs.cancel_many", status="all")
    assert (await alice("runs.get", tid, rid))["status"] == "pending"
    await alice("runs.cancel", tid, rid)
    assert (await alice("runs.get", tid, rid))["status"] == "interrupted"


@pytest.mark.asyncio
async def test_a_run_owns_the_thread_it_creates(users: dict[str, UserApi]) -> None:
    alice, bob = users["alice"], users["bob"]
    tid = str(uuid.uuid4())
    await alice("runs.wait", tid, "who", input={}, if_not_exists="create")
    thread = await alice("threads.get", tid)
    assert thread["metadata"]["owner"] == "alice"
    assert await status_of(bob, "threads.get", tid) == 404
    assert await status_of(bob, "runs.wait", tid, "who", input={}) == 404


@pytest.mark.asyncio
async def test_stateless_runs_are_private_too(
    users: dict[str, UserApi], auth_url: str
) -> None:
    alice = users["alice"]
    run = await alice("runs.create", None, "who", input={}, on_completion="keep")
    rid = run["run_id"]
    token = {"authorization": "Bearer token-alice"}
    other = {"authorization": "Bearer token-bob"}
    async with httpx.AsyncClient(base_url=auth_url) as client:
        joined = await client.get(f"/runs/{rid}/join", headers=token)
        assert joined.json()["identity"] == "alice"
        for path in (f"/runs/{rid}/join", f"/runs/{rid}/stream"):
            assert (await client.get(path, headers=other)).status_code == 404, path


# -- assistants and crons ---------------------------------------------------------


@pytest.mark.asyncio
async def test_assistants_of_one_user_are_invisible_to_another(
    users: dict[str, UserApi],
) -> None:
    alice, bob = users["alice"], users["bob"]
    assistant = await alice("assistants.create", "who", name="mine")
    aid = assistant["assistant_id"]
    assert assistant["metadata"] == {"owner": "alice"}
    for call in ("assistants.get", "assistants.get_graph", "assistants.get_versions"):
        assert await status_of(bob, call, aid) == 404, call
    assert await status_of(bob, "assistants.update", aid, name="x") == 404
    assert await status_of(bob, "assistants.delete", aid) == 404
    assert await status_of(bob, "assistants.set_latest", aid, 1) == 404
    await alice("assistants.update", aid, metadata={"v": 2})
    versions = await alice("assistants.get_versions", aid)
    assert [v["metadata"] for v in versions] == [
        {"owner": "alice", "v": 2},
        {"owner": "alice"},
    ]
    assert aid not in [a["assistant_id"] for a in await bob("assistants.search")]
    assert aid in [a["assistant_id"] for a in await alice("assistants.search")]
    # Runs check ``assistants:read`` for assistants that are not the system's.
    assert await status_of(bob, "runs.wait", None, aid, input={}) == 404
    assert (await bob("runs.wait", None, "who", input={}))["identity"] == "bob"
    await alice("assistants.delete", aid)


@pytest.mark.asyncio
async def test_crons_of_one_user_are_invisible_to_another(
    users: dict[str, UserApi],
) -> None:
    alice, bob = users["alice"], users["bob"]
    cron = await alice("crons.create", "who", schedule=SOON, input={})
    cid = cron["cron_id"]
    assert (cron["metadata"], cron["user_id"]) == ({"owner": "alice"}, "alice")
    assert await status_of(bob, "crons.delete", cid) == 404
    assert await status_of(bob, "crons.update", cid, schedule="0 0 2 1 *") == 404
    assert cid not in [c["cron_id"] for c in await bob("crons.search")]
    assert await bob("crons.count") == 0
    assert cid in [c["cron_id"] for c in await alice("crons.search")]
    # The cron's runs will run as Alice, whatever its payload says.
    configurable = cron["payload"]["config"]["configurable"]
    assert configurable["langgraph_auth_user_id"] == "alice"
    await alice("crons.delete", cid)


# -- store -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_store_namespaces_are_scoped_per_user(users: dict[str, UserApi]) -> None:
    alice, bob = users["alice"], users["bob"]
    ns = ["notes", uuid.uuid4().hex]
    await alice("store.put_item", ns, key="k", value={"kind": "note", "n": 1})
    await alice("store.put_item", ns, key="draft", value={"kind": "draft", "n": 1})
    item = await alice("store.get_item", ns, key="k")
    assert item["namespace"] == ["alice", *ns]
    assert await bob("store.get_item", ns, key="k") is None
    assert (await bob("store.search_items", ns))["items"] == []
    found = await alice("store.search_items", ns, filter={"n": 1})
    assert [i["key"] for i in found["items"]] == ["k"]  # the handler's filter too
    listed = await alice("store.list_namespaces", prefix=ns)
    assert listed["namespaces"] == [["alice", *ns]]
    assert (await bob("store.list_namespaces", prefix=ns))["namespaces"] == []
    everything = (await bob("store.list_namespaces"))["namespaces"]
    assert all(found[0] == "bob" for found in everything)
    await bob("store.delete_item", ns, key="k")  # Bob's own namespace: no effect
    assert await alice("store.get_item", ns, key="k") is not None
    assert (
        await status_of(alice, "store.put_item", ["forbidden"], key="k", value={})
        == 403
    )


# -- studio, configuration, the parts ---------------------------------------------


@pytest.mark.asyncio
async def test_studio_requests_skip_auth_only_in_dev(
    auth_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    studio = {"x-auth-scheme": "langsmith"}
    async with httpx.AsyncClient(base_url=auth_url) as client:
        response = await client.post("/threads/search", json={}, headers=studio)
        assert response.status_code == 401  # not a dev server
    monkeypatch.setenv("LANGSMITH_LANGGRAPH_API_VARIANT", "local_dev")
    for disabled, expected in ((False, 200), (True, 401)):
        auth = {"path": "./auth.py:auth", "disable_studio_auth": disabled}
        config = write_project(tmp_path / str(disabled), auth)
        for url in serve(create_app(config=config)):
            async with httpx.AsyncClient(base_url=url) as client:
                response = await client.post("/threads", json={}, headers=studio)
        assert response.status_code == expected
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing token"}


def test_config_names_a_valid_auth_object(tmp_path: Path) -> None:
    config = load_config(write_project(tmp_path, {"path": "./auth.py:auth"}))
    assert config.auth is not None
    assert (config.auth.path, config.auth.disable_studio_auth) == (
        "./auth.py:auth",
        False,
    )
    with pytest.raises(ValueError, match=r"'auth.path' must be 'file.py:attr'"):
        load_config(write_project(tmp_path, {"path": "auth.py"}))
    with pytest.raises(ValueError, match=r"'auth.openapi' must be an object"):
        load_config(write_project(tmp_path, {"path": "./a.py:x", "openapi": 1}))
    with pytest.raises(TypeError, match=r"must be a langgraph_sdk.Auth instance"):
        ServerAuth(object())
    with pytest.raises(ValueError, match=r"no authenticate handler"):
        ServerAuth(Auth())
    odd = Auth()

    @odd.authenticate
    async def needs_body(body: dict[str, Any]) -> str:
        return "x"

    with pytest.raises(ValueError, match=r"asks for 'body', which the server"):
        ServerAuth(odd)


@pytest.mark.asyncio
async def test_a_cron_runs_as_the_user_who_made_it(tmp_path: Path) -> None:
    start = datetime(2026, 11, 29, 12, 5, 30, tzinfo=timezone.utc)
    now = [start]
    app = create_app(config=write_project(tmp_path), clock=lambda: now[0])
    alice = {"authorization": "Bearer token-alice"}
    served = serve(app)
    url = next(served)
    try:
        async with httpx.AsyncClient(base_url=url, headers=alice, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": "who", "schedule": "* * * * *", "input": {}}
            await http.post(f"/threads/{tid}/runs/crons", json=body)
            query = "stream_modes=lifecycle"
            async with http.stream("GET", f"/threads/{tid}/stream?{query}") as stream:
                now[0] = start + timedelta(minutes=1)
                app.state.stategraph.crons.wake()
                lines = stream.aiter_lines()
                assert await anext(lines) == "event: metadata"
                done = json.loads((await anext(lines))[6:])
            state = (await http.get(f"/threads/{tid}/state")).json()
    finally:
        served.close()
    assert done["status"] == "run_done"
    assert (state["values"]["identity"], state["values"]["secret"]) == ("alice", "a-1")


class ForgetfulStorage(InMemoryStorage):
    """A storage that ignores auth filters, as a careless backend could."""

    async def search_threads(self, query: Query) -> Page:
        return await super().search_threads(dataclasses.replace(query, auth=None))


def owners_auth(*, crons_open: bool = False) -> Auth:
    auth = Auth()

    @auth.authenticate
    async def token_is_identity(authorization: str | None) -> str:
        return (authorization or "nobody").removeprefix("Bearer ")

    @auth.on
    async def owners(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> Any:
        if ctx.action == "create":
            value.setdefault("metadata", {})["owner"] = ctx.user.identity
        return {"owner": ctx.user.identity}

    if crons_open:

        @auth.on.crons.search
        async def all_crons(ctx: Auth.types.AuthContext, value: Any) -> None:
            return None

    return auth


@pytest.mark.asyncio
async def test_searches_hide_others_even_if_the_storage_does_not() -> None:
    app = create_app(
        {"who": make_who_graph}, auth=owners_auth(), storage=ForgetfulStorage()
    )
    for url in serve(app):
        async with httpx.AsyncClient(base_url=url) as http:
            alice = {"authorization": "Bearer alice"}
            bob = {"authorization": "Bearer bob"}
            created = await http.post("/threads", json={}, headers=alice)
            tid = created.json()["thread_id"]
            mine = await http.post("/threads/search", json={}, headers=alice)
            theirs = await http.post("/threads/search", json={}, headers=bob)
    assert [t["thread_id"] for t in mine.json()] == [tid]
    assert theirs.json() == []


@pytest.mark.asyncio
async def test_auth_cache_reuses_an_authentication_per_header_value() -> None:
    calls: list[str | None] = []
    auth = Auth()

    @auth.authenticate
    async def counted(authorization: str | None) -> str:
        calls.append(authorization)
        return (authorization or "nobody").removeprefix("Bearer ")

    cache = CacheSettings(("authorization",), ttl_seconds=60, max_size=10)
    app = create_app({"who": make_who_graph}, auth=ServerAuth(auth, cache=cache))
    for url in serve(app):
        async with httpx.AsyncClient(base_url=url) as http:
            for token in ("a", "a", "b", "a"):
                headers = {"authorization": f"Bearer {token}"}
                response = await http.post("/threads/count", json={}, headers=headers)
                assert response.status_code == 200
            for _ in range(2):  # without the header: nothing to key on
                await http.post("/threads/count", json={})
    assert calls == ["Bearer a", "Bearer b", None, None]


@pytest.mark.asyncio
async def test_crons_on_hidden_threads_stay_hidden() -> None:
    app = create_app({"who": make_who_graph}, auth=owners_auth(crons_open=True))
    alice = {"authorization": "Bearer alice"}
    bob = {"authorization": "Bearer bob"}
    cron = {"assistant_id": "who", "schedule": SOON}
    for url in serve(app):
        async with httpx.AsyncClient(base_url=url) as http:
            tid = (await http.post("/threads", json={}, headers=alice)).json()
            tid = tid["thread_id"]
            on_thread = await http.post(
                f"/threads/{tid}/runs/crons", json=cron, headers=alice
            )
            loose = await http.post("/runs/crons", json=cron, headers=alice)
            seen = {}
            for name, headers in (("alice", alice), ("bob", bob)):
                found = await http.post("/runs/crons/search", json={}, headers=headers)
                counted = await http.post("/runs/crons/count", json={}, headers=headers)
                seen[name] = ({c["cron_id"] for c in found.json()}, counted.json())
            one = {"thread_id": tid}
            bob_on_thread = await http.post("/runs/crons/search", json=one, headers=bob)
    both = {on_thread.json()["cron_id"], loose.json()["cron_id"]}
    assert seen["alice"] == (both, 2)
    # The crons handler lets Bob search all crons, but not those on her thread.
    assert seen["bob"] == ({loose.json()["cron_id"]}, 1)
    assert bob_on_thread.json() == []
