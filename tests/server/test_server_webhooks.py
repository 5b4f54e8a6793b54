"""Webhooks: a finished run is POSTed to the URL it was created with."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import HI, serve
from stategraph.server import _webhooks

pytestmark = pytest.mark.asyncio


def _receiver() -> tuple[Starlette, list[Any], threading.Event]:
    received: list[Any] = []
    arrived = threading.Event()

    async def hook(request: Request) -> Response:
        received.append(await request.json())
        arrived.set()
        return Response(status_code=204)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])]), received, arrived


async def test_finished_runs_are_posted(url: str) -> None:
    app, received, arrived = _receiver()
    receiver = serve(app)
    hook_url = next(receiver) + "/hook"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": "agent", "input": HI, "webhook": hook_url}
            await http.post(f"/threads/{tid}/runs/wait", json=body)
            assert await asyncio.to_thread(arrived.wait, 30)
            bad = await http.post(
                f"/threads/{tid}/runs", json={**body, "webhook": "ftp://x"}
            )
    finally:
        receiver.close()
    sent = received[0]
    assert sent["status"] == "success"
    assert sent["thread_id"] == tid
    assert sent["values"]["log"] == ["chat"]
    assert sent["kwargs"]["webhook"] == hook_url
    assert sent["run_started_at"] <= sent["run_ended_at"]
    assert bad.status_code == 422


async def test_a_path_is_delivered_to_the_app_itself() -> None:
    app, received, _ = _receiver()
    await _webhooks._deliver(SimpleNamespace(app=app), "/hook", {"run_id": "r1"})  # type: ignore[arg-type]
    assert received == [{"run_id": "r1"}]
