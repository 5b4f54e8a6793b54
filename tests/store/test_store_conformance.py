"""The store conformance suite, run on every bundled backend and API mode."""

from __future__ import annotations

from typing import Any

import pytest
from _backends import BACKENDS, factory

from stategraph.testing import StoreCase, run_store_case, store_cases

CASES = [
    pytest.param(name, mode, case, id=f"{name}-{mode}-{case}")
    for name, (features, modes) in BACKENDS.items()
    for mode in modes
    for case in store_cases(features)
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("backend", "mode", "case"), CASES)
async def test_store_conforms(
    backend: str,
    mode: Any,
    case: StoreCase,
    request: pytest.FixtureRequest,
) -> None:
    await run_store_case(case, factory(backend, request), mode)


def test_every_case_runs_somewhere() -> None:
    covered = {str(p.values[2]) for p in CASES}
    assert covered == {str(c) for c in store_cases()}
