"""Random StateGraph programs give the same observations on both libraries.

Each seed draws one graph (``_gen.gen_spec``) and runs it without a
checkpointer (``invoke`` and one stream variant) and with an ``InMemorySaver``
(a second stream variant, ``get_state``, ``get_state_history``, a retry after a
failure, ``invoke(version="v2")``).  The stream variants rotate with the seed so
every stream mode and framing is covered many times without running all of
them for every graph.
"""

from __future__ import annotations

from typing import Any

import pytest
from _gen import build, gen_spec
from _harness import (
    Driver,
    Recorder,
    is_eager,
    pytest_repro,
    run_differential,
    seed_params,
)
from _lib import Lib

# stream variants without a checkpointer
_PLAIN_STREAMS: list[dict[str, Any]] = [
    {},  # CompiledStateGraph streams "updates" by default
    {"stream_mode": "updates"},
    {"stream_mode": "values"},
    {"stream_mode": ["updates", "values"]},
    {"stream_mode": "tasks"},
    {"stream_mode": "debug"},
    {"stream_mode": ["values", "updates", "tasks"], "subgraphs": True},
    {"stream_mode": "values", "version": "v2"},
    {"stream_mode": ["updates", "values", "tasks"], "version": "v2"},
    {"stream_mode": ["updates", "values"], "subgraphs": True, "version": "v2"},
    {"stream_mode": "updates", "subgraphs": True},
]

# stream variants with a checkpointer (checkpoints need one)
_SAVED_STREAMS: list[dict[str, Any]] = [
    {"stream_mode": ["updates", "values", "checkpoints", "tasks"]},
    {"stream_mode": "checkpoints"},
    {"stream_mode": "debug", "subgraphs": True},
    {"stream_mode": ["checkpoints", "updates"], "subgraphs": True, "version": "v2"},
    {"stream_mode": ["values", "debug"], "version": "v2"},
    {"stream_mode": ["values", "tasks"], "subgraphs": True},
    {"stream_mode": ["updates", "values"], "durability": "sync"},
    {"stream_mode": ["updates", "checkpoints"], "durability": "exit"},
]


def _variant(kw: dict[str, Any], spec: dict[str, Any], d: Driver) -> dict[str, Any]:
    """``kw``, without ``subgraphs`` where that would make LangGraph racy.

    An eager sync stream runs without ``max_concurrency=1`` (see ``_harness``),
    so when a node fails, which of its siblings were cut off depends on timing.
    """
    fails = any(n["raise_at"] is not None for n in spec["nodes"])
    if fails and not d.is_async and is_eager(kw):
        return {k: v for k, v in kw.items() if k != "subgraphs"}
    return kw


def random_graph_program(spec: dict[str, Any]) -> Any:
    """The observations recorded for one generated graph."""
    seed = spec["seed"]
    rl = spec["recursion_limit"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        plain_kw = _variant(_PLAIN_STREAMS[seed % len(_PLAIN_STREAMS)], spec, d)
        saved_kw = _variant(
            _SAVED_STREAMS[(seed // len(_PLAIN_STREAMS)) % len(_SAVED_STREAMS)],
            spec,
            d,
        )
        try:
            graph = build(lib, spec)
        except Exception as e:
            rec.add("compile", {"raised": e})
            return
        inp = spec["input"]
        await rec.call(
            "invoke", d.invoke(graph, inp, d.config(lib, recursion_limit=rl))
        )
        await rec.stream(
            f"stream {plain_kw}",
            graph,
            inp,
            d.config(lib, eager=is_eager(plain_kw), recursion_limit=rl),
            **plain_kw,
        )

        saved = build(lib, spec, checkpointer=lib.InMemorySaver())
        t1 = d.config(lib, "t1", recursion_limit=rl)
        _, exc = await rec.stream(
            f"saved stream {saved_kw}",
            saved,
            inp,
            d.config(lib, "t1", eager=is_eager(saved_kw), recursion_limit=rl),
            **saved_kw,
        )
        await rec.state("get_state", saved, t1)
        await rec.history("history", saved, t1)
        if exc is not None:
            # a failed step keeps the writes of the tasks that finished; a retry
            # from the saved checkpoint must not re-run them
            # after a recursion error the retry gets a short limit: a subgraph
            # sharing the parent's list reducer doubles the list every pass
            retry = t1
            if type(exc).__name__ == "GraphRecursionError":
                retry = d.config(lib, "t1", recursion_limit=min(rl, 4))
            await rec.call("retry invoke(None)", d.invoke(saved, None, retry))
            await rec.state("get_state after retry", saved, t1)
            await rec.history("history after retry", saved, t1, limit=3)
        if seed % 3 == 0:
            t2 = d.config(lib, "t2", recursion_limit=rl)
            await rec.call("invoke v2", d.invoke(saved, inp, t2, version="v2"))
            await rec.state("get_state t2 subgraphs", saved, t2, subgraphs=True)

    return program


@pytest.mark.parametrize(("driver", "seed"), seed_params(300), indirect=["driver"])
def test_random_graph(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_spec(seed)
    run_differential(
        random_graph_program(spec),
        driver,
        title=f"random graph seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
