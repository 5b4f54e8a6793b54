"""``/schemas``, ``/graph`` and ``/subgraphs`` answer what ``langgraph dev`` answers.

The graphs of ``_schema_graphs.py`` are served by our app and their answers
compared with those recorded from LangGraph's server (message states,
TypedDict, pydantic and dataclass states, input/output and context schemas,
private channels, a subgraph).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from _schema_graphs import GOLDEN, GRAPHS, record

from conftest import serve
from stategraph.server import create_app

GOLDEN_ANSWERS: dict[str, Any] = json.loads(GOLDEN.read_text())


@pytest.fixture(scope="module")
def ours() -> Iterator[dict[str, Any]]:
    for url in serve(create_app(GRAPHS)):
        yield record(url)


@pytest.mark.parametrize("graph_id", list(GRAPHS))
@pytest.mark.parametrize("answer", ["schemas", "graph", "graph_xray", "subgraphs"])
def test_same_answer_as_langgraph_dev(
    ours: dict[str, Any], graph_id: str, answer: str
) -> None:
    # As text, so key order (which Studio shows fields in) counts too.
    expected = GOLDEN_ANSWERS[graph_id][answer]
    assert json.dumps(ours[graph_id][answer]) == json.dumps(expected)


@pytest.mark.parametrize("query", sorted(GOLDEN_ANSWERS["queries"]))
def test_query_parsing_as_langgraph_dev(ours: dict[str, Any], query: str) -> None:
    # xray/recurse values: status and body, errors included.
    expected = GOLDEN_ANSWERS["queries"][query]
    assert json.dumps(ours["queries"][query]) == json.dumps(expected)


def test_same_definitions_as_langgraph_dev(ours: dict[str, Any]) -> None:
    assert json.dumps(ours["$defs"]) == json.dumps(GOLDEN_ANSWERS["$defs"])


def test_messages_state_items_are_langchain_messages(ours: dict[str, Any]) -> None:
    schemas = ours["messages"]["schemas"]
    for key in ("input_schema", "output_schema", "state_schema"):
        messages = schemas[key]["properties"]["messages"]
        refs = [item["$ref"] for item in messages["items"]["oneOf"]]
        assert refs[:3] == [
            "#/$defs/AIMessage",
            "#/$defs/HumanMessage",
            "#/$defs/ChatMessage",
        ]
        assert "ToolMessage" in schemas[key]["$defs"]
    assert schemas["state_schema"]["title"] == "messages_state"
    human = ours["$defs"]["HumanMessage"]
    assert human["properties"]["type"] == {
        "const": "human",
        "default": "human",
        "title": "Type",
        "type": "string",
    }


def test_config_schema_hides_server_keys(ours: dict[str, Any]) -> None:
    schemas = ours["ctxtd"]["schemas"]
    assert list(schemas["config_schema"]["properties"]) == ["user_id"]
    assert list(schemas["context_schema"]["properties"]) == ["user_id", "thread_id"]
    assert ours["messages"]["schemas"]["config_schema"] == {}
