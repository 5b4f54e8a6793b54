"""Random graphs over dataclass and pydantic state schemas (``_gen_schema``).

Each seed runs its graph without a checkpointer (``invoke``, one stream
variant, an input that fails validation, a ``batch`` with
``return_exceptions=True``) and with an ``InMemorySaver`` (a
stream, ``get_state``, history, ``update_state`` with a valid and an invalid
value, a continue), then drives its interrupts when it has some.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from _gen_schema import build_schema, gen_schema_spec, schema_input
from _harness import (
    Driver,
    Recorder,
    is_eager,
    pytest_repro,
    run_differential,
    saved_rounds,
    seed_params,
)
from _lib import Lib
from test_random_graphs import _PLAIN_STREAMS, _SAVED_STREAMS, _variant


def schema_program(spec: dict[str, Any]) -> Any:
    """The observations recorded for one graph over a model state."""
    seed = spec["seed"]
    rl = spec["recursion_limit"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        rng = random.Random(seed * 13 + 1)
        plain_kw = _variant(_PLAIN_STREAMS[seed % len(_PLAIN_STREAMS)], spec, d)
        saved_kw = _variant(rng.choice(_SAVED_STREAMS), spec, d)
        try:
            graph = build_schema(lib, spec)
        except Exception as e:
            rec.add("compile", {"raised": e})
            return
        inp = schema_input(spec)
        conf = d.config(lib, recursion_limit=rl)
        await rec.call("invoke", d.invoke(graph, inp, conf))
        await rec.call(
            "invoke bad input", d.invoke(graph, schema_input(spec, True), conf)
        )
        batch = [inp, schema_input(spec, True), inp]
        await rec.call("batch return_exceptions", _batch(d, graph, batch, conf))
        kw = d.config(lib, eager=is_eager(plain_kw), recursion_limit=rl)
        await rec.stream(f"stream {plain_kw}", graph, inp, kw, **plain_kw)

        saved = build_schema(lib, spec, checkpointer=lib.InMemorySaver())
        t1 = await saved_rounds(rec, d, lib, saved, inp, saved_kw, rl)
        names = [n["name"] for n in spec["nodes"]]
        as_node = rng.choice([None, *names])
        upd = (
            {"log": ["patched"], "last": "p"} if rng.random() < 0.7 else {"count": "x"}
        )
        await rec.call(
            f"update_state {upd} as_node={as_node}",
            d.update_state(saved, t1, upd, **({"as_node": as_node} if as_node else {})),
        )
        await rec.state("get_state after update", saved, t1, subgraphs=True)
        await rec.call("continue after update", d.invoke(saved, None, t1))
        await rec.history("history", saved, t1)

    return program


async def _batch(d: Driver, graph: Any, inputs: list[Any], conf: Any) -> Any:
    if d.is_async:
        return await graph.abatch(inputs, conf, return_exceptions=True)
    return graph.batch(inputs, conf, return_exceptions=True)


# LangGraph drops the coroutine of a task it never started after a failure
# (see test_compat_fixes5), and of a checkpoint save, unawaited (seeds 100476,
# 103023).
pytestmark = [
    pytest.mark.filterwarnings(
        f"ignore:Exception ignored in. <coroutine object {name}"
        ":pytest.PytestUnraisableExceptionWarning"
    )
    for name in ("arun_with_retry", "AsyncPregelLoop._checkpointer_put_after_previous")
]


@pytest.mark.parametrize(("driver", "seed"), seed_params(40), indirect=["driver"])
def test_random_schema_graph(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_schema_spec(seed, interrupts=seed % 2 == 1)
    run_differential(
        schema_program(spec),
        driver,
        title=f"schema graph seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )


@pytest.mark.parametrize(("driver", "seed"), seed_params(15), indirect=["driver"])
def test_random_schema_updates(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    """``test_random_updates``'s state edits on a graph over a model state."""
    from test_random_updates import updates_program

    spec = gen_schema_spec(seed, interrupts=True)
    spec["fails"] = any(n["raise_at"] is not None for n in spec["nodes"])
    spec["input"] = schema_input(spec)

    def make(lib: Lib, saver: Any) -> Any:
        return build_schema(lib, spec, checkpointer=saver)

    run_differential(
        updates_program(spec, False, make=make),
        driver,
        title=f"schema state edits seed={seed}",
        spec={k: v for k, v in spec.items() if k != "input"},
        repro=pytest_repro(request.node.nodeid, seed),
    )
