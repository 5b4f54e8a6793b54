"""Extended random graphs whose node functions run as LangChain runnables.

``_gen_ext`` graphs with ``runnables=True`` (``_gen_lc``): some nodes are a
``RunnableLambda`` or a sequence, or a sync function that returns one (run on
the same input; through ``ainvoke`` in async runs, where the returned
runnable is async only when the graph's nodes are). Each seed runs
``test_random_ext``'s program, or its interrupt program on odd seeds.
"""

from __future__ import annotations

import pytest
from _gen_ext import gen_ext_spec
from _harness import Driver, pytest_repro, run_differential, seed_params
from test_random_ext import ext_interrupt_program, ext_program


@pytest.mark.parametrize(("driver", "seed"), seed_params(30), indirect=["driver"])
def test_random_runnable_nodes(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    interrupts = seed % 2 == 1
    spec = gen_ext_spec(seed, interrupts=interrupts, runnables=True)
    program = ext_interrupt_program(spec) if interrupts else ext_program(spec)
    run_differential(
        program,
        driver,
        title=f"runnable nodes seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
