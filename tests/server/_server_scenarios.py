"""Scenarios recorded against LangGraph's own server and replayed against ours.

``record(url)`` drives a server with the SDK and returns a normalised
transcript: ids, timestamps and server-specific metadata are replaced, so two
servers running the same graph give equal transcripts. ``golden/`` holds the
transcript of ``langgraph dev`` (langgraph-api 0.16.7, langgraph 1.2.24)
serving ``_server_graphs.py`` with ``langgraph`` imports; re-record it with
``python tests/server/_server_scenarios.py http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_client

GOLDEN = Path(__file__).parent / "golden" / "langgraph_dev.json"
HI = {"messages": [{"role": "user", "content": "hi"}]}

# Keys only LangGraph's server adds (deployment info, auth, request bookkeeping).
_SERVER_KEYS = {
    "langgraph_api_url",
    "langgraph_api_version",
    "langgraph_host",
    "langgraph_plan",
    "langgraph_version",
    "langgraph_request_id",
    "langgraph_auth_user",
    "langgraph_auth_user_id",
    "langgraph_auth_permissions",
    "user_id",
    "__after_seconds__",
    "__request_start_time_ms__",
    "__pregel_node_finished",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX32 = re.compile(r"\b[0-9a-f]{32}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(\+00:00|Z)")


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        is_checkpoint_metadata = "source" in value and "step" in value
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in _SERVER_KEYS
            # LangGraph's server also records thread_id in checkpoint metadata.
            and not (is_checkpoint_metadata and k == "thread_id")
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def normalise(value: Any) -> Any:
    """``value`` with ids, timestamps and server-only keys replaced or dropped."""
    text = json.dumps(_strip(value), sort_keys=True)
    text = _UUID.sub("<uuid>", text)
    text = _HEX32.sub("<id>", text)
    text = _TIME.sub("<time>", text)
    return json.loads(text)


async def _stream(
    client: Any, thread_id: str | None, graph: str = "agent", **kwargs: Any
) -> list[Any]:
    parts = [p async for p in client.runs.stream(thread_id, graph, **kwargs)]
    return [[p.event.split("|")[0], "|" in p.event, normalise(p.data)] for p in parts]


async def _state(client: Any, tid: str) -> dict[str, Any]:
    thread = await client.threads.get(tid)
    return {
        "state": normalise(await client.threads.get_state(tid)),
        "history": normalise(await client.threads.get_history(tid, limit=20)),
        "thread": normalise(
            {k: thread[k] for k in ("status", "values", "metadata", "interrupts")}
        ),
    }


async def _errors(url: str, tid: str) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=url) as http:
        cases = {
            "unknown assistant uuid": http.get(f"/threads/{tid}/runs/{tid}"),
            "bad assistant": http.post(
                f"/threads/{tid}/runs", json={"assistant_id": "nope", "input": {}}
            ),
            "malformed json": http.post(
                "/threads", content=b"{", headers={"content-type": "application/json"}
            ),
            "bad stream mode": http.post(
                f"/threads/{tid}/runs",
                json={"assistant_id": "agent", "input": {}, "stream_mode": "x"},
            ),
            "unknown thread": http.post(
                "/threads/00000000-0000-0000-0000-000000000000/runs",
                json={"assistant_id": "agent", "input": {}},
            ),
            "duplicate thread": http.post("/threads", json={"thread_id": tid}),
            "missing run": http.get(
                f"/threads/{tid}/runs/00000000-0000-0000-0000-000000000000"
            ),
        }
        return {name: (await call).status_code for name, call in cases.items()}


def _keys(record: Any) -> list[str]:
    return sorted(record)


async def _shapes(client: Any, url: str) -> dict[str, Any]:
    """The keys of each record type, and status codes of lifecycle calls."""
    thread = await client.threads.create(metadata={"k": 1})
    tid = thread["thread_id"]
    run = await client.runs.create(tid, "agent", input=HI)
    await client.runs.join(tid, run["run_id"])
    stored = await client.runs.get(tid, run["run_id"])
    state = await client.threads.get_state(tid)
    assistants = await client.assistants.search(graph_id="agent")
    cron = await client.crons.create_for_thread(
        tid, "agent", schedule="*/5 * * * *", input=HI
    )
    await client.crons.delete(cron["cron_id"])
    async with httpx.AsyncClient(base_url=url) as http:
        codes = {
            "cancel finished run": (
                await http.post(f"/threads/{tid}/runs/{run['run_id']}/cancel")
            ).status_code,
            "delete run": (
                await http.delete(f"/threads/{tid}/runs/{run['run_id']}")
            ).status_code,
            "patch thread": (
                await http.patch(f"/threads/{tid}", json={"metadata": {"j": 2}})
            ).status_code,
            "delete thread": (await http.delete(f"/threads/{tid}")).status_code,
            "get deleted thread": (await http.get(f"/threads/{tid}")).status_code,
        }
    return {
        "thread": _keys(thread),
        # LangSmith's tracing session name is no part of an open server.
        "run": [k for k in _keys(run) if k != "langsmith_session_name"],
        "run_kwargs": _keys(stored["kwargs"]),
        "run_status": stored["status"],
        "run_metadata": normalise(stored["metadata"]),
        "assistant": _keys(assistants[0]),
        "cron": _keys(cron),
        "cron_payload": normalise(cron["payload"]),
        "cron_completion": cron["on_run_completed"],
        "state": _keys(state),
        "task": _keys((await _task_state(client))["tasks"][0]),
        "codes": codes,
    }


async def _task_state(client: Any) -> Any:
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "agent", input={**HI, "need_review": True})
    return await client.threads.get_state(tid)


async def _double_texting(url: str) -> dict[str, Any]:
    """Each multitask strategy against a run held ``pending`` by ``after_seconds``."""
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for strategy in ("reject", "interrupt", "rollback", "enqueue"):
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            runs = f"/threads/{tid}/runs"
            first = await http.post(
                runs, json={"assistant_id": "agent", "input": HI, "after_seconds": 1}
            )
            second = await http.post(
                runs,
                json={
                    "assistant_id": "agent",
                    "input": {"log": ["second"]},
                    "multitask_strategy": strategy,
                },
            )
            if second.status_code == 200:
                await http.get(f"{runs}/{second.json()['run_id']}/join")
            await http.get(f"{runs}/{first.json()['run_id']}/join")
            listed = (await http.get(runs)).json()
            state = (await http.get(f"/threads/{tid}/state")).json()
            out[strategy] = {
                "second": second.status_code,
                "statuses": sorted(r["status"] for r in listed),
                "log": state["values"].get("log"),
            }
    return out


async def record(url: str) -> dict[str, Any]:
    """Run every scenario against the server at ``url``."""
    client = get_client(url=url, api_key=None)
    out: dict[str, Any] = {}
    try:
        tid = (await client.threads.create())["thread_id"]
        out["chat"] = await _stream(
            client,
            tid,
            input=HI,
            stream_mode=["values", "updates", "messages-tuple", "custom"],
            stream_subgraphs=True,
        )
        out["chat_state"] = await _state(client, tid)
        await client.threads.update_state(tid, {"log": ["patched"]}, as_node="chat")
        out["updated_state"] = await _state(client, tid)
        tid = (await client.threads.create())["thread_id"]
        out["interrupt"] = await _stream(
            client,
            tid,
            input={**HI, "need_review": True},
            stream_mode=["values", "updates", "tasks"],
        )
        out["interrupt_state"] = await _state(client, tid)
        resumed = await client.runs.wait(tid, "agent", command={"resume": "yes"})
        out["resumed"] = normalise(resumed)
        out["resumed_state"] = await _state(client, tid)
        tid = (await client.threads.create())["thread_id"]
        out["breakpoint"] = await _stream(
            client,
            tid,
            input=HI,
            stream_mode=["updates", "checkpoints", "debug"],
            interrupt_before=["chat"],
        )
        out["breakpoint_state"] = await _state(client, tid)
        out["error"] = await _stream(client, tid, input={"fail": True})
        out["error_state"] = await _state(client, tid)
        out["stateless"] = normalise(await client.runs.wait(None, "agent", input=HI))
        out["legacy_messages"] = await _stream(
            client, None, input=HI, stream_mode="messages"
        )
        out["tokens"] = await _stream(
            client,
            None,
            "talk",
            input=HI,
            stream_mode=["messages-tuple", "messages", "values"],
        )
        out["tokens_legacy"] = await _stream(
            client, None, "talk", input=HI, stream_mode="messages"
        )
        out["errors"] = await _errors(url, tid)
        out["shapes"] = await _shapes(client, url)
        out["double_texting"] = await _double_texting(url)
    finally:
        await client.http.client.aclose()
    return out


if __name__ == "__main__":
    transcript = asyncio.run(record(sys.argv[1]))
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(transcript, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
