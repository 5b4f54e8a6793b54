"""The cron scheduler and the thread sweeper outlive a failing storage call.

In a cluster the database can be briefly unreachable; the background loops
log the failure and look again soon instead of ending for good.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from _server_graphs import agent

from stategraph.server import _scheduler, _thread_ttl, create_app
from stategraph.server._storage import InMemoryStorage, Page, Query

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
HI = {"messages": [{"role": "user", "content": "hi"}]}


class FlakyStorage(InMemoryStorage):
    """Fails the first look at crons and the first claim of expired threads."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: list[str] = []

    def _fail_once(self, name: str) -> None:
        if name not in self.failed:
            self.failed.append(name)
            raise ConnectionError(f"{name}: the database went away")

    async def search_crons(self, query: Query) -> Page:
        self._fail_once("search_crons")
        return await super().search_crons(query)

    async def claim_expired_threads(
        self, now: datetime, retry_at: datetime, limit: int
    ) -> list[tuple[str, Any]]:
        self._fail_once("claim_expired_threads")
        return await super().claim_expired_threads(now, retry_at, limit)


@contextlib.asynccontextmanager
async def _served(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as http,
    ):
        yield http


async def _until(check: Any) -> bool:
    deadline = asyncio.get_running_loop().time() + 30
    while asyncio.get_running_loop().time() < deadline:
        if await check():
            return True
        await asyncio.sleep(0.02)  # the loops run on their own schedule
    return False


@pytest.mark.asyncio
async def test_loops_survive_a_failed_storage_call(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_scheduler, "RETRY_SECONDS", 0.01)
    monkeypatch.setattr(_thread_ttl, "RETRY_SECONDS", 0.01)
    now = [T0]
    storage = FlakyStorage()
    app = create_app({"agent": agent}, storage=storage, clock=lambda: now[0])
    async with _served(app) as http:
        tid = (await http.post("/threads", json={"ttl": 1})).json()["thread_id"]
        other = (await http.post("/threads", json={})).json()["thread_id"]
        body = {"assistant_id": "agent", "schedule": "* * * * *", "input": HI}
        await http.post(f"/threads/{other}/runs/crons", json=body)
        now[0] = T0 + timedelta(minutes=2)
        app.state.stategraph.crons.wake()
        app.state.stategraph.sweeper.wake()

        async def fired() -> bool:
            runs = (await http.get(f"/threads/{other}/runs")).json()
            return len(runs) == 1

        async def expired() -> bool:
            return (await http.get(f"/threads/{tid}")).status_code == 404

        assert await _until(fired)
        assert await _until(expired)
    assert storage.failed == ["search_crons", "claim_expired_threads"]
    assert "looking at the crons failed" in caplog.text
    assert "sweeping expired threads failed" in caplog.text
