"""Fixtures of the v3 stream tests: a recorder run on langgraph and stategraph.

Each test builds the same program with both libraries, drives
``stream_events(version="v3")`` through the sync or the async API (the
``v3`` fixture) and compares what a user observes, after replacing ids and
timestamps by placeholders (the differential harness's ``Normalizer``).
"""

from __future__ import annotations

import pathlib
import sys

import pytest

# Reuse the differential harness's library loader and normaliser.
sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "differential"))

from _v3 import V3


@pytest.fixture(params=["sync", "async"])
def v3(request: pytest.FixtureRequest) -> V3:
    """Drives v3 runs through the sync or the async API."""
    return V3(request.param)
