"""A batched async store used from another event loop fails at once.

Its batch task runs on the loop the store was created in: an operation queued
from another loop could never be awaited there, yet would still run (unseen)
whenever the store's own loop next ran, e.g. while a test fixture closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest

from stategraph.store.base import Op, Result
from stategraph.store.base.batch import AsyncBatchedBaseStore


class _Recording(AsyncBatchedBaseStore):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[Op]] = []

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        ops = list(ops)
        self.batches.append(ops)
        return [None for _ in ops]


def test_an_operation_from_another_loop_is_refused_and_never_run() -> None:
    async def make() -> _Recording:
        return _Recording()

    async def put_then_idle(store: _Recording) -> None:
        with pytest.raises(
            RuntimeError,
            match=r"^_Recording was created in another event loop than the one "
            r"awaiting it",
        ):
            await store.aput(("ns",), "key", {"v": 1})

    first = asyncio.new_event_loop()
    try:
        store = first.run_until_complete(make())
        asyncio.run(put_then_idle(store))
        # Its own loop running again runs nothing from the refused call.
        first.run_until_complete(asyncio.sleep(0))
        assert store.batches == []
        first.run_until_complete(store.aput(("ns",), "key", {"v": 2}))
        assert [len(b) for b in store.batches] == [1]
    finally:
        store._task.cancel()  # type: ignore[union-attr]
        first.run_until_complete(asyncio.sleep(0))
        first.close()
