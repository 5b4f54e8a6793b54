"""Threads through the real SDK: CRUD, search, copy, state, update_state, history."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from langgraph_sdk.errors import ConflictError, NotFoundError

from conftest import HI, Api

pytestmark = pytest.mark.asyncio


async def test_thread_crud_and_search(api: Api) -> None:
    tag = uuid.uuid4().hex
    tid = str(uuid.uuid4())
    created = await api("threads.create", thread_id=tid, metadata={"tag": tag, "n": 1})
    assert created["thread_id"] == tid
    assert created["status"] == "idle"
    assert created["values"] is None
    with pytest.raises(ConflictError):
        await api("threads.create", thread_id=tid)
    same = await api("threads.create", thread_id=tid, if_exists="do_nothing")
    assert same["metadata"] == {"tag": tag, "n": 1}
    other = await api("threads.create", metadata={"tag": tag, "n": 2})
    patched = await api("threads.update", tid, metadata={"n": 3})
    assert patched["metadata"] == {"tag": tag, "n": 3}
    found = await api("threads.search", metadata={"tag": tag})
    assert [t["thread_id"] for t in found] == [other["thread_id"], tid]  # newest first
    oldest = await api(
        "threads.search", metadata={"tag": tag}, sort_order="asc", limit=1
    )
    assert [t["thread_id"] for t in oldest] == [tid]
    assert await api("threads.count", metadata={"tag": tag}) == 2
    assert await api("threads.count", metadata={"tag": tag}, status="busy") == 0
    await api("threads.delete", tid)
    with pytest.raises(NotFoundError):
        await api("threads.get", tid)
    assert await api("threads.count", metadata={"tag": tag}) == 1


async def test_state_of_a_new_thread(api: Api) -> None:
    thread = await api("threads.create")
    state = await api("threads.get_state", thread["thread_id"])
    assert state["values"] == {}
    assert state["checkpoint"] is None
    assert state["next"] == []
    assert await api("threads.get_history", thread["thread_id"]) == []


async def test_run_metadata_state_and_history(api: Api) -> None:
    tid = (await api("threads.create"))["thread_id"]
    await api("runs.wait", tid, "agent", input=HI)
    thread = await api("threads.get", tid)
    assert thread["status"] == "idle"
    assert thread["metadata"]["graph_id"] == "agent"
    assert thread["values"]["log"] == ["chat"]
    found = await api("threads.search", metadata={"graph_id": "agent"}, limit=1000)
    assert tid in [t["thread_id"] for t in found]
    state = await api("threads.get_state", tid)
    assert state["next"] == []
    assert isinstance(state["metadata"]["step"], int)
    checkpoint_id = state["checkpoint"]["checkpoint_id"]
    latest = await api("threads.get_state", tid, checkpoint={"thread_id": tid})
    assert latest["checkpoint"]["checkpoint_id"] == checkpoint_id
    history = await api("threads.get_history", tid, limit=10)
    assert history[0]["checkpoint"]["checkpoint_id"] == checkpoint_id
    for newer, older in itertools.pairwise(history):
        assert (
            newer["parent_checkpoint"]["checkpoint_id"]
            == (older["checkpoint"]["checkpoint_id"])
        )
    assert [h["metadata"]["source"] for h in history][-1] == "input"
    by_id = await api(
        "threads.get_state", tid, checkpoint_id=history[2]["checkpoint_id"]
    )
    assert by_id["values"] == history[2]["values"]
    before = await api(
        "threads.get_history", tid, limit=2, before=history[0]["checkpoint"]
    )
    assert [h["checkpoint_id"] for h in before] == [
        h["checkpoint_id"] for h in history[1:3]
    ]
    inputs = await api("threads.get_history", tid, metadata={"source": "input"})
    assert [h["metadata"]["step"] for h in inputs] == [-1]


async def test_update_state_as_node_and_fork(api: Api) -> None:
    tid = (await api("threads.create"))["thread_id"]
    await api("runs.wait", tid, "agent", input=HI)
    head = await api("threads.get_state", tid)
    result = await api(
        "threads.update_state", tid, {"log": ["patched"]}, as_node="chat"
    )
    assert result["checkpoint"]["checkpoint_id"] != head["checkpoint"]["checkpoint_id"]
    state = await api("threads.get_state", tid)
    assert state["values"]["log"] == ["chat", "patched"]
    assert state["metadata"]["source"] == "update"
    assert state["next"] == ["sub"]  # as if chat had just run
    assert (await api("threads.get", tid))["status"] == "interrupted"
    first = (await api("threads.get_history", tid, limit=100))[-1]
    forked = await api(
        "threads.update_state",
        tid,
        {"log": ["fork"]},
        checkpoint_id=first["checkpoint_id"],
    )
    fork_state = await api(
        "threads.get_state", tid, checkpoint_id=forked["checkpoint"]["checkpoint_id"]
    )
    assert fork_state["values"]["log"] == ["fork"]


async def test_copy_thread(api: Api) -> None:
    tid = (await api("threads.create", metadata={"kind": "original"}))["thread_id"]
    await api("runs.wait", tid, "agent", input=HI)
    copy = await api("threads.copy", tid)
    assert copy["thread_id"] != tid
    assert copy["metadata"]["kind"] == "original"
    state = await api("threads.get_state", copy["thread_id"])
    assert state["values"] == (await api("threads.get_state", tid))["values"]
    assert state["checkpoint"]["thread_id"] == copy["thread_id"]


async def test_create_with_supersteps(api: Api) -> None:
    thread: dict[str, Any] = await api(
        "threads.create",
        graph_id="agent",
        supersteps=[{"updates": [{"values": {"log": ["seed"]}, "as_node": "chat"}]}],
    )
    state = await api("threads.get_state", thread["thread_id"])
    assert state["values"]["log"] == ["seed"]
    assert state["next"] == ["sub"]
