"""Our server's transcripts equal those recorded from LangGraph's ``langgraph dev``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _server_scenarios import GOLDEN, record

GOLDEN_TRANSCRIPT: dict[str, Any] = json.loads(GOLDEN.read_text())


@pytest.fixture(scope="module")
def ours(url: str) -> dict[str, Any]:
    import asyncio

    return asyncio.run(record(url))


@pytest.mark.parametrize("scenario", sorted(GOLDEN_TRANSCRIPT))
def test_same_transcript_as_langgraph_dev(ours: dict[str, Any], scenario: str) -> None:
    assert ours[scenario] == GOLDEN_TRANSCRIPT[scenario]
