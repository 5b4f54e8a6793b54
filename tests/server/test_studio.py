"""The Studio in a real browser against a live server: graph, runs, HITL, history."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _server_graphs import Gate, talker
from _studio_browser import launch_browser, open_studio
from playwright.sync_api import expect

from conftest import serve
from stategraph.server import create_app
from stategraph.server._registry import system_assistant_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any, url: str) -> Iterator[Any]:
    with open_studio(browser, url) as page:
        yield page


def pick(page: Any, graph_id: str) -> None:
    assistant_id = system_assistant_id(graph_id)
    if page.get_attribute("body", "data-assistant") == assistant_id:
        return  # selecting it again would reload it (and reset the input) later
    page.select_option("#assistant-select", value=assistant_id)
    page.wait_for_selector(f"body[data-assistant='{assistant_id}']")


def run_with(page: Any, value: Any) -> None:
    page.fill("#run-input", json.dumps(value))
    page.click("#run")


def node_names(page: Any) -> list[str]:
    names = page.eval_on_selector_all(
        "#graph svg g.node", "nodes => nodes.map(n => n.dataset.node)"
    )
    return sorted(names)


def test_graph_renders_with_its_nodes_and_xray_shows_subgraph_nodes(page: Any) -> None:
    pick(page, "agent")
    assert node_names(page) == sorted(
        ["__start__", "hold", "chat", "sub", "review", "__end__"]
    )
    page.check("#xray")
    expect(page.locator("#graph g.node[data-node='sub:inner']")).to_be_visible()
    page.uncheck("#xray")
    expect(page.locator("#graph g.node[data-node='sub']")).to_be_visible()


def test_run_streams_updates_to_the_log_and_shows_the_final_state(page: Any) -> None:
    pick(page, "agent")
    run_with(page, {"messages": [{"role": "user", "content": "hi"}]})
    log = page.locator("#event-log")
    expect(
        log.locator("li[data-mode='updates']").filter(has_text="chat:")
    ).to_have_count(1)
    expect(log.locator("li[data-mode='custom']").first).to_contain_text("progress")
    expect(page.locator("#status")).to_have_text("Run finished")
    expect(page.locator("#graph g.node[data-node='chat']")).to_have_class(
        re.compile("done")
    )
    page.click(".tabs button[data-tab='state']")
    values = page.locator("#state-values")
    expect(values).to_contain_text('"Hello"')
    expect(values).to_contain_text('"chat"')
    expect(page.locator("#state-status")).to_have_text("idle")
    thread_id = page.locator("#state-thread").inner_text()
    expect(
        page.locator(f"#thread-list li[data-thread-id='{thread_id}']")
    ).to_be_visible()


def test_interrupt_is_shown_and_resuming_completes_the_run(page: Any, url: str) -> None:
    pick(page, "agent")
    run_with(page, {"messages": [], "need_review": True})
    panel = page.locator("#interrupt-panel")
    expect(panel).to_contain_text("ok?")
    expect(page.locator("#state-status")).to_have_text("interrupted")
    expect(page.locator("#graph g.node[data-node='review']")).to_have_class(
        re.compile("interrupted")
    )
    page.fill("#resume-value", "not json")
    page.click("#resume")
    expect(page.locator("#resume-error")).to_contain_text("Invalid JSON")
    page.fill("#resume-value", '"yes"')
    page.click("#resume")
    expect(panel).to_be_hidden()
    expect(page.locator("#state-status")).to_have_text("idle")
    expect(page.locator("#state-values")).to_contain_text('"review:yes"')
    thread_id = page.locator("#state-thread").inner_text()
    state = httpx.get(f"{url}/threads/{thread_id}/state").json()
    assert state["values"]["log"] == ["chat", "review:yes"]


def test_history_lists_checkpoints_and_forking_an_earlier_one_changes_state(
    page: Any, url: str
) -> None:
    pick(page, "agent")
    run_with(page, {"messages": []})
    expect(page.locator("#status")).to_have_text("Run finished")
    page.click(".tabs button[data-tab='history']")
    checkpoints = page.locator("#history-list li.checkpoint")
    expect(checkpoints).to_have_count(6)  # input, hold, chat, sub, review, final
    page.click("#history-list li.checkpoint[data-step='1']")  # after hold, before chat
    expect(page.locator("#checkpoint-view")).to_contain_text("step 1")
    expect(page.locator("#graph g.node.next")).to_have_count(1)
    expect(page.locator("#graph g.node[data-node='chat']")).to_have_class(
        re.compile("next")
    )
    page.fill("#fork-values", json.dumps({"log": ["forked"]}))
    page.click("#fork")
    expect(page.locator("#status")).to_contain_text("Forked")
    expect(checkpoints).to_have_count(7)
    page.click(".tabs button[data-tab='state']")
    expect(page.locator("#state-values")).to_contain_text('"forked"')
    expect(page.locator("#state-next")).to_have_text("chat")
    thread_id = page.locator("#state-thread").inner_text()
    state = httpx.get(f"{url}/threads/{thread_id}/state").json()
    assert state["values"]["log"] == ["forked"]  # the chat write is gone
    assert state["next"] == ["chat"]


def test_replay_from_a_checkpoint_runs_again_from_there(page: Any, url: str) -> None:
    pick(page, "agent")
    run_with(page, {"messages": []})
    expect(page.locator("#status")).to_have_text("Run finished")
    page.click(".tabs button[data-tab='history']")
    page.click("#history-list li.checkpoint[data-step='1']")
    page.click("#replay")
    expect(page.locator("#status")).to_have_text("Run finished")
    thread_id = page.locator("#state-thread").inner_text()
    history = httpx.post(
        f"{url}/threads/{thread_id}/history", json={"limit": 50}
    ).json()
    assert history[0]["values"]["log"] == ["chat"]
    assert len(history) > 6  # the replayed steps were added


def test_bad_json_input_shows_an_error_and_sends_nothing(page: Any) -> None:
    pick(page, "agent")
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.fill("#run-input", '{"messages": [}')
    page.click("#run")
    expect(page.locator("#input-error")).to_contain_text("Invalid JSON")
    page.fill("#run-input", '{"need_review": "yes please"}')
    expect(page.locator("#input-error")).to_contain_text(
        '"need_review" must be boolean'
    )
    page.click("#run")
    page.fill("#run-input", '{"need_review": false}')
    expect(page.locator("#input-error")).to_be_hidden()
    assert not [u for u in sent if "/runs" in u]


def test_input_editor_is_prefilled_from_the_input_schema(page: Any) -> None:
    pick(page, "who")
    prefilled = json.loads(page.locator("#run-input").input_value())
    assert prefilled == {"seen": "", "model": ""}


def test_streamed_tokens_are_shown_as_they_arrive(page: Any) -> None:
    pick(page, "talk")
    run_with(page, {"messages": [{"role": "user", "content": "hi"}]})
    expect(page.locator("#messages .bubble .text")).to_have_text("Hello big world")
    tokens = page.locator("#event-log li[data-mode='messages']")
    assert tokens.count() >= 3  # one event per token


def test_breakpoint_pauses_before_a_node_and_continue_finishes(page: Any) -> None:
    pick(page, "agent")
    page.click("#breakpoints summary")
    page.check("#breakpoint-list input.bp-before[value='chat']")
    expect(page.locator("#graph g.node[data-node='chat']")).to_have_class(
        re.compile("bp-before")
    )
    run_with(page, {"messages": []})
    expect(page.locator("#interrupt-panel")).to_contain_text("Paused before chat")
    page.click("#breakpoint-list input.bp-before[value='chat']")  # clear it
    page.click("#continue")
    expect(page.locator("#interrupt-panel")).to_be_hidden()
    expect(page.locator("#state-values")).to_contain_text('"Hello"')


def test_cancel_stops_a_running_run(
    page: Any, url: str, gate: tuple[str, Gate]
) -> None:
    name, held = gate
    pick(page, "agent")
    run_with(page, {"messages": [], "gate": name})
    reached = held.entered.wait(60)
    assert reached, f"the run never reached the gate: {page.inner_text('#status')}"
    expect(page.locator("#graph g.node[data-node='hold']")).to_have_class(
        re.compile("running")
    )
    page.click("#cancel")
    expect(page.locator("#status")).to_have_text("Run cancelled")
    expect(page.locator("#run")).to_be_enabled()
    thread_id = page.locator("#state-thread").inner_text()
    runs = httpx.get(f"{url}/threads/{thread_id}/runs").json()
    assert [r["status"] for r in runs] == ["interrupted"]


def test_threads_are_created_searched_and_deleted(page: Any, url: str) -> None:
    pick(page, "memo")
    page.click("#new-thread")
    thread_id = page.locator("#state-thread").inner_text()
    item = page.locator(f"#thread-list li[data-thread-id='{thread_id}']")
    expect(item).to_be_visible()
    page.fill("#thread-search", "no-such-thread")
    expect(item).to_be_hidden()
    page.fill("#thread-search", thread_id[-6:])
    expect(item).to_be_visible()
    item.locator(".delete-thread").click()
    expect(item).to_have_count(0)
    assert httpx.get(f"{url}/threads/{thread_id}").status_code == 404


def test_assistant_editor_saves_a_version_with_new_context(page: Any, url: str) -> None:
    pick(page, "who")
    page.click(".tabs button[data-tab='assistant']")
    page.fill("#assistant-name", "who-ann")
    page.fill("#assistant-context", '{"user": ann}')
    page.click("#assistant-create")
    expect(page.locator("#assistant-error")).to_contain_text("Invalid JSON")
    page.fill("#assistant-context", '{"user": "ann"}')
    page.click("#assistant-create")
    expect(page.locator("#status")).to_contain_text("Created assistant")
    expect(page.locator("#assistant-version")).to_have_text("1")
    expect(page.locator("#assistant-select option:checked")).to_contain_text("who-ann")
    page.fill("#assistant-context", '{"user": "bob"}')
    page.click("#assistant-save")
    expect(page.locator("#assistant-version")).to_have_text("2")
    run_with(page, {})
    expect(page.locator("#status")).to_have_text("Run finished")
    page.click(".tabs button[data-tab='state']")
    expect(page.locator("#state-values")).to_contain_text('"bob"')


def test_assistant_editor_shows_the_config_schema_only_when_there_is_one(
    page: Any,
) -> None:
    # /schemas sends config_schema {} (as langgraph-api does) without a context.
    pick(page, "who")
    page.click(".tabs button[data-tab='assistant']")
    schema = page.locator("#tab-assistant details pre")
    expect(schema).to_contain_text('"user"')
    pick(page, "talk")
    page.click(".tabs button[data-tab='assistant']")
    expect(page.locator("#assistant-name")).to_have_value("talk")
    expect(page.locator("#tab-assistant details")).to_have_count(0)


def test_a_failing_node_is_reported_and_marked(page: Any) -> None:
    pick(page, "agent")
    page.fill("#run-input", json.dumps({"messages": [], "fail": True}))
    page.press("#run-input", "Control+Enter")
    expect(page.locator("#status")).to_contain_text("boom")
    expect(page.locator("#status")).to_have_class(re.compile("error"))
    expect(page.locator("#graph g.node[data-node='chat']")).to_have_class(
        re.compile("error")
    )
    expect(page.locator("#event-log li[data-mode='error']")).to_contain_text("boom")


def test_studio_drives_another_server_given_by_base_url(browser: Any, url: str) -> None:
    # This server's Studio calls the other server's API across origins (CORS).
    other = serve(create_app({"solo": talker}))
    api = next(other)
    try:
        with open_studio(browser, url, api=api) as page:
            expect(page.locator("#assistant-select option")).to_have_text(
                ["solo (solo)"]
            )
            assert node_names(page) == ["__end__", "__start__", "talk"]
            run_with(page, {"messages": [{"role": "user", "content": "hi"}]})
            expect(page.locator("#messages .bubble .text")).to_have_text(
                "Hello big world"
            )
    finally:
        other.close()


def test_extra_headers_are_kept_and_sent_with_every_request(page: Any) -> None:
    page.click("#headers-toggle")
    page.fill("#headers-json", "[1]")
    page.click("#headers-save")
    expect(page.locator("#headers-error")).to_contain_text("JSON object")
    page.fill("#headers-json", '{"Authorization": "Bearer studio-token"}')
    with page.expect_request("**/assistants/search") as searched:
        page.click("#headers-save")
    assert searched.value.headers["authorization"] == "Bearer studio-token"
    expect(page.locator("#headers-box")).to_be_hidden()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    with page.expect_request("**/runs/stream") as streamed:
        run_with(page, {})
    assert streamed.value.headers["authorization"] == "Bearer studio-token"
