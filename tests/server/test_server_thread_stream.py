"""``GET /threads/{id}/stream``: one stream following every run of a thread."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client

from conftest import HI

pytestmark = pytest.mark.asyncio


async def test_sdk_join_stream_follows_a_run(url: str, gate: tuple[str, Any]) -> None:
    name, held = gate
    client = get_client(url=url, api_key=None)
    try:
        tid = (await client.threads.create())["thread_id"]
        await client.runs.create(tid, "agent", input={**HI, "gate": name})
        events = []
        async for part in await client.threads.join_stream(tid):
            if not events:  # the run's first frame: we are following it
                held.release()
            events.append(part.event)
            if part.event == "values" and part.data.get("log") == ["chat"]:
                break
    finally:
        await client.http.client.aclose()
    assert events[0] == "metadata"
    assert "updates" not in events  # the run streams values only


async def test_lifecycle_and_state_updates(url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        query = "stream_modes=lifecycle,state_update"
        async with http.stream("GET", f"/threads/{tid}/stream?{query}") as stream:
            run = (
                await http.post(
                    f"/threads/{tid}/runs", json={"assistant_id": "agent", "input": HI}
                )
            ).json()
            lines = stream.aiter_lines()
            assert await anext(lines) == "event: metadata"
            done = json.loads((await anext(lines)).removeprefix("data: "))
            assert done == {"status": "run_done", "run_id": run["run_id"]}
            await anext(lines)  # blank line ending the frame
            await http.post(f"/threads/{tid}/state", json={"values": {"log": ["u"]}})
            assert await anext(lines) == "event: state_update"
            update = json.loads((await anext(lines)).removeprefix("data: "))
        bad = await http.get(f"/threads/{tid}/stream?stream_modes=nope")
    assert update["thread_id"] == tid
    assert update["state"]["values"]["log"] == ["chat", "u"]
    assert bad.status_code == 422
