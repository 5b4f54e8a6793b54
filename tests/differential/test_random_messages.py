"""Random message graphs (``_gen_msgs``) streamed with ``messages`` and ``tools``.

Each seed streams the graph with two combinations of modes (messages or tools
with updates, custom, values; subgraphs or not; v1 or v2 chunks), then twice on one
thread of a saver (the second run starts from messages the first one saved,
which are not streamed again) and reads the state.
"""

from __future__ import annotations

from typing import Any

import pytest
from _gen_msgs import build_msgs, gen_msgs_spec
from _harness import (
    Driver,
    Recorder,
    is_eager,
    pytest_repro,
    run_differential,
    seed_params,
)
from _lib import Lib

_STREAMS: list[dict[str, Any]] = [
    {"stream_mode": "messages"},
    {"stream_mode": ["messages", "updates"]},
    {"stream_mode": ["messages", "custom"], "subgraphs": True},
    {"stream_mode": ["messages", "values", "custom"]},
    {"stream_mode": "messages", "subgraphs": True},
    {"stream_mode": ["messages", "updates"], "subgraphs": True, "version": "v2"},
    {"stream_mode": ["custom", "messages", "tasks"]},
    {"stream_mode": ["tools", "updates"]},
    {"stream_mode": ["messages", "tools", "custom"], "subgraphs": True},
]


def msgs_program(spec: dict[str, Any]) -> Any:
    """The observations recorded for one message graph."""
    seed = spec["seed"]

    async def program(lib: Lib, d: Driver, rec: Recorder) -> None:
        inp = {"messages": [("user", "hi")]}
        graph = build_msgs(lib, spec, is_async=d.is_async)
        for k in (seed, seed // len(_STREAMS) + 3):
            kw = _STREAMS[k % len(_STREAMS)]
            cfg = d.config(lib, eager=is_eager(kw))
            await rec.stream(f"stream {kw}", graph, inp, cfg, **kw)
        saved = build_msgs(
            lib, spec, is_async=d.is_async, checkpointer=lib.InMemorySaver()
        )
        kw = _STREAMS[(seed + 1) % len(_STREAMS)]
        for run in ("first", "second"):
            cfg = d.config(lib, "t1", eager=is_eager(kw))
            await rec.stream(f"saved {run} {kw}", saved, inp, cfg, **kw)
        await rec.state("get_state", saved, d.config(lib, "t1"))

    return program


@pytest.mark.parametrize(
    ("driver", "seed"), seed_params(60, async_every=1), indirect=["driver"]
)
def test_random_messages(
    driver: Driver, seed: int, request: pytest.FixtureRequest
) -> None:
    spec = gen_msgs_spec(seed)
    run_differential(
        msgs_program(spec),
        driver,
        title=f"random messages graph seed={seed}",
        spec=spec,
        repro=pytest_repro(request.node.nodeid, seed),
    )
