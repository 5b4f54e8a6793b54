"""Run streams through the real SDK: event names, payloads, namespaces, ids, joins."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import HI, Api

pytestmark = pytest.mark.asyncio


def _events(parts: list[Any]) -> list[str]:
    return [part.event for part in parts]


async def test_stream_modes_with_subgraphs(api: Api) -> None:
    thread = await api("threads.create")
    created: list[str] = []
    parts = await api(
        "runs.stream",
        thread["thread_id"],
        "agent",
        input=HI,
        stream_mode=["values", "updates", "messages-tuple", "custom"],
        stream_subgraphs=True,
        on_run_created=lambda meta: created.append(meta["run_id"]),
    )
    events = _events(parts)
    assert events[0] == "metadata"
    assert parts[0].data == {"run_id": created[0], "attempt": 1}
    messages = [p.data for p in parts if p.event == "messages"]
    # Streamed from the subgraph, the inner message is not streamed again as
    # the ``sub`` node's output.
    assert [(m[0]["content"], m[1]["langgraph_node"]) for m in messages] == [
        ("Hello", "chat"),
    ]
    assert messages[0][0]["id"] == "ai-1"
    assert messages[0][1]["thread_id"] == thread["thread_id"]
    assert {"progress": 1} in [p.data for p in parts if p.event == "custom"]
    nested = [e for e in events if "|" in e]
    assert {e.split("|")[0] for e in nested} == {
        "values",
        "updates",
        "custom",
        "messages",
    }
    assert all(e.split("|")[1].startswith("sub:") for e in nested)
    inner_messages = [p.data for p in parts if p.event.startswith("messages|")]
    assert inner_messages[0][0]["content"] == "from inner"
    last_values = [p.data for p in parts if p.event == "values"][-1]
    assert [m["type"] for m in last_values["messages"]] == ["human", "ai", "ai"]
    assert {"chat": {"messages": messages[0][:1], "log": ["chat"]}} in [
        p.data for p in parts if p.event == "updates"
    ]
    assert all(p.id is None for p in parts)  # ids only for resumable runs


async def test_resumable_stream_replays_on_join(api: Api) -> None:
    thread = await api("threads.create")
    parts = await api(
        "runs.stream",
        thread["thread_id"],
        "agent",
        input=HI,
        stream_mode=["values", "updates"],
        stream_resumable=True,
    )
    ids = [p.id for p in parts]
    assert ids == [str(i) for i in range(len(parts))]
    run_id = parts[0].data["run_id"]
    joined = await api(
        "runs.join_stream", thread["thread_id"], run_id, last_event_id="-1"
    )
    assert [(p.event, p.data, p.id) for p in joined] == [
        (p.event, p.data, p.id) for p in parts
    ]
    tail = await api("runs.join_stream", thread["thread_id"], run_id, last_event_id="2")
    assert [p.id for p in tail] == ids[3:]
    only_updates = await api(
        "runs.join_stream",
        thread["thread_id"],
        run_id,
        last_event_id="-1",
        stream_mode="updates",
    )
    assert set(_events(only_updates)) == {"metadata", "updates"}


async def test_legacy_messages_and_engine_modes(api: Api) -> None:
    parts = await api(
        "runs.stream",
        None,
        "agent",
        input=HI,
        stream_mode=["messages", "debug", "tasks", "checkpoints"],
    )
    events = _events(parts)
    assert "messages/metadata" in events
    complete = [p.data for p in parts if p.event == "messages/complete"]
    assert complete[0][0]["content"] == "Hello"
    metadata = next(p.data for p in parts if p.event == "messages/metadata")
    assert metadata["ai-1"]["metadata"]["langgraph_node"] == "chat"
    debug = [p.data for p in parts if p.event == "debug"]
    checkpoint = next(d for d in debug if d["type"] == "checkpoint")
    assert checkpoint["payload"]["checkpoint"]["checkpoint_id"]
    assert {d["type"] for d in debug} >= {"checkpoint", "task", "task_result"}
    tasks = [p.data for p in parts if p.event == "tasks"]
    assert {t["name"] for t in tasks} >= {"hold", "chat", "sub", "review"}
    assert [p.data["next"] for p in parts if p.event == "checkpoints"][-1] == []
    assert "values" not in events  # streamed internally for /wait, not sent


async def test_interrupt_in_values_and_updates(api: Api) -> None:
    thread = await api("threads.create")
    parts = await api(
        "runs.stream",
        thread["thread_id"],
        "agent",
        input={**HI, "need_review": True},
        stream_mode=["values", "updates"],
    )
    last_values = [p.data for p in parts if p.event == "values"][-1]
    interrupt = last_values["__interrupt__"]
    assert interrupt == [
        {
            "value": {"question": "ok?"},
            "id": interrupt[0]["id"],
            "response_schema": None,
        }
    ]
    assert {"__interrupt__": interrupt} in [
        p.data for p in parts if p.event == "updates"
    ]


async def test_chat_model_tokens_stream_as_deltas(api: Api) -> None:
    parts = await api(
        "runs.stream",
        None,
        "talk",
        input=HI,
        stream_mode=["messages-tuple", "messages"],
    )
    assert "messages/partial" not in [p.event for p in parts]  # the tuple form wins
    deltas = [p.data for p in parts if p.event == "messages"]
    assert "".join(d[0]["content"] for d in deltas) == "Hello big world"
    assert len(deltas) > 1
    assert {d[0]["id"] for d in deltas} == {deltas[0][0]["id"]}  # one stable id
    assert {d[0]["type"] for d in deltas} == {"AIMessageChunk"}
    assert deltas[0][1]["langgraph_node"] == "talk"
    parts = await api("runs.stream", None, "talk", input=HI, stream_mode="messages")
    partial = [p.data[0] for p in parts if p.event == "messages/partial"]
    assert partial[-1]["content"] == "Hello big world"  # accumulated, not a delta
    assert partial[0]["type"] == "ai"
    assert [p.event for p in parts].count("messages/metadata") == 1
