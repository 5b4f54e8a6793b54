"""The JavaScript SDK (``@langchain/langgraph-sdk``) against the server.

Each test runs a node script from ``tests/server/js`` that calls the server
the way agent-chat-ui does, with the SDK version agent-chat-ui's lock pins and
the latest 1.x, and asserts on the JSON it prints.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import _node
import pytest
from _js_graphs import serve_graphs
from _node import SDKS, require_node, run_script, websocket_options
from _server_graphs import GATES, Gate


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    yield from serve_graphs()


@pytest.fixture(params=list(SDKS))
def sdk(request: pytest.FixtureRequest) -> str:
    return SDKS[request.param]


@pytest.fixture
def gates() -> Iterator[list[str]]:
    """Gates the ``hold`` node waits on, released by a script's pauses."""
    names = [uuid.uuid4().hex for _ in range(4)]
    for name in names:
        GATES[name] = Gate()
    try:
        yield names
    finally:
        for name in names:
            held = GATES.pop(name)
            if held.entered.is_set():
                held.release()


def release(message: dict[str, Any]) -> None:
    """Answer a ``{"pause": "release", "gate": name}`` line: let the run go on."""
    assert message["pause"] == "release"
    GATES[message["gate"]].release()


def held(message: dict[str, Any]) -> None:
    """Answer ``entered`` (the run waits at its gate) and ``release`` pauses."""
    if message["pause"] == "entered":
        gate = GATES[message["gate"]]
        assert gate.entered.wait(30), "the held run never reached its gate"
    else:
        release(message)


def test_client_calls(url: str, sdk: str) -> None:
    owner = uuid.uuid4().hex
    out = run_script("client.mjs", {"url": url, "sdk": sdk, "owner": owner})
    assert out["assistants"] == {
        "found": ["agent"],
        "graph_id": "agent",
        "nodes": ["__end__", "__start__", "chat", "hold", "review", "sub:inner"],
        "state_keys": ["fail", "fail_slowly", "gate", "log", "messages", "need_review"],
    }
    assert out["threads"] == {
        "wait": ["human:hi", "ai:Hello", "ai:from inner"],
        "listed": [True],
        "status": "idle",
        "metadata": {"graph_id": "agent", "owner": owner},
        "next": [],
        "parent": True,
        "history": [4, 3, 2, 1, 0, -1],
        "limited": 2,
    }
    assert out["runs"] == {
        "joined": 5,
        "listed": ["success", "success"],
        "got": "success",
        "cancel_done": 404,
        "missing": 404,
    }
    assert out["store"] == {
        "item": [["js", owner], "a", {"text": "apples", "n": 1}],
        "searched": ["b"],
        "spaces": True,
        "deleted": None,
    }


def test_stream_modes_and_subgraphs(url: str, sdk: str) -> None:
    out = run_script("stream.mjs", {"url": url, "sdk": sdk})
    sub = "|sub:<task>"
    assert out["events"] == [
        "metadata",
        *["values", "updates", "values", "custom", "messages", "updates", "values"],
        *[f"{mode}{sub}" for mode in ["values", "custom", "messages", "updates"]],
        f"values{sub}",
        *["updates", "values", "updates"],
    ]
    assert out["run_id"] is True
    assert out["custom"] == [{"progress": 1}, {"inner": True}]
    assert out["updates"] == [["hold"], ["chat"], ["sub"], ["review"]]
    assert out["tuples"] == [["ai", "Hello", "chat"], ["ai", "from inner", "inner"]]
    assert out["last"] == ["hi", "Hello", "from inner"]
    assert out["tokens"] == ["Hello", " ", "big", " ", "world"]
    assert out["token_types"] == ["AIMessageChunk"]
    assert out["token_ids"] == 1
    assert out["token_node"] == ["talk"]


def test_thread_stream_over_sse_and_websocket(url: str, gates: list[str]) -> None:
    # ``client.threads.stream`` (the v3 protocol) is in the latest SDK only.
    args = {"url": url, "sdk": SDKS["1.15"], "gates": gates}
    out = run_script(
        "thread_stream.mjs", args, release, node_options=websocket_options()
    )
    # A model streamed under the protocol ends with content blocks.
    blocks = [{"type": "text", "text": "Hello big world", "index": 0}]
    expected = {"texts": ["Hello big world"], "last": blocks}
    assert out == {"sse": expected, "websocket": expected}


def test_resumable_stream_rejoined_and_replayed(
    url: str, sdk: str, gates: list[str]
) -> None:
    out = run_script("resumable.mjs", {"url": url, "sdk": sdk, "gates": gates}, release)
    events = [
        "metadata",
        *["values", "updates", "values", "updates", "values", "updates"],
        *["values", "updates"],
    ]
    full = [[str(i), event] for i, event in enumerate(events)]
    assert out["before"] == full[:2]
    assert out["after"] == full[2:]
    assert out["replay"] == full
    assert out["final"] == ["hi", "Hello", "from inner"]
    # The SDK's own reconnect: cut after the first values frame, resumed from it.
    ids = [str(i) for i in range(len(events))]
    assert out["healed"] == {
        "events": events,
        "ids": ids,
        "requests": [
            ["POST", "/threads/<id>/runs/stream", None],
            ["GET", "/threads/<id>/runs/<id>/stream", "1"],
        ],
    }
    assert out["rejoined"] == {
        "events": events,
        "ids": ids,
        "requests": [
            ["GET", "/threads/<id>/runs/<id>/stream", "-1"],
            ["GET", "/threads/<id>/runs/<id>/stream", "1"],
        ],
    }


def test_interrupt_and_resume(url: str, sdk: str) -> None:
    out = run_script("interrupts.mjs", {"url": url, "sdk": sdk})
    question = {"question": "ok?"}
    [found] = out["stream_interrupt"]
    assert found["value"] == question
    assert found["response_schema"] is None
    assert out["update_interrupt"] == out["stream_interrupt"]
    assert out["thread"] == ["interrupted", [{"value": question, "id": found["id"]}]]
    assert out["task_id"] is True
    assert out["state"] == {
        "next": ["review"],
        "tasks": [["review", [question]]],
        "interrupts": [question],
    }
    assert out["resumed_log"] == ["chat", "review:yes"]
    assert out["resumed_interrupt"] is None
    assert out["after"] == ["idle", {}]
    assert out["waited_log"] == ["chat", "review:yes", "chat", "review:sure"]


def test_multitask_strategies_and_cancel(url: str, sdk: str, gates: list[str]) -> None:
    out = run_script("multitask.mjs", {"url": url, "sdk": sdk, "gates": gates}, held)
    hello = ["hi", "Hello", "from inner"]
    assert out == {
        "reject": 409,
        "busy": "busy",
        "queued": "pending",
        "enqueue": ["success", "success", 5],
        # The interrupted run had saved its input: both "hi"s stay.
        "interrupt": ["ok", "interrupted", ["hi", *hello]],
        "rollback": [404, None, hello],
        "cancel": ["interrupted", "interrupted"],
    }


def test_use_stream_hook_chat(url: str, sdk: str) -> None:
    out = run_script("hook.mjs", {"url": url, "sdk": sdk, "scenario": "chat"})
    chat = ["human:hi", "ai:Hello", "ai:from inner"]
    assert out["first"] == {
        "thread": True,
        "messages": chat,
        "optimistic": True,
        "custom": [{"progress": 1}, {"inner": True}],
        "values": ["gate", "log", "messages"],
        "history": 6,
        "error": None,
        "interrupt": None,
    }
    assert out["reloaded"] == chat
    assert out["listed"] is True


def test_use_stream_hook_tokens_and_branches(
    url: str, sdk: str, gates: list[str]
) -> None:
    out = run_script(
        "hook.mjs",
        {"url": url, "sdk": sdk, "scenario": "branches", "gates": gates},
        release,
    )
    assert out == {
        "typing": [True, ["human:hi", "ai:Hello"]],
        "messages": ["human:hi", "ai:Hello big world"],
        "branches": 2,
        "branch": True,
        "switched": True,
    }


def test_use_stream_hook_interrupts(url: str, sdk: str) -> None:
    out = run_script("hook.mjs", {"url": url, "sdk": sdk, "scenario": "interrupts"})
    assert out == {
        "asked": [{"question": "ok?"}, "string"],
        "resumed": {"interrupt": None, "log": ["chat", "review:approved"]},
        "reloaded": {"question": "ok?"},
    }


def test_use_stream_hook_reconnects_on_mount(
    url: str, sdk: str, gates: list[str]
) -> None:
    args = {"url": url, "sdk": sdk, "scenario": "reconnect", "gates": gates}
    out = run_script("hook.mjs", args, held)
    assert out == {
        "stored": [True],
        "rejoined": {"messages": ["human:hi", "ai:Hello", "ai:from inner"], "kept": []},
        "stopped": ["interrupted", []],
    }


def test_use_stream_hook_failure(url: str, sdk: str) -> None:
    out = run_script("hook.mjs", {"url": url, "sdk": sdk, "scenario": "failure"})
    assert out == {
        "error": ["ValueError", "boom"],
        "values": [True, ["human:hi"]],
    }


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_node_fails_under_ci_and_skips_locally(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(_node, "NODE", "")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"^node is missing: install Node 20"):
        require_node()
