"""Test helpers for code built on stategraph, starting with a checkpointer suite.

Check a saver with pytest (both its sync and async API, one case at a time)::

    import pytest
    from stategraph.testing import checkpointer_cases, run_checkpointer_case


    @pytest.mark.asyncio
    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize("case", checkpointer_cases(), ids=str)
    async def test_my_saver(case, mode):
        if await run_checkpointer_case(case, MySaver, mode) == "skipped":
            pytest.skip(f"{case.capability} not implemented")

or all at once: ``(await validate_checkpointer(MySaver)).raise_for_failures()``.
The factory may return a saver or a (sync or async) context manager of one.

Stores have their own suite: ``store_cases(features)`` lists the cases a
store with those ``FEATURES`` can run, and ``run_store_case(case, factory,
mode)`` runs one on a fresh store from ``factory(index=..., ttl=...)``.

``FakeToolCallingModel`` is a scripted chat model with ``bind_tools`` for agent
tests (needs the ``langchain`` extra; imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stategraph.testing._checkpointer import (
    CAPABILITIES,
    ConformanceCase,
    ConformanceError,
    ConformanceReport,
    SaverDriver,
    checkpointer_cases,
    run_checkpointer_case,
    supports,
    validate_checkpointer,
)
from stategraph.testing._store import (
    FEATURES,
    StoreCase,
    StoreDriver,
    run_store_case,
    store_cases,
)

if TYPE_CHECKING:
    from stategraph.testing._chat_models import FakeToolCallingModel

__all__ = (
    "FakeToolCallingModel",
    "CAPABILITIES",
    "FEATURES",
    "ConformanceCase",
    "ConformanceError",
    "ConformanceReport",
    "SaverDriver",
    "StoreCase",
    "StoreDriver",
    "checkpointer_cases",
    "run_checkpointer_case",
    "run_store_case",
    "store_cases",
    "supports",
    "validate_checkpointer",
)


def __getattr__(name: str) -> Any:
    # The fake chat model needs langchain-core; load it only when asked for.
    if name == "FakeToolCallingModel":
        from stategraph.testing._chat_models import FakeToolCallingModel

        return FakeToolCallingModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
