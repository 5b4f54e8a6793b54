"""``stategraph.checkpoint.conformance``: LangGraph's conformance API over our suite."""

from __future__ import annotations

import importlib
from collections.abc import AsyncGenerator
from typing import Any

import pytest

import stategraph.checkpoint.conformance as conformance
from stategraph.checkpoint.conformance import checkpointer_test, validate
from stategraph.checkpoint.conformance.capabilities import (
    ALL_CAPABILITIES,
    BASE_CAPABILITIES,
    Capability,
)
from stategraph.checkpoint.conformance.report import ProgressCallbacks
from stategraph.checkpoint.memory import InMemorySaver
from stategraph.checkpoint.sqlite import SqliteSaver

NAMES = {c.value for c in Capability}


@checkpointer_test(name="InMemorySaver")
async def memory() -> AsyncGenerator[InMemorySaver, None]:
    yield InMemorySaver()


class LosesWrites(InMemorySaver):
    """Broken on purpose: pending writes are never returned."""

    def get_tuple(self, config: Any) -> Any:
        found = super().get_tuple(config)
        return found._replace(pending_writes=[]) if found else None


def test_capabilities_match_langgraphs() -> None:
    expected = {
        "put", "put_writes", "get_tuple", "list", "delete_thread",
        "delete_for_runs", "copy_thread", "prune", "delta_channel_history",
    }  # fmt: skip
    assert expected == NAMES
    assert {c.value for c in BASE_CAPABILITIES} == {
        "put", "put_writes", "get_tuple", "list", "delete_thread",
    }  # fmt: skip
    assert set(ALL_CAPABILITIES) == set(Capability)


@pytest.mark.asyncio
async def test_memory_saver_is_fully_conformant() -> None:
    report = await validate(memory)
    assert set(report.results) == NAMES
    assert report.passed_all_base()
    assert report.conformance_level() == "FULL", report.to_dict()
    for result in report.results.values():
        assert result.detected
        assert result.passed is True
        assert result.tests_passed > 0
        assert result.failures == []


@pytest.mark.asyncio
async def test_broken_saver_fails_with_named_cases() -> None:
    made: list[str] = []
    steps: list[str] = []

    async def lifespan() -> AsyncGenerator[None, None]:
        steps.append("start")
        yield
        steps.append("stop")

    @checkpointer_test(name="broken", skip_capabilities={"prune"}, lifespan=lifespan)
    async def broken() -> AsyncGenerator[InMemorySaver, None]:
        made.append("saver")
        yield LosesWrites()
        made.append("closed")

    seen: list[tuple[str, bool]] = []
    progress = ProgressCallbacks(
        on_test_result=lambda cap, case, ok, error: seen.append((case, ok))
    )
    report = await validate(
        broken, capabilities={"put_writes", "prune"}, progress=progress
    )
    assert steps == ["start", "stop"]
    assert made.count("saver") == made.count("closed") > 1  # a saver per case
    result = report.results["put_writes"]
    assert result.passed is False
    assert result.tests_failed == len(result.failures) > 0
    assert all(f.startswith("put_writes.") for f in result.failures)
    failed = {case for case, ok in seen if not ok}
    assert failed == {f.split(":")[0] for f in result.failures}
    assert len(seen) == result.tests_passed + result.tests_failed
    skipped = report.results["prune"]
    assert (skipped.detected, skipped.passed, skipped.tests_skipped) == (False, None, 1)
    assert report.results["put"].passed is None  # not asked for
    assert not report.passed_all_base()
    assert report.conformance_level() == "NONE"
    assert report.to_dict()["results"]["put_writes"]["passed"] is False


@pytest.mark.asyncio
async def test_sync_only_saver_fails_the_async_suite(tmp_path: Any) -> None:
    # Like LangGraph's suite, ours drives the async API, which SqliteSaver lacks.
    @checkpointer_test(name="SqliteSaver")
    async def sqlite() -> AsyncGenerator[SqliteSaver, None]:
        with SqliteSaver.from_conn_string(str(tmp_path / "db.sqlite")) as saver:
            yield saver

    report = await validate(sqlite, capabilities={"put"})
    assert report.results["put"].passed is False
    assert "NotImplementedError" in report.results["put"].failures[0]


@pytest.mark.asyncio
async def test_unknown_capability_is_refused() -> None:
    with pytest.raises(ValueError, match="'nope' is not a valid Capability"):
        await validate(memory, capabilities={"nope"})


def test_report_prints_every_capability(capsys: pytest.CaptureFixture[str]) -> None:
    from stategraph.checkpoint.conformance.report import (
        CapabilityReport,
        CapabilityResult,
    )

    report = CapabilityReport("X", {"put": CapabilityResult(True, True, 3)})
    report.print_report()
    out = capsys.readouterr().out
    assert "put" in out
    assert "passed (3)" in out
    assert "level: FULL" in out  # as LangGraph: every capability that ran passed
    assert all(name in out for name in NAMES)


def test_validate_submodule_does_not_shadow_the_function() -> None:
    module = importlib.import_module("stategraph.checkpoint.conformance.validate")
    assert callable(conformance.validate)
    assert conformance.validate is module.validate is validate
