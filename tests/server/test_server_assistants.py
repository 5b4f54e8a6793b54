"""Assistants through the real SDK: system assistants, CRUD, versions, graphs."""

from __future__ import annotations

import uuid
from uuid import UUID, uuid5

import pytest
from langgraph_sdk.errors import ConflictError, NotFoundError

from conftest import Api
from stategraph.server import system_assistant_id

pytestmark = pytest.mark.asyncio


async def test_system_assistant(api: Api) -> None:
    found = await api("assistants.search", graph_id="agent")
    expected = str(uuid5(UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "agent"))
    assert expected == system_assistant_id("agent")
    system = [a for a in found if a["metadata"] == {"created_by": "system"}]
    assert [a["assistant_id"] for a in system] == [expected]
    assert system[0]["version"] == 1
    assert (await api("assistants.get", expected))["graph_id"] == "agent"


async def test_assistant_crud_and_versions(api: Api) -> None:
    tag = uuid.uuid4().hex
    created = await api(
        "assistants.create",
        "agent",
        config={"tags": ["a"]},
        metadata={"tag": tag},
        name="mine",
    )
    aid = created["assistant_id"]
    assert created["version"] == 1
    with pytest.raises(ConflictError):
        await api("assistants.create", "agent", assistant_id=aid)
    kept = await api(
        "assistants.create", "agent", assistant_id=aid, if_exists="do_nothing"
    )
    assert kept["name"] == "mine"
    updated = await api("assistants.update", aid, metadata={"more": 1}, name="renamed")
    assert updated["version"] == 2
    assert updated["metadata"] == {"tag": tag, "more": 1}
    versions = await api("assistants.get_versions", aid)
    assert [v["version"] for v in versions] == [2, 1]
    restored = await api("assistants.set_latest", aid, 1)
    assert restored["name"] == "mine"
    assert await api("assistants.count", metadata={"tag": tag}) == 1
    assert [a["assistant_id"] for a in await api("assistants.search", name="mine")] == [
        aid
    ]
    # A run on a custom assistant records it on the thread.
    values = await api("runs.wait", None, aid, input={"log": ["x"]})
    assert values["log"] == ["x", "chat"]
    await api("assistants.delete", aid)
    with pytest.raises(NotFoundError):
        await api("assistants.get", aid)


async def test_graph_schemas_and_subgraphs(api: Api) -> None:
    drawn = await api("assistants.get_graph", "agent")
    assert {n["id"] for n in drawn["nodes"]} == {
        "__start__",
        "hold",
        "chat",
        "sub",
        "review",
        "__end__",
    }
    xray = await api("assistants.get_graph", "agent", xray=True)
    assert "sub:inner" in {n["id"] for n in xray["nodes"]}
    schemas = await api("assistants.get_schemas", "agent")
    assert schemas["graph_id"] == "agent"
    assert "messages" in schemas["state_schema"]["properties"]
    assert "log" in schemas["input_schema"]["properties"]
    subgraphs = await api("assistants.get_subgraphs", "agent")
    assert list(subgraphs) == ["sub"]
    assert "messages" in subgraphs["sub"]["state_schema"]["properties"]
