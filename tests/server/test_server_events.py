"""The ``events`` stream mode: LangChain ``astream_events`` v2 over SSE."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import HI, Api

pytestmark = pytest.mark.asyncio


def _tokens(parts: list[Any]) -> list[str]:
    return [
        p.data["data"]["chunk"]["content"]
        for p in parts
        if p.event == "events" and p.data["event"] == "on_chat_model_stream"
    ]


async def test_events_stream_chat_model_tokens(api: Api) -> None:
    created: list[str] = []
    parts = await api(
        "runs.stream",
        None,
        "talk",
        input=HI,
        stream_mode="events",
        on_run_created=lambda meta: created.append(meta["run_id"]),
    )
    assert parts[0].event == "metadata"
    assert {p.event for p in parts[1:]} == {"events"}
    assert _tokens(parts) == ["Hello", " ", "big", " ", "world"]
    events = [p.data for p in parts[1:]]
    # The whole graph is the root run, under the API run's id.
    assert events[0]["event"] == "on_chain_start"
    assert events[0]["run_id"] == created[0]
    assert events[-1]["event"] == "on_chain_end"
    assert events[-1]["run_id"] == created[0]
    assert events[-1]["data"]["output"]["messages"][-1]["content"] == "Hello big world"
    # The root's own stream events carry engine chunks: not sent as events.
    assert not any(
        e["event"] == "on_chain_stream" and e["run_id"] == created[0] for e in events
    )
    stream = next(e for e in events if e["event"] == "on_chat_model_stream")
    assert stream["metadata"]["langgraph_node"] == "talk"
    assert set(stream) >= {"event", "name", "run_id", "parent_ids", "tags", "data"}


async def test_events_mix_with_other_modes(api: Api) -> None:
    thread = await api("threads.create")
    parts = await api(
        "runs.stream",
        thread["thread_id"],
        "talk",
        input=HI,
        stream_mode=["events", "values", "messages-tuple"],
    )
    names = [p.event for p in parts]
    assert names[0] == "metadata"
    assert names.count("values") == 2
    assert _tokens(parts) == ["Hello", " ", "big", " ", "world"]
    tuples = [p.data[0]["content"] for p in parts if p.event == "messages"]
    assert tuples == ["Hello", " ", "big", " ", "world"]
    final = [p.data for p in parts if p.event == "values"][-1]
    assert final["messages"][-1]["content"] == "Hello big world"
    state = await api("threads.get_state", thread["thread_id"])
    assert state["values"] == final


async def test_events_with_subgraphs(api: Api) -> None:
    thread = await api("threads.create")
    parts = await api(
        "runs.stream",
        thread["thread_id"],
        "agent",
        input=HI,
        stream_mode=["events", "updates"],
        stream_subgraphs=True,
    )
    updates = [p.event for p in parts if p.event.startswith("updates")]
    assert updates[:2] == ["updates", "updates"]  # hold, chat
    assert any(name.startswith("updates|sub:") for name in updates)
    events = [p.data for p in parts if p.event == "events"]
    started = [e["name"] for e in events if e["event"] == "on_chain_start"]
    assert {"hold", "chat", "sub", "inner", "review"} <= set(started)
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert custom == []  # stream-writer output is a mode, not a callback event


async def test_events_replayed_to_a_join(api: Api) -> None:
    thread = await api("threads.create")
    run = await api(
        "runs.create",
        thread["thread_id"],
        "talk",
        input=HI,
        stream_mode=["events", "values"],
        stream_resumable=True,
    )
    joined = await api(
        "runs.join_stream",
        thread["thread_id"],
        run["run_id"],
        stream_mode="events",
        last_event_id="-1",
    )
    assert _tokens(joined) == ["Hello", " ", "big", " ", "world"]
    assert "values" not in {p.event for p in joined}


async def _langgraph_events() -> list[tuple[str, str, tuple[str, ...]]]:
    """The same graph on LangGraph, filtered as LangGraph's server filters."""
    import uuid

    from _server_graphs import talk
    from langgraph.graph import START, MessagesState, StateGraph

    builder = StateGraph(MessagesState)
    # Wrapped: ``talk``'s annotation names stategraph's MessagesState.
    builder.add_node("talk", lambda state: talk(state))
    builder.add_edge(START, "talk")
    run_id = uuid.uuid4()
    out = []
    events = builder.compile().astream_events(
        HI, {"run_id": run_id}, version="v2", stream_mode=["values"]
    )
    async for event in events:
        if event["event"] == "on_chain_stream" and event["run_id"] == str(run_id):
            continue
        out.append((event["event"], event["name"], tuple(sorted(event["tags"]))))
    return out


async def test_events_match_langgraph(api: Api) -> None:
    parts = await api("runs.stream", None, "talk", input=HI, stream_mode="events")
    ours = [
        (p.data["event"], p.data["name"], tuple(sorted(p.data["tags"])))
        for p in parts
        if p.event == "events"
    ]
    assert ours == await _langgraph_events()
