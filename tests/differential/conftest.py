"""Differential tests: the same programs on langgraph and on the library under test.

Environment:

- ``SG_DIFF_LIB``: top-level package under test (default ``stategraph``);
  ``SG_DIFF_LIB=langgraph`` runs the reference against itself, which must
  always agree (the harness's self-check).
- ``SG_DIFF_CASES``: scale factor for the number of random cases (default 1
  for a fast library under test, 0.2 for the self-check, whose both sides are
  slow).  ``SG_DIFF_CASES=3`` triples them.
- ``SG_DIFF_SUT_MAX_CONCURRENCY``: ``max_concurrency`` passed to the library
  under test (default ``1``, as for the reference; empty: not passed).
- ``SG_DIFF_REQUIRE=1``: fail instead of skipping when a library is missing.

- ``SG_DIFF_SEEDS=3,17``: run exactly these seeds of the random tests (sync
  and async); every failure message prints the command that re-runs it.
- ``SG_DIFF_MAX_LINES``: length of the diff shown on a mismatch (default 80).

When langgraph (the reference, a dev dependency) or ``<SG_DIFF_LIB>.graph`` is
not importable, the tests of this directory are skipped with the reason.

Layout: ``_lib`` loads a library by name, ``_gen`` draws and builds random
graphs, ``_harness`` drives both libraries and compares their recordings,
``_norm`` turns observations into plain data with stable id placeholders,
``_canon`` orders the chunks of racy (eager sync) streams canonically.
"""

from __future__ import annotations

import importlib
import os
import pathlib

import pytest
from _harness import Driver
from _lib import REFERENCE, sut_name

_HERE = pathlib.Path(__file__).parent


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Driver:
    """Drives a graph through its sync or its async API."""
    return Driver(request.param)


@pytest.fixture(autouse=True)
def _reference_checkpoints_are_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the reference's barrier and accumulating-topic checkpoints copies.

    LangGraph saves checkpoints in a background thread (durability "async")
    and these channels return their live ``set``/``list`` from
    ``checkpoint()``; the next step mutates it in place before the saver
    serializes it, so a saved checkpoint can show a later step's barrier
    (seen with ``max_concurrency=1``: history lists a node as ``next`` that
    was not). That is a LangGraph race, not behaviour to reproduce; copying
    in ``checkpoint()`` removes it without changing anything else. Scoped to
    these tests: the channel tests compare the aliasing itself.
    """
    try:
        from langgraph.channels import named_barrier_value as nbv, topic
    except ImportError:
        return
    monkeypatch.setattr(
        nbv.NamedBarrierValue, "checkpoint", lambda self: set(self.seen)
    )
    monkeypatch.setattr(
        nbv.NamedBarrierValueAfterFinish,
        "checkpoint",
        lambda self: (set(self.seen), self.finished),
    )
    monkeypatch.setattr(topic.Topic, "checkpoint", lambda self: list(self.values))


def _missing() -> str | None:
    for name in (REFERENCE, sut_name()):
        try:
            importlib.import_module(f"{name}.graph")
        except ImportError as e:
            return f"{name}.graph is not importable ({e})"
    return None


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("SG_DIFF_REQUIRE") == "1" or os.environ.get("CI") == "true":
        raise pytest.UsageError(f"differential tests: {reason}")
    mark = pytest.mark.skip(reason=f"differential tests: {reason}")
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(mark)
