"""Async task calls hand their writes to the saver in the background.

As in LangGraph, the caller of a ``@task`` resumes as soon as the call
finishes; its writes are saved meanwhile, and the step waits for that save
before it ends (a failed save fails the run). The saver below holds a call's
writes until the caller has resumed: had the engine waited for the save
before resuming, the run would time out.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import langgraph.checkpoint.memory as lg_memory
import langgraph.func as lg_func
import pytest

import stategraph.checkpoint.memory as sg_memory
import stategraph.func as sg_func

RETURN = "__return__"
MODULES = [
    pytest.param((lg_func, lg_memory), id="langgraph"),
    pytest.param((sg_func, sg_memory), id="stategraph"),
]


def _saver(memory: Any, *, fail: bool = False, lag: int = 0) -> Any:
    class HeldSaver(memory.InMemorySaver):  # type: ignore[misc]  # a module given at run time
        """Holds a call's writes until ``released`` is set (or fails them)."""

        def __init__(self) -> None:
            super().__init__()
            self.released = asyncio.Event()
            self.saved: list[str] = []

        async def aput_writes(
            self, config: Any, writes: Any, task_id: str, task_path: str = ""
        ) -> None:
            if any(c == RETURN for c, _ in writes):
                if fail:
                    raise OSError("disk full")
                await asyncio.wait_for(self.released.wait(), 5)
                for _ in range(lag):  # a slow database, in event loop turns
                    await asyncio.sleep(0)
            self.saved.extend(c for c, _ in writes)
            await super().aput_writes(config, writes, task_id, task_path)

    return HeldSaver()


async def _double(n: int) -> int:
    return n * 2


async def _broken(n: int) -> int:
    raise ValueError("broken")


def _workflow(func: Any, saver: Any, resumed: list[int]) -> Any:
    double = func.task()(_double)

    async def workflow(n: int) -> int:
        result: int = await double(n)
        resumed.append(result)
        saver.released.set()
        return result

    return func.entrypoint(checkpointer=saver)(workflow)


@pytest.mark.parametrize("modules", MODULES)
def test_caller_resumes_before_the_call_is_saved(modules: Any) -> None:
    func, memory = modules
    saver = _saver(memory)
    resumed: list[int] = []
    workflow = _workflow(func, saver, resumed)
    config = {"configurable": {"thread_id": "1"}}
    assert asyncio.run(workflow.ainvoke(3, config)) == 6
    assert resumed == [6]
    # The step still waited for the held save before finishing.
    assert RETURN in saver.saved


@pytest.mark.parametrize("modules", MODULES)
def test_failed_background_save_fails_the_run(modules: Any) -> None:
    func, memory = modules
    saver = _saver(memory, fail=True)
    resumed: list[int] = []
    workflow = _workflow(func, saver, resumed)
    config = {"configurable": {"thread_id": "1"}}
    with pytest.raises(OSError, match=r"^disk full$"):
        asyncio.run(workflow.ainvoke(3, config))
    assert resumed == [6]
    assert RETURN not in saver.saved


async def _events(func: Any, memory: Any) -> list[tuple[str, str]]:
    saver = _saver(memory)
    double, broken = func.task()(_double), func.task()(_broken)

    async def run(n: int) -> str:
        await double(n)
        with contextlib.suppress(ValueError):
            await broken(n)
        await double(n)
        saver.released.set()
        return "done"

    # Named as in LangGraph's test, so event names read the same.
    run.__name__ = "workflow"
    workflow = func.entrypoint(checkpointer=saver)(run)
    config = {"configurable": {"thread_id": "1"}}
    events = [e async for e in workflow.astream_events(1, config, version="v2")]
    return [(e["event"], e["name"]) for e in events]


def test_stream_events_order_matches_langgraph() -> None:
    # The root's chunk for the last call comes after the entrypoint's own
    # output: the caller resumed before the chunk was handed out.
    expected = asyncio.run(_events(lg_func, lg_memory))
    assert expected.index(("on_chain_stream", "workflow")) < len(expected) - 3
    assert asyncio.run(_events(sg_func, sg_memory)) == expected


async def _time_out_after_call(func: Any, saver: Any) -> None:
    double = func.task()(_double)

    async def workflow(n: int) -> int:
        result: int = await double(n)
        try:
            await asyncio.Event().wait()  # until the step times out
        finally:
            saver.released.set()
        return result

    app = func.entrypoint(checkpointer=saver)(workflow)
    app.step_timeout = 0.2
    with pytest.raises(asyncio.TimeoutError):
        await app.ainvoke(3, {"configurable": {"thread_id": "1"}})


@pytest.mark.parametrize("modules", MODULES)
def test_call_writes_are_saved_when_the_step_times_out(modules: Any) -> None:
    # The save is still held when the step times out; the run waits for it
    # before returning (``asyncio.run`` would cancel it afterwards).
    func, memory = modules
    saver = _saver(memory, lag=100)
    asyncio.run(_time_out_after_call(func, saver))
    assert RETURN in saver.saved
