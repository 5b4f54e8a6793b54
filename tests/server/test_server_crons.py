"""Crons: schedule maths, the ``/runs/crons`` API, and the scheduler firing runs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from _server_graphs import agent
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError

from conftest import HI, Api, serve
from stategraph.server import create_app
from stategraph.server._cron import next_fire, parse_schedule, zone

T0 = datetime(2026, 11, 29, 12, 5, 53, tzinfo=timezone.utc)  # a Sunday


@pytest.mark.parametrize(
    ("expression", "tz", "expected"),
    [
        ("*/5 * * * *", None, "2026-11-29T12:10:00+00:00"),
        ("0 9 * * 1", "Europe/Paris", "2026-11-30T08:00:00+00:00"),  # as langgraph dev
        ("0 0 29 2 *", None, "2028-02-29T00:00:00+00:00"),
        ("15 10 1 * mon", None, "2026-11-30T10:15:00+00:00"),  # day OR weekday
        ("0 0 * jan-mar/2 *", None, "2027-01-01T00:00:00+00:00"),
        ("30 6 * * 0,7", None, "2026-12-06T06:30:00+00:00"),  # 0 and 7: Sunday
    ],
)
def test_next_fire(expression: str, tz: str | None, expected: str) -> None:
    assert next_fire(parse_schedule(expression), T0, zone(tz)).isoformat() == expected  # type: ignore[union-attr]


def test_schedules_that_never_fire_or_do_not_parse() -> None:
    assert next_fire(parse_schedule("0 0 30 2 *"), T0) is None
    for bad in ("bad", "* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *"):
        with pytest.raises(ValueError, match=r"^(expected 5 fields|invalid field)"):
            parse_schedule(bad)
    with pytest.raises(ValueError, match=r"^unknown time zone 'Mars/Base'$"):
        zone("Mars/Base")


@pytest.mark.asyncio
async def test_cron_api(api: Api) -> None:
    tag = {"suite": api.mode}
    stateless = await api(
        "crons.create", "agent", schedule="*/5 * * * *", input=HI, metadata=tag
    )
    assert stateless["thread_id"] is None
    assert stateless["on_run_completed"] == "delete"
    assert stateless["payload"]["input"] == HI
    assert (
        stateless["payload"]["config"]["configurable"]["cron_id"]
        == (stateless["cron_id"])
    )
    due = datetime.fromisoformat(stateless["next_run_date"])
    assert due.minute % 5 == 0
    assert due > datetime.now(timezone.utc)
    tid = (await api("threads.create"))["thread_id"]
    bound = await api(
        "crons.create_for_thread",
        tid,
        "agent",
        schedule="0 9 * * 1",
        timezone="Europe/Paris",
        metadata=tag,
    )
    assert bound["thread_id"] == tid
    assert bound["on_run_completed"] is None
    assert await api("crons.count", thread_id=tid) == 1
    found = await api("crons.search", metadata=tag, sort_order="asc")
    assert [c["cron_id"] for c in found] == [stateless["cron_id"], bound["cron_id"]]
    paused = await api("crons.update", bound["cron_id"], enabled=False, input=HI)
    assert paused["enabled"] is False
    assert paused["payload"]["input"] == HI
    disabled = await api("crons.search", enabled=False, thread_id=tid)
    assert [c["cron_id"] for c in disabled] == [bound["cron_id"]]
    await api("crons.delete", bound["cron_id"])
    await api("crons.delete", stateless["cron_id"])
    assert await api("crons.search", metadata=tag) == []
    with pytest.raises(UnprocessableEntityError, match="Invalid cron schedule"):
        await api("crons.create", "agent", schedule="bad")
    with pytest.raises(NotFoundError):
        await api(
            # A fresh id: ``tid`` with a changed last digit may be ``tid`` itself.
            "crons.create_for_thread",
            str(uuid.uuid4()),
            "agent",
            schedule="* * * * *",
        )


@pytest.mark.asyncio
async def test_scheduler_fires_due_crons() -> None:
    now = [T0]
    app = create_app({"agent": agent}, clock=lambda: now[0])
    served = serve(app)
    url = next(served)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            cron = (
                await http.post(
                    f"/threads/{tid}/runs/crons",
                    json={
                        "assistant_id": "agent",
                        "schedule": "* * * * *",
                        "input": HI,
                    },
                )
            ).json()
            assert cron["next_run_date"] == "2026-11-29T12:06:00+00:00"
            query = "stream_modes=lifecycle"
            async with http.stream("GET", f"/threads/{tid}/stream?{query}") as stream:
                now[0] = T0 + timedelta(minutes=1)
                app.state.stategraph.crons.wake()
                lines = stream.aiter_lines()
                assert await anext(lines) == "event: metadata"
                done: dict[str, Any] = json.loads((await anext(lines))[6:])
            fired = (await http.get(f"/runs/crons/{cron['cron_id']}")).json()
            runs = (await http.get(f"/threads/{tid}/runs")).json()
    finally:
        served.close()
    assert done["status"] == "run_done"
    assert [r["run_id"] for r in runs] == [done["run_id"]]
    assert runs[0]["kwargs"]["config"]["configurable"]["cron_id"] == cron["cron_id"]
    assert fired["next_run_date"] == "2026-11-29T12:07:00+00:00"
