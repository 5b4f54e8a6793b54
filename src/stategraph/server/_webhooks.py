"""Webhooks: POST a finished run to the URL it was created with.

The body is the run record plus ``status``, ``run_started_at``,
``run_ended_at``, ``webhook_sent_at``, the thread's ``values`` and, for
failed runs, ``error``. A path starting with ``/`` is delivered to this app
in process. Delivery happens in the background and failures are logged, never
raised: a webhook must not change how a run ended.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from stategraph.server import _json
from stategraph.server._context import ServerContext, now
from stategraph.server._run_request import public_run

logger = logging.getLogger("stategraph.server")

_pending: set[asyncio.Task[None]] = set()


def send_webhook(
    ctx: ServerContext,
    run: dict[str, Any],
    *,
    started_at: str | None,
    values: Any,
    error: dict[str, str] | None,
) -> None:
    """Deliver ``run``'s webhook in the background (if it has one)."""
    url = run["kwargs"].get("webhook")
    if not url:
        return
    if not ctx.webhooks:  # ``http.disable_webhooks``, as LangGraph's server
        logger.info("webhooks are disabled: not calling %s", url)
        return
    body = {
        **public_run(run),
        "run_started_at": started_at,
        "run_ended_at": now(),
        "webhook_sent_at": now(),
        "values": values,
    }
    if error is not None:
        body["error"] = error
    task = asyncio.get_running_loop().create_task(_deliver(ctx, url, body))
    _pending.add(task)
    task.add_done_callback(_pending.discard)


async def _deliver(ctx: ServerContext, url: str, body: dict[str, Any]) -> None:
    import httpx

    if url.startswith("/"):
        if ctx.app is None:
            logger.warning("webhook %s: no app to deliver a relative path to", url)
            return
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=ctx.app), base_url="http://webhook"
        )
    else:
        client = httpx.AsyncClient()
    async with client:
        try:
            response = await client.post(
                url,
                content=_json.dumps(body),
                headers={"content-type": "application/json"},
                timeout=30,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            logger.warning("webhook %s of run %s failed: %s", url, body["run_id"], exc)
