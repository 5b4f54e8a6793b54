from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver as LangGraphSaver

from stategraph.checkpoint.memory import InMemorySaver
from stategraph.testing import (
    CAPABILITIES,
    ConformanceCase,
    ConformanceError,
    checkpointer_cases,
    run_checkpointer_case,
    supports,
    validate_checkpointer,
)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Any:
    return request.param


@pytest.mark.asyncio
@pytest.mark.parametrize("case", checkpointer_cases(), ids=str)
async def test_in_memory_saver_conforms(case: ConformanceCase, mode: Any) -> None:
    assert await run_checkpointer_case(case, InMemorySaver, mode) == "passed"


BASE = [
    "put",
    "put_writes",
    "get_tuple",
    "list",
    "delete_thread",
    "delta_channel_history",
]


@pytest.mark.asyncio
@pytest.mark.parametrize("case", checkpointer_cases(BASE), ids=str)
async def test_suite_matches_langgraph_saver(case: ConformanceCase, mode: Any) -> None:
    # The cases encode LangGraph's behaviour: its own saver passes them too.
    assert await run_checkpointer_case(case, LangGraphSaver, mode) == "passed"


def test_every_capability_has_cases() -> None:
    covered = {c.capability for c in checkpointer_cases()}
    assert covered == set(CAPABILITIES)
    names = [c.name for c in checkpointer_cases()]
    assert len(names) == len(set(names))
    assert all(c.capability == "prune" for c in checkpointer_cases(["prune"]))


class _Broken(InMemorySaver):
    def get_tuple(self, config: Any) -> Any:
        found = super().get_tuple(config)
        return found._replace(pending_writes=[]) if found else None


@pytest.mark.asyncio
async def test_report_collects_failures_and_skips() -> None:
    report = await validate_checkpointer(_Broken, modes=("async",))
    assert not report.ok
    failed = {name for name, _, _ in report.failures}
    assert "put_writes.pending_writes_visible_and_ordered" in failed
    assert "put.roundtrip_values" not in failed
    with pytest.raises(ConformanceError, match="pending"):
        report.raise_for_failures()


@pytest.mark.asyncio
async def test_report_records_unexpected_errors() -> None:
    class Raising(InMemorySaver):
        def put_writes(self, *args: Any, **kwargs: Any) -> None:
            raise KeyError("boom")

    report = await validate_checkpointer(Raising, capabilities=["put_writes"])
    assert report.failures
    assert all("KeyError" in (error or "") for _, _, error in report.failures)


def test_capability_detection() -> None:
    from stategraph.checkpoint.base import BaseCheckpointSaver

    class Minimal(BaseCheckpointSaver[int]):
        pass

    class AsyncPrune(BaseCheckpointSaver[int]):
        async def aprune(
            self, thread_ids: Any, *, strategy: str = "keep_latest"
        ) -> None:
            return None

    assert supports(Minimal(), "put", "sync")
    assert not supports(Minimal(), "prune", "async")
    assert supports(AsyncPrune(), "prune", "async")
    assert not supports(AsyncPrune(), "prune", "sync")
    assert supports(InMemorySaver(), "copy_thread", "sync")


@pytest.mark.asyncio
async def test_skipped_when_capability_missing() -> None:
    from stategraph.checkpoint.base import BaseCheckpointSaver

    class NoPrune(InMemorySaver):
        prune = BaseCheckpointSaver.prune

    (prune_case,) = [c for c in checkpointer_cases(["prune"]) if "delete" in c.name]
    assert await run_checkpointer_case(prune_case, NoPrune, "sync") == "skipped"


@pytest.mark.asyncio
async def test_factories_may_be_context_managers() -> None:
    events: list[str] = []

    @contextmanager
    def sync_factory() -> Iterator[InMemorySaver]:
        events.append("enter")
        yield InMemorySaver()
        events.append("exit")

    @asynccontextmanager
    async def async_factory() -> AsyncIterator[InMemorySaver]:
        events.append("aenter")
        yield InMemorySaver()
        events.append("aexit")

    case = checkpointer_cases(["get_tuple"])[0]
    assert await run_checkpointer_case(case, sync_factory, "sync") == "passed"
    assert await run_checkpointer_case(case, async_factory, "async") == "passed"
    assert events == ["enter", "exit", "aenter", "aexit"]
