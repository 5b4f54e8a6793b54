"""``/threads/{id}/history`` limits: LangGraph's server returns one state by default.

The SDK always sends a ``limit``, so the defaults are only reachable over raw
HTTP: ``GET`` without ``?limit`` and ``POST`` without (or with a null or zero)
``limit`` answer with the newest state alone, as langgraph-api 0.16 does
(``limit or 1`` on ``POST``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

HI = {"messages": [{"role": "user", "content": "hi"}]}


async def _thread_with_history(http: httpx.AsyncClient) -> str:
    tid = (await http.post("/threads", json={})).json()["thread_id"]
    for _ in range(2):
        body = {"assistant_id": "agent", "input": HI}
        response = await http.post(f"/threads/{tid}/runs/wait", json=body)
        assert response.status_code == 200
    return tid


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("GET", {}, 1),
        ("GET", {"params": {"limit": "3"}}, 3),
        ("POST", {}, 1),
        ("POST", {"json": {}}, 1),
        ("POST", {"json": {"limit": None}}, 1),
        ("POST", {"json": {"limit": 0}}, 1),
        ("POST", {"json": {"limit": 3}}, 3),
    ],
)
async def test_history_default_limit_is_one(
    url: str, method: str, args: dict[str, Any], expected: int
) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        tid = await _thread_with_history(http)
        everything = await http.post(f"/threads/{tid}/history", json={"limit": 100})
        assert len(everything.json()) > 3
        response = await http.request(method, f"/threads/{tid}/history", **args)
        assert response.status_code == 200
        states = response.json()
        assert len(states) == expected
        assert states[0]["checkpoint"] == everything.json()[0]["checkpoint"]
